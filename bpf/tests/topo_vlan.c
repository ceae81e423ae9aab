/* A VLAN bridge for `bpfsim sim`: frames arriving on an access port are tagged with the port's
 * VLAN and sent out of the trunk; tagged frames arriving on the trunk lose their tag and go out
 * of the access port of their VLAN. Unknown ports and VLANs are dropped. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u32 trunk_ifindex;

/* Access port ifindex -> VLAN id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u16);
} port_vlan SEC(".maps");

/* VLAN id -> access port ifindex. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u16);
	__type(value, __u32);
} vlan_port SEC(".maps");

struct vlan_eth {
	__u8 dst[ETH_ALEN];
	__u8 src[ETH_ALEN];
	__be16 tpid;
	__be16 tci;
	__be16 proto;
};

SEC("tc")
int tc_access_in(struct __sk_buff *skb)
{
	__u32 port = skb->ingress_ifindex;
	__u16 *vid = bpf_map_lookup_elem(&port_vlan, &port);

	if (!vid)
		return TC_ACT_SHOT;
	if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), *vid))
		return TC_ACT_SHOT;
	return bpf_redirect(trunk_ifindex, 0);
}

SEC("tc")
int tc_trunk_in(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct vlan_eth *eth = data;

	if ((void *)(eth + 1) > data_end || eth->tpid != bpf_htons(ETH_P_8021Q))
		return TC_ACT_SHOT;
	__u16 vid = bpf_ntohs(eth->tci) & 0xfff;
	__u32 *port = bpf_map_lookup_elem(&vlan_port, &vid);
	if (!port)
		return TC_ACT_SHOT;
	if (bpf_skb_vlan_pop(skb))
		return TC_ACT_SHOT;
	return bpf_redirect(*port, 0);
}

char _license[] SEC("license") = "GPL";
