/* XDP layer-4 load balancer for one virtual IP: a Maglev lookup table picks a backend by flow
 * hash, the destination address and port are rewritten with incremental checksum updates
 * (bpf_csum_diff), and the kernel FIB chooses the egress: redirect when it knows the next
 * hop, XDP_TX back out of the ingress interface otherwise. */
#include "parse.h"

#define AF_INET 2
#define LUT_SIZE 251 /* prime, as Maglev requires */

struct backend {
	__be32 addr;
	__be16 port;
	__u8 mac[6];
};

struct vip {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LUT_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} maglev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

/* The virtual service; set from user space before loading. */
volatile struct vip service = {};

struct lb_stats {
	__u64 forwarded;
	__u64 bounced;
	__u64 missed;
};
struct lb_stats stats = {};

static __always_inline __u32 rotl(__u32 x, int k)
{
	return (x << k) | (x >> (32 - k));
}

/* A small avalanche hash of the flow (murmur3-style finaliser over the five tuple). */
static __always_inline __u32 flow_hash(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport, __u8 proto)
{
	__u32 h = 0x9747b28c ^ proto;
	h = rotl(h ^ saddr, 13) * 5 + 0xe6546b64;
	h = rotl(h ^ daddr, 13) * 5 + 0xe6546b64;
	h = rotl(h ^ (((__u32)sport << 16) | dport), 13) * 5 + 0xe6546b64;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static __always_inline __u16 fold(__u64 sum)
{
	__u32 s = (__u32)sum + (__u32)(sum >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/* RFC 1624: new checksum from the old one and the difference bpf_csum_diff computed. */
static __always_inline __u16 csum_update(__u16 check, __s64 diff)
{
	return fold((__u64)(__u32)diff + (__u16)~check);
}

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	struct cursor c = { .pos = (void *)(long)ctx->data, .end = (void *)(long)ctx->data_end };
	eth_t *eth = take_eth_t(&c);
	if (!eth || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ipv4_t *ip = take_ipv4_t(&c);
	if (!ip || ip->ihl != 5)
		return XDP_PASS;
	if (ip->daddr != service.addr || ip->protocol != service.proto)
		return XDP_PASS;

	__u16 *l4_check;
	__be16 *dport_field;
	__be16 sport;
	if (ip->protocol == IPPROTO_TCP) {
		tcp_t *tcp = take_tcp_t(&c);
		if (!tcp)
			return XDP_PASS;
		l4_check = &tcp->check;
		dport_field = &tcp->dest;
		sport = tcp->source;
	} else if (ip->protocol == IPPROTO_UDP) {
		udp_t *udp = take_udp_t(&c);
		if (!udp)
			return XDP_PASS;
		l4_check = &udp->check;
		dport_field = &udp->dest;
		sport = udp->source;
	} else {
		return XDP_PASS;
	}
	if (*dport_field != service.port)
		return XDP_PASS;

	__u32 slot = flow_hash(ip->saddr, ip->daddr, sport, *dport_field, ip->protocol) % LUT_SIZE;
	__u32 *backend_id = bpf_map_lookup_elem(&maglev, &slot);
	if (!backend_id)
		return XDP_ABORTED;
	struct backend *be = bpf_map_lookup_elem(&backends, backend_id);
	if (!be) {
		__sync_fetch_and_add(&stats.missed, 1);
		return XDP_DROP;
	}

	__be32 old_addr = ip->daddr;
	__be32 new_addr = be->addr;
	__be32 old_port = *dport_field;
	__be32 new_port = be->port;
	__s64 addr_diff = bpf_csum_diff(&old_addr, 4, &new_addr, 4, 0);
	ip->check = csum_update(ip->check, addr_diff);
	ip->daddr = new_addr;
	if (ip->protocol == IPPROTO_TCP || *l4_check) {
		__s64 l4_diff = bpf_csum_diff(&old_port, 4, &new_port, 4, addr_diff);
		*l4_check = csum_update(*l4_check, l4_diff);
		if (ip->protocol == IPPROTO_UDP && *l4_check == 0)
			*l4_check = 0xffff;
	}
	*dport_field = be->port;

	struct bpf_fib_lookup fib = {};
	fib.family = AF_INET;
	fib.l4_protocol = ip->protocol;
	fib.tot_len = bpf_ntohs(ip->tot_len);
	fib.ipv4_src = ip->saddr;
	fib.ipv4_dst = new_addr;
	fib.ifindex = ctx->ingress_ifindex;
	long rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
		__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
		__sync_fetch_and_add(&stats.forwarded, 1);
		return bpf_redirect(fib.ifindex, 0);
	}
	__u8 tmp[ETH_ALEN];
	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	__sync_fetch_and_add(&stats.bounced, 1);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
