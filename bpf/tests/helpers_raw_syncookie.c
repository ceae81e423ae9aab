/* The raw SYN cookie helpers on a TCP segment over IPv4 or IPv6 (no IP options, no extension
 * headers): gen on the segment as it came, then check on the ACK a client answering the cookie
 * would send, on that ACK with the cookie's minute bits flipped, and on it from another source
 * port; gen again with a TCP length that is short or not doff * 4. Results go to `results`:
 * 0 the MSS gen encoded (bits 32-47), 1 to 3 the three checks, 4 and 5 the two bad gens, 6 bits
 * 48-63 of the first gen (unused: 0). Returns XDP_PASS after the checks, XDP_ABORTED when the
 * packet is no TCP segment the program parses. xdp_raw_gen_or_check does one of the two per run. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __s64);
} results SEC(".maps");

struct tcp_with_options {
	struct tcphdr th;
	__u8 options[40];
};

static __always_inline void put(__u32 slot, __s64 value)
{
	bpf_map_update_elem(&results, &slot, &value, BPF_ANY);
}

/* The checks on the ACK answering `cookie`; `ip` is the IPv4 or IPv6 header on the stack. */
static __always_inline void check_acks(void *ip, int v6, struct tcphdr *syn, __u32 cookie)
{
	struct tcphdr ack = *syn;

	ack.syn = 0;
	ack.ack = 1;
	ack.doff = 5;
	ack.seq = bpf_htonl(bpf_ntohl(syn->seq) + 1);
	ack.ack_seq = bpf_htonl(cookie + 1);
	put(1, v6 ? bpf_tcp_raw_check_syncookie_ipv6(ip, &ack) : bpf_tcp_raw_check_syncookie_ipv4(ip, &ack));
	ack.ack_seq = bpf_htonl((cookie ^ 0x80000000) + 1);
	put(2, v6 ? bpf_tcp_raw_check_syncookie_ipv6(ip, &ack) : bpf_tcp_raw_check_syncookie_ipv4(ip, &ack));
	ack.ack_seq = bpf_htonl(cookie + 1);
	ack.source = bpf_htons(bpf_ntohs(ack.source) + 1);
	put(3, v6 ? bpf_tcp_raw_check_syncookie_ipv6(ip, &ack) : bpf_tcp_raw_check_syncookie_ipv4(ip, &ack));
}

/* The IPv4 or IPv6 header and the TCP header with its options, copied from the packet: the
 * TCP length, or -1 for a packet that is no TCP segment the program parses. */
static __always_inline int parse(struct xdp_md *ctx, struct iphdr *ip4, struct ipv6hdr *ip6, struct tcp_with_options *seg, int *v6)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 l4_off, len;

	if ((void *)(eth + 1) > data_end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		if (bpf_xdp_load_bytes(ctx, sizeof(*eth), ip4, sizeof(*ip4)) || ip4->protocol != IPPROTO_TCP || ip4->ihl != 5)
			return -1;
		*v6 = 0;
		l4_off = sizeof(*eth) + sizeof(*ip4);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		if (bpf_xdp_load_bytes(ctx, sizeof(*eth), ip6, sizeof(*ip6)) || ip6->nexthdr != IPPROTO_TCP)
			return -1;
		*v6 = 1;
		l4_off = sizeof(*eth) + sizeof(*ip6);
	} else {
		return -1;
	}
	if (bpf_xdp_load_bytes(ctx, l4_off, &seg->th, sizeof(seg->th)))
		return -1;
	len = seg->th.doff * 4;
	if (len < sizeof(seg->th) || len > sizeof(*seg))
		return -1;
	if (bpf_xdp_load_bytes(ctx, l4_off, seg, len))
		return -1;
	return len;
}

SEC("xdp")
int xdp_raw_syncookie(struct xdp_md *ctx)
{
	struct tcp_with_options seg = {};
	struct ipv6hdr ip6;
	struct iphdr ip4;
	int v6, len;
	__s64 gen;

	len = parse(ctx, &ip4, &ip6, &seg, &v6);
	if (len < 0)
		return XDP_ABORTED;
	gen = v6 ? bpf_tcp_raw_gen_syncookie_ipv6(&ip6, &seg.th, len) : bpf_tcp_raw_gen_syncookie_ipv4(&ip4, &seg.th, len);
	if (gen < 0) {
		put(0, gen);
		return XDP_PASS;
	}
	put(0, (gen >> 32) & 0xffff);
	put(6, gen >> 48);
	check_acks(v6 ? (void *)&ip6 : (void *)&ip4, v6, &seg.th, (__u32)gen);
	put(4, v6 ? bpf_tcp_raw_gen_syncookie_ipv6(&ip6, &seg.th, 19) : bpf_tcp_raw_gen_syncookie_ipv4(&ip4, &seg.th, 19));
	if (len == sizeof(seg.th))
		put(5, v6 ? bpf_tcp_raw_gen_syncookie_ipv6(&ip6, &seg.th, 24) : bpf_tcp_raw_gen_syncookie_ipv4(&ip4, &seg.th, 24));
	else
		put(5, v6 ? bpf_tcp_raw_gen_syncookie_ipv6(&ip6, &seg.th, 20) : bpf_tcp_raw_gen_syncookie_ipv4(&ip4, &seg.th, 20));
	return XDP_PASS;
}

/* gen alone on a SYN (slot 0: the whole result) or check alone on an ACK (slot 1), so that a
 * cookie made in one run can be checked in a later one. */
SEC("xdp")
int xdp_raw_gen_or_check(struct xdp_md *ctx)
{
	struct tcp_with_options seg = {};
	struct ipv6hdr ip6;
	struct iphdr ip4;
	int v6, len;

	len = parse(ctx, &ip4, &ip6, &seg, &v6);
	if (len < 0)
		return XDP_ABORTED;
	if (seg.th.syn)
		put(0, v6 ? bpf_tcp_raw_gen_syncookie_ipv6(&ip6, &seg.th, len) : bpf_tcp_raw_gen_syncookie_ipv4(&ip4, &seg.th, len));
	else
		put(1, v6 ? bpf_tcp_raw_check_syncookie_ipv6(&ip6, &seg.th) : bpf_tcp_raw_check_syncookie_ipv4(&ip4, &seg.th));
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
