/* bpf_sk_lookup_tcp/udp, bpf_skc_lookup_tcp and bpf_sk_release over the sockets a case declares:
 * the programs look up the packet's own tuple (source = the peer, destination = the local socket)
 * and copy every field of the struct bpf_sock found into `found`, returning 1 when one was found
 * and 2 when none. tc_sk_lookup_args returns a bit per lookup with odd arguments that found one. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct sk_info {
	__u32 bound_dev_if, family, type, protocol, mark, priority, src_ip4;
	__u32 src_ip6[4];
	__u32 src_port;
	__u32 dst_port;
	__u32 dst_ip4;
	__u32 dst_ip6[4];
	__u32 state;
	__s32 rx_queue_mapping;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sk_info);
} found SEC(".maps");

/* The packet's tuple and L4 protocol; 0 when it is no TCP or UDP over IPv4 or IPv6. */
static __always_inline int packet_tuple(void *data, void *data_end, struct bpf_sock_tuple *t, __u32 *len)
{
	struct ethhdr *eth = data;
	__u8 proto;
	void *l4;

	if ((void *)(eth + 1) > data_end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end)
			return 0;
		t->ipv4.saddr = ip->saddr;
		t->ipv4.daddr = ip->daddr;
		proto = ip->protocol;
		l4 = ip + 1;
		*len = sizeof(t->ipv4);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return 0;
		__builtin_memcpy(t->ipv6.saddr, &ip6->saddr, 16);
		__builtin_memcpy(t->ipv6.daddr, &ip6->daddr, 16);
		proto = ip6->nexthdr;
		l4 = ip6 + 1;
		*len = sizeof(t->ipv6);
	} else {
		return 0;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 0;
	if (l4 + 4 > data_end)
		return 0;
	__be16 *ports = l4;
	if (*len == sizeof(t->ipv4)) {
		t->ipv4.sport = ports[0];
		t->ipv4.dport = ports[1];
	} else {
		t->ipv6.sport = ports[0];
		t->ipv6.dport = ports[1];
	}
	return proto;
}

static __always_inline void record(struct bpf_sock *sk)
{
	__u32 zero = 0;
	struct sk_info *info = bpf_map_lookup_elem(&found, &zero);
	if (!info)
		return;
	info->bound_dev_if = sk->bound_dev_if;
	info->family = sk->family;
	info->type = sk->type;
	info->protocol = sk->protocol;
	info->mark = sk->mark;
	info->priority = sk->priority;
	info->src_ip4 = sk->src_ip4;
	info->src_ip6[0] = sk->src_ip6[0];
	info->src_ip6[1] = sk->src_ip6[1];
	info->src_ip6[2] = sk->src_ip6[2];
	info->src_ip6[3] = sk->src_ip6[3];
	info->src_port = sk->src_port;
	info->dst_port = sk->dst_port;
	info->dst_ip4 = sk->dst_ip4;
	info->dst_ip6[0] = sk->dst_ip6[0];
	info->dst_ip6[1] = sk->dst_ip6[1];
	info->dst_ip6[2] = sk->dst_ip6[2];
	info->dst_ip6[3] = sk->dst_ip6[3];
	info->state = sk->state;
	info->rx_queue_mapping = sk->rx_queue_mapping;
}

SEC("tc")
int tc_sk_lookup(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	__u32 len = 0;
	struct bpf_sock *sk;
	int proto = packet_tuple((void *)(long)skb->data, (void *)(long)skb->data_end, &t, &len);

	if (!proto)
		return 3;
	if (proto == IPPROTO_TCP)
		sk = bpf_sk_lookup_tcp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
	else
		sk = bpf_sk_lookup_udp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 2;
	record(sk);
	bpf_sk_release(sk);
	return 1;
}

SEC("xdp")
int xdp_sk_lookup(struct xdp_md *ctx)
{
	struct bpf_sock_tuple t = {};
	__u32 len = 0;
	struct bpf_sock *sk;
	int proto = packet_tuple((void *)(long)ctx->data, (void *)(long)ctx->data_end, &t, &len);

	if (!proto)
		return 3;
	if (proto == IPPROTO_TCP)
		sk = bpf_sk_lookup_tcp(ctx, &t, len, BPF_F_CURRENT_NETNS, 0);
	else
		sk = bpf_sk_lookup_udp(ctx, &t, len, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 2;
	record(sk);
	bpf_sk_release(sk);
	return 1;
}

/* bpf_skc_lookup_tcp: a sock_common, whose family, addresses, ports and state a program may read. */
SEC("tc")
int tc_skc_lookup(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	__u32 len = 0, zero = 0;
	int proto = packet_tuple((void *)(long)skb->data, (void *)(long)skb->data_end, &t, &len);

	if (proto != IPPROTO_TCP)
		return 3;
	struct bpf_sock *sk = bpf_skc_lookup_tcp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 2;
	struct sk_info *info = bpf_map_lookup_elem(&found, &zero);
	if (info) {
		info->family = sk->family;
		info->src_ip4 = sk->src_ip4;
		info->src_port = sk->src_port;
		info->dst_port = sk->dst_port;
		info->dst_ip4 = sk->dst_ip4;
		info->state = sk->state;
	}
	bpf_sk_release(sk);
	return 1;
}

#define TRY(bit, expr) do { struct bpf_sock *s = (expr); if (s) { bits |= 1 << (bit); bpf_sk_release(s); } } while (0)

/* Lookups of the packet's TCP tuple with other sizes, flags and namespace ids: bit n set when lookup n found a socket. */
SEC("tc")
int tc_sk_lookup_args(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	__u32 len = 0, bits = 0;

	if (packet_tuple((void *)(long)skb->data, (void *)(long)skb->data_end, &t, &len) != IPPROTO_TCP || len != sizeof(t.ipv4))
		return 0x100;
	TRY(0, bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0));
	TRY(1, bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4) - 1, BPF_F_CURRENT_NETNS, 0));
	TRY(2, bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 1));
	TRY(3, bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), 0, 0));
	TRY(4, bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), 0xffffffffULL, 0));
	TRY(5, bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), 0x100000000ULL, 0));
	TRY(6, bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), 0xfffffffe80000000ULL, 0));
	TRY(7, bpf_sk_lookup_udp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0));
	TRY(8, bpf_skc_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0));
	TRY(9, bpf_sk_lookup_tcp(skb, &t, sizeof(t), BPF_F_CURRENT_NETNS, 0));
	return bits;
}

char _license[] SEC("license") = "GPL";

/* bpf_tcp_gen_syncookie and bpf_tcp_check_syncookie on the listener of the packet's destination,
 * with the segment's flags and lengths varied: each result's low byte (a negative errno) in turn,
 * in `cookies`; returns 2 when no listener was found. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __s64);
} cookies SEC(".maps");

static __always_inline void put(__u32 k, __s64 v)
{
	bpf_map_update_elem(&cookies, &k, &v, BPF_ANY);
}

SEC("tc")
int tc_syncookie(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct bpf_sock_tuple t = {};
	__u32 len = 0;

	if (packet_tuple(data, data_end, &t, &len) != IPPROTO_TCP || len != sizeof(t.ipv4))
		return 3;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct tcphdr *th = (void *)(ip + 1);
	if ((void *)(th + 1) > data_end)
		return 3;
	struct bpf_sock *sk = bpf_skc_lookup_tcp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 2;
	put(0, bpf_tcp_gen_syncookie(sk, ip, sizeof(*ip), th, sizeof(*th)));
	put(1, bpf_tcp_check_syncookie(sk, ip, sizeof(*ip), th, sizeof(*th)));
	put(2, bpf_tcp_gen_syncookie(sk, ip, sizeof(*ip) - 1, th, sizeof(*th)));
	put(3, bpf_tcp_gen_syncookie(sk, ip, sizeof(*ip), th, sizeof(*th) - 1));
	put(4, bpf_tcp_check_syncookie(sk, ip, sizeof(*ip) - 1, th, sizeof(*th)));
	put(5, bpf_tcp_check_syncookie(sk, ip, sizeof(*ip), th, sizeof(*th) - 1));
	bpf_sk_release(sk);
	return 1;
}
