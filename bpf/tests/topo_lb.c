/* A load balancer for `bpfsim sim`: XDP on the front interface sends each UDP or TCP flow to one
 * of two backends by source port, rewriting the Ethernet addresses for the backend's link and
 * redirecting out of the backend's interface; everything else goes up the stack. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct backend {
	__u32 ifindex;
	__u8 mac[ETH_ALEN];
	__u8 src_mac[ETH_ALEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

/* Packets sent to each backend, shared with the backends' TC egress counters by pinning. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lb_sent SEC(".maps");

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct udphdr *l4 = (void *)(ip + 1);

	if ((void *)(l4 + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return XDP_PASS;
	if (ip->protocol != IPPROTO_UDP && ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	__u32 slot = bpf_ntohs(l4->source) & 1;
	struct backend *b = bpf_map_lookup_elem(&backends, &slot);
	if (!b || !b->ifindex)
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, b->mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, b->src_mac, ETH_ALEN);
	__u64 *sent = bpf_map_lookup_elem(&lb_sent, &slot);
	if (sent)
		__sync_fetch_and_add(sent, 1);
	return bpf_redirect(b->ifindex, 0);
}

char _license[] SEC("license") = "GPL";
