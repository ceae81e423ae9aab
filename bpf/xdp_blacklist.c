/* XDP source blacklist for IPv4 and IPv6: packets from a listed source address are dropped
 * and counted per CPU; everything else passes. */
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, __u32);
} deny_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct in6_addr);
	__type(value, __u32);
} deny_v6 SEC(".maps");

enum verdict_counter { COUNT_PASSED, COUNT_DROPPED, COUNT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

static __always_inline int count(__u32 which, int action)
{
	__u64 *counter = bpf_map_lookup_elem(&verdicts, &which);
	if (counter)
		*counter += 1;
	return action;
}

SEC("xdp")
int xdp_blacklist(struct xdp_md *ctx)
{
	struct cursor c = { .pos = (void *)(long)ctx->data, .end = (void *)(long)ctx->data_end };
	eth_t *eth = take_eth_t(&c);
	if (!eth)
		return count(COUNT_PASSED, XDP_PASS);

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		ipv4_t *ip = take_ipv4_t(&c);
		if (!ip)
			return count(COUNT_PASSED, XDP_PASS);
		__be32 saddr = ip->saddr;
		__u32 *hits = bpf_map_lookup_elem(&deny_v4, &saddr);
		if (hits) {
			__sync_fetch_and_add(hits, 1);
			return count(COUNT_DROPPED, XDP_DROP);
		}
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ipv6_t *ip6 = take_ipv6_t(&c);
		if (!ip6)
			return count(COUNT_PASSED, XDP_PASS);
		struct in6_addr saddr = ip6->saddr;
		__u32 *hits = bpf_map_lookup_elem(&deny_v6, &saddr);
		if (hits) {
			__sync_fetch_and_add(hits, 1);
			return count(COUNT_DROPPED, XDP_DROP);
		}
	}
	return count(COUNT_PASSED, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
