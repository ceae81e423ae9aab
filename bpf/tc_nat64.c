/* TC: stateful NAT64 (RFC 6146) between IPv6 clients and IPv4 servers reached through the
 * well-known prefix 64:ff9b::/96 (RFC 6052). Each new IPv6 TCP or UDP flow takes an IPv4 address
 * from the `free_v4` queue (filled by user space) and keeps it until a FIN or RST in either
 * direction closes the flow, which pushes the address back. IPv6 packets to the prefix leave as
 * IPv4 from the flow's address; IPv4 replies to a flow's address come back as IPv6. Headers are
 * swapped with bpf_skb_change_proto, the IPv4 header checksum computed with bpf_csum_diff and the
 * TCP/UDP checksum fixed for the new pseudo-header with bpf_l4_csum_replace. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define NAT64_PREFIX 0x0064ff9b /* 64:ff9b::/96 */
#define IP_DF 0x4000

/* An IPv6 flow as the client sent it. */
struct flow6 {
	struct in6_addr src;
	struct in6_addr dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct nat64_stats {
	__u64 out;       /* IPv6 packets translated to IPv4 */
	__u64 in;        /* IPv4 packets translated back to IPv6 */
	__u64 opened;    /* flows that took an address */
	__u64 closed;    /* flows that gave theirs back */
	__u64 exhausted; /* new flows dropped: no address left */
};

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 16);
	__type(value, __be32);
} free_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow6);
	__type(value, __be32);
} v6_to_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, struct flow6);
} v4_to_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nat64_stats);
} stats SEC(".maps");

/* The L4 ports and the offset of the checksum in the L4 header; -1 when it is no TCP or UDP
 * header that fits, 1 when a TCP FIN or RST closes the flow, else 0. */
static __always_inline int l4_ports(void *l4, void *data_end, __u8 proto, __be16 *sport, __be16 *dport, __u32 *csum_off)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;
		if ((void *)(th + 1) > data_end)
			return -1;
		*sport = th->source;
		*dport = th->dest;
		*csum_off = offsetof(struct tcphdr, check);
		return th->fin || th->rst;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;
		if ((void *)(uh + 1) > data_end)
			return -1;
		*sport = uh->source;
		*dport = uh->dest;
		*csum_off = offsetof(struct udphdr, check);
		return 0;
	}
	return -1;
}

static __always_inline void release(struct flow6 *flow, __be32 addr, struct nat64_stats *st)
{
	bpf_map_delete_elem(&v6_to_v4, flow);
	bpf_map_delete_elem(&v4_to_v6, &addr);
	bpf_map_push_elem(&free_v4, &addr, 0);
	st->closed++;
}

static __always_inline __u16 fold(__s64 sum)
{
	__u32 s = sum;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

static __always_inline int flags_of(__u8 proto)
{
	return BPF_F_PSEUDO_HDR | (proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0);
}

static __always_inline int nat64_out(struct __sk_buff *skb, struct nat64_stats *st)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
	struct flow6 flow = {};
	__u32 csum_off;
	__be32 addr, *mapped;
	int closing;

	if ((void *)(ip6 + 1) > data_end)
		return TC_ACT_OK;
	if (ip6->daddr.in6_u.u6_addr32[0] != bpf_htonl(NAT64_PREFIX) || ip6->daddr.in6_u.u6_addr32[1] || ip6->daddr.in6_u.u6_addr32[2])
		return TC_ACT_OK;
	closing = l4_ports(ip6 + 1, data_end, ip6->nexthdr, &flow.sport, &flow.dport, &csum_off);
	if (closing < 0)
		return TC_ACT_OK;
	flow.src = ip6->saddr;
	flow.dst = ip6->daddr;
	flow.proto = ip6->nexthdr;

	mapped = bpf_map_lookup_elem(&v6_to_v4, &flow);
	if (mapped) {
		addr = *mapped;
	} else {
		if (bpf_map_pop_elem(&free_v4, &addr)) {
			st->exhausted++;
			return TC_ACT_SHOT;
		}
		bpf_map_update_elem(&v6_to_v4, &flow, &addr, BPF_NOEXIST);
		bpf_map_update_elem(&v4_to_v6, &addr, &flow, BPF_NOEXIST);
		st->opened++;
	}

	struct iphdr iph = {
		.version = 4,
		.ihl = 5,
		.tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4),
		.tot_len = bpf_htons(bpf_ntohs(ip6->payload_len) + sizeof(struct iphdr)),
		.frag_off = bpf_htons(IP_DF),
		.ttl = ip6->hop_limit,
		.protocol = flow.proto,
		.saddr = addr,
		.daddr = ip6->daddr.in6_u.u6_addr32[3],
	};
	/* The pseudo-headers differ only in their addresses. */
	__s64 l4_diff = bpf_csum_diff((__be32 *)&ip6->saddr, 32, (__be32 *)&iph.saddr, 8, 0);
	iph.check = fold(bpf_csum_diff(0, 0, (__be32 *)&iph, sizeof(iph), 0));

	__be16 proto = bpf_htons(ETH_P_IP);
	if (bpf_skb_change_proto(skb, proto, 0))
		return TC_ACT_SHOT;
	bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, sizeof(proto), 0);
	bpf_skb_store_bytes(skb, sizeof(struct ethhdr), &iph, sizeof(iph), 0);
	bpf_l4_csum_replace(skb, sizeof(struct ethhdr) + sizeof(iph) + csum_off, 0, l4_diff, flags_of(flow.proto));
	if (closing)
		release(&flow, addr, st);
	st->out++;
	return TC_ACT_OK;
}

static __always_inline int nat64_in(struct __sk_buff *skb, struct nat64_stats *st)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	struct flow6 *found, flow;
	__be16 sport, dport;
	__u32 csum_off;
	int closing;

	if ((void *)(iph + 1) > data_end || iph->ihl != 5)
		return TC_ACT_OK;
	found = bpf_map_lookup_elem(&v4_to_v6, &iph->daddr);
	if (!found)
		return TC_ACT_OK;
	flow = *found;
	closing = l4_ports(iph + 1, data_end, iph->protocol, &sport, &dport, &csum_off);
	/* Only the flow's own replies: its protocol, its server's address and ports swapped. */
	if (closing < 0 || iph->protocol != flow.proto || iph->saddr != flow.dst.in6_u.u6_addr32[3] || sport != flow.dport || dport != flow.sport)
		return TC_ACT_OK;

	struct ipv6hdr ip6 = {
		.version = 6,
		.priority = iph->tos >> 4,
		.flow_lbl = { (iph->tos & 0xf) << 4 },
		.payload_len = bpf_htons(bpf_ntohs(iph->tot_len) - sizeof(struct iphdr)),
		.nexthdr = iph->protocol,
		.hop_limit = iph->ttl,
		.saddr = flow.dst,
		.daddr = flow.src,
	};
	__be32 addr = iph->daddr;
	__s64 l4_diff = bpf_csum_diff((__be32 *)&iph->saddr, 8, (__be32 *)&ip6.saddr, 32, 0);

	__be16 proto = bpf_htons(ETH_P_IPV6);
	if (bpf_skb_change_proto(skb, proto, 0))
		return TC_ACT_SHOT;
	bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, sizeof(proto), 0);
	bpf_skb_store_bytes(skb, sizeof(struct ethhdr), &ip6, sizeof(ip6), 0);
	bpf_l4_csum_replace(skb, sizeof(struct ethhdr) + sizeof(ip6) + csum_off, 0, l4_diff, flags_of(flow.proto));
	if (closing)
		release(&flow, addr, st);
	st->in++;
	return TC_ACT_OK;
}

SEC("tc")
int tc_nat64(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct nat64_stats *st = bpf_map_lookup_elem(&stats, &zero);

	if (!st)
		return TC_ACT_SHOT;
	if (skb->protocol == bpf_htons(ETH_P_IPV6))
		return nat64_out(skb, st);
	if (skb->protocol == bpf_htons(ETH_P_IP))
		return nat64_in(skb, st);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
