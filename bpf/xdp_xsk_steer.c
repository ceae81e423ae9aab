/* XDP: AF_XDP steering. Rules in `steer_rules`, keyed by L4 protocol and destination port, send
 * matching IPv4/IPv6 TCP or UDP packets to an AF_XDP socket through the `xsks` XSKMAP: by queue
 * (the socket bound to the queue the packet arrived on, slot = rx_queue_index) or by flow (a
 * hash of the addresses, ports and protocol over the rule's first `sockets` slots, so one flow
 * always reaches the same socket). A packet with no rule, or whose slot holds no socket, goes on
 * to the kernel stack (bpf_redirect_map's XDP_PASS fallback). `steered` counts redirects asked
 * per slot, `unmatched` the packets no rule took. */
#include "parse.h"

enum steer_mode { STEER_BY_QUEUE = 0, STEER_BY_FLOW = 1 };

struct steer_key {
	__u8 proto;
	__u8 pad;
	__u16 dport; /* host order */
};

struct steer_rule {
	__u32 mode;    /* enum steer_mode */
	__u32 sockets; /* STEER_BY_FLOW: slots 0 .. sockets - 1 */
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct steer_key);
	__type(value, struct steer_rule);
} steer_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} steered SEC(".maps");

__u64 unmatched = 0;

/* A flow's hash: the same for every packet of one direction of a flow. */
static __always_inline __u32 flow_hash(__u32 addrs, __be16 sport, __be16 dport, __u8 proto)
{
	__u32 h = addrs ^ ((__u32)sport << 16 | dport) ^ proto;
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	h *= 0x846ca68b;
	h ^= h >> 16;
	return h;
}

SEC("xdp")
int xdp_xsk_steer(struct xdp_md *ctx)
{
	struct cursor c = { .pos = (void *)(long)ctx->data, .end = (void *)(long)ctx->data_end };
	eth_t *eth = take_eth_t(&c);
	__be16 sport, dport;
	__u32 addrs, slot;
	__u8 proto;

	if (!eth)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		ipv4_t *ip = take_ipv4_t(&c);
		if (!ip || skip_ipv4_options(&c, ip))
			return XDP_PASS;
		proto = ip->protocol;
		addrs = ip->saddr ^ ip->daddr;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ipv6_t *ip6 = take_ipv6_t(&c);
		if (!ip6)
			return XDP_PASS;
		proto = ip6->nexthdr;
		addrs = 0;
		for (int i = 0; i < 4; i++)
			addrs ^= ip6->saddr.in6_u.u6_addr32[i] ^ ip6->daddr.in6_u.u6_addr32[i];
	} else {
		return XDP_PASS;
	}
	if (take_ports(&c, proto, &sport, &dport))
		return XDP_PASS;

	struct steer_key key = { .proto = proto, .dport = bpf_ntohs(dport) };
	struct steer_rule *rule = bpf_map_lookup_elem(&steer_rules, &key);
	if (!rule) {
		__sync_fetch_and_add(&unmatched, 1);
		return XDP_PASS;
	}
	if (rule->mode == STEER_BY_FLOW && rule->sockets > 0)
		slot = flow_hash(addrs, sport, dport, proto) % rule->sockets;
	else
		slot = ctx->rx_queue_index;

	__u64 *n = bpf_map_lookup_elem(&steered, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
	return bpf_redirect_map(&xsks, slot, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
