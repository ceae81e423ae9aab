/* TC ingress VXLAN decapsulator: an IPv4/UDP/4789 VXLAN frame whose VNI is configured loses its
 * outer Ethernet, IPv4, UDP and VXLAN headers, keeps the outer addresses and VNI as the skb's
 * tunnel metadata (bpf_skb_set_tunnel_key, as a collect_md device would), and is redirected to
 * the VNI's interface. Unknown VNIs are dropped and counted; everything else passes untouched. */
#include "parse.h"
#include <linux/pkt_cls.h>

#define VXLAN_PORT 4789
#define VXLAN_FLAG_VNI 0x08
/* Outer IPv4 (no options), UDP and VXLAN headers, and the inner Ethernet header they carry. */
#define OUTER_LEN (sizeof(ipv4_t) + sizeof(udp_t) + 8)
#define DECAP_LEN (OUTER_LEN + sizeof(eth_t))

#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif

struct vxlanhdr {
	__u8 flags;
	__u8 reserved1[3];
	__be32 vni_reserved2;
};

/* Where each VNI's inner frames go. */
struct vni_target {
	__u32 ifindex;
};

/* Per-VNI counters; the last tunnel key read back after setting it. */
struct vni_stats {
	__u64 packets;
	__u64 bytes;
	__u32 last_remote;
	__u32 last_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct vni_target);
} vni_targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct vni_stats);
} vni_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} unknown_vni SEC(".maps");

SEC("tc")
int tc_vxlan_decap(struct __sk_buff *skb)
{
	struct cursor c = { .pos = (void *)(long)skb->data, .end = (void *)(long)skb->data_end };
	eth_t *eth = take_eth_t(&c);
	if (!eth || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	ipv4_t *ip = take_ipv4_t(&c);
	if (!ip || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return TC_ACT_OK;
	udp_t *udp = take_udp_t(&c);
	if (!udp || udp->dest != bpf_htons(VXLAN_PORT))
		return TC_ACT_OK;
	struct vxlanhdr *vx = c.pos;
	eth_t *inner = (void *)(vx + 1);
	if ((void *)(inner + 1) > c.end || !(vx->flags & VXLAN_FLAG_VNI))
		return TC_ACT_OK;

	__u32 vni = bpf_ntohl(vx->vni_reserved2) >> 8;
	struct vni_target *target = bpf_map_lookup_elem(&vni_targets, &vni);
	if (!target) {
		__u32 zero = 0;
		__u64 *drops = bpf_map_lookup_elem(&unknown_vni, &zero);
		if (drops)
			__sync_fetch_and_add(drops, 1);
		return TC_ACT_SHOT;
	}
	__u64 decap_flags;
	if (inner->h_proto == bpf_htons(ETH_P_IP))
		decap_flags = BPF_F_ADJ_ROOM_DECAP_L3_IPV4;
	else if (inner->h_proto == bpf_htons(ETH_P_IPV6))
		decap_flags = BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
	else
		return TC_ACT_OK;

	struct bpf_tunnel_key key = {
		.tunnel_id = vni,
		.remote_ipv4 = bpf_ntohl(ip->saddr),
		.local_ipv4 = bpf_ntohl(ip->daddr),
		.tunnel_tos = ip->tos,
		.tunnel_ttl = ip->ttl,
	};
	eth_t inner_eth = *inner;
	__u32 ifindex = target->ifindex;

	if (bpf_skb_set_tunnel_key(skb, &key, sizeof(key), 0))
		return TC_ACT_SHOT;
	/* Everything after the outer MAC header up to the inner L3 header goes; the inner
	 * Ethernet header is then written over the outer one. */
	if (bpf_skb_adjust_room(skb, -(int)DECAP_LEN, BPF_ADJ_ROOM_MAC, decap_flags))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, 0, &inner_eth, sizeof(inner_eth), 0))
		return TC_ACT_SHOT;

	struct bpf_tunnel_key seen = {};
	if (bpf_skb_get_tunnel_key(skb, &seen, sizeof(seen), 0))
		return TC_ACT_SHOT;
	struct vni_stats *stats = bpf_map_lookup_elem(&vni_stats, &vni);
	if (!stats) {
		struct vni_stats fresh = {};
		bpf_map_update_elem(&vni_stats, &vni, &fresh, BPF_NOEXIST);
		stats = bpf_map_lookup_elem(&vni_stats, &vni);
		if (!stats)
			return TC_ACT_SHOT;
	}
	__sync_fetch_and_add(&stats->packets, 1);
	__sync_fetch_and_add(&stats->bytes, skb->len);
	/* Read back, the key's remote is the address it was set as local (key.src). */
	stats->last_remote = seen.remote_ipv4;
	stats->last_id = seen.tunnel_id;
	return bpf_redirect(ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
