/* XDP and TC: one header parser over a dynptr (bpf_dynptr_from_xdp, bpf_dynptr_from_skb), each
 * header read with bpf_dynptr_slice, which points into the frame or, where a header crosses into
 * an XDP fragment that no data/data_end pointer reaches, copies it into the stack buffer given;
 * the XDP program takes multi-buffer frames (xdp.frags). Ethernet, one 802.1Q/802.1ad tag, IPv4 (with options, first fragments only) or
 * IPv6, then TCP or UDP ports. A TCP or UDP destination port listed in `blocked` drops the packet;
 * `stats` counts what was parsed and `last` keeps the last packet's summary. */
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

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern int bpf_dynptr_from_skb(struct __sk_buff *s, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

enum { STAT_IPV4, STAT_IPV6, STAT_OTHER, STAT_VLAN, STAT_TRUNCATED, STAT_BLOCKED, STAT_MAX };

/* What the parser found; the key of `blocked` is its (proto, dport) part. */
struct summary {
	__u16 vlan_id;  /* 0 when untagged */
	__u16 l3_proto; /* EtherType, host order */
	__u8 l4_proto;  /* IPPROTO_*, 0 when none */
	__u8 pad;
	__u16 l4_off;   /* from the Ethernet header */
	__u16 sport;    /* host order */
	__u16 dport;
};

struct port_key {
	__u8 proto;
	__u8 pad;
	__u16 port; /* host order */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct port_key);
	__type(value, __u64);
} blocked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct summary);
} last SEC(".maps");

static __always_inline void count(__u32 stat)
{
	__u64 *n = bpf_map_lookup_elem(&stats, &stat);
	if (n)
		__sync_fetch_and_add(n, 1);
}

/* Parses the frame behind `ptr` into `s`; returns 1 when its destination port is blocked, -1
 * when a header is cut short, else 0. */
static __always_inline int parse(struct bpf_dynptr *ptr, struct summary *s)
{
	struct ethhdr eth_buf;
	struct ethhdr *eth = bpf_dynptr_slice(ptr, 0, &eth_buf, sizeof(eth_buf));
	__u32 off = sizeof(*eth);
	__u16 proto;

	if (!eth)
		return -1;
	proto = bpf_ntohs(eth->h_proto);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		__be16 tag_buf[2];
		__be16 *tag = bpf_dynptr_slice(ptr, off, tag_buf, sizeof(tag_buf));
		if (!tag)
			return -1;
		s->vlan_id = bpf_ntohs(tag[0]) & 0xfff;
		proto = bpf_ntohs(tag[1]);
		off += sizeof(tag_buf);
		count(STAT_VLAN);
	}
	s->l3_proto = proto;

	if (proto == ETH_P_IP) {
		struct iphdr ip_buf;
		struct iphdr *ip = bpf_dynptr_slice(ptr, off, &ip_buf, sizeof(ip_buf));
		if (!ip || ip->ihl < 5)
			return -1;
		count(STAT_IPV4);
		/* Only a first fragment carries the L4 header. */
		if (ip->frag_off & bpf_htons(IP_OFFSET))
			return 0;
		s->l4_proto = ip->protocol;
		off += ip->ihl * 4;
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr ip6_buf;
		struct ipv6hdr *ip6 = bpf_dynptr_slice(ptr, off, &ip6_buf, sizeof(ip6_buf));
		if (!ip6)
			return -1;
		count(STAT_IPV6);
		s->l4_proto = ip6->nexthdr;
		off += sizeof(*ip6);
	} else {
		count(STAT_OTHER);
		return 0;
	}

	/* Both headers start with the two ports. */
	if (s->l4_proto != IPPROTO_TCP && s->l4_proto != IPPROTO_UDP)
		return 0;
	__be16 ports_buf[2];
	__be16 *ports = bpf_dynptr_slice(ptr, off, ports_buf, sizeof(ports_buf));
	if (!ports)
		return -1;
	s->l4_off = off;
	s->sport = bpf_ntohs(ports[0]);
	s->dport = bpf_ntohs(ports[1]);

	struct port_key key = { .proto = s->l4_proto, .port = s->dport };
	__u64 *hits = bpf_map_lookup_elem(&blocked, &key);
	if (!hits)
		return 0;
	__sync_fetch_and_add(hits, 1);
	count(STAT_BLOCKED);
	return 1;
}

/* Parses, records the summary and says whether to drop. */
static __always_inline int verdict(struct bpf_dynptr *ptr)
{
	struct summary s = {};
	__u32 zero = 0;
	int rc = parse(ptr, &s);

	if (rc < 0)
		count(STAT_TRUNCATED);
	bpf_map_update_elem(&last, &zero, &s, BPF_ANY);
	return rc;
}

SEC("xdp.frags")
int xdp_dynptr_parse(struct xdp_md *ctx)
{
	struct bpf_dynptr ptr;

	if (bpf_dynptr_from_xdp(ctx, 0, &ptr))
		return XDP_ABORTED;
	return verdict(&ptr) == 1 ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int tc_dynptr_parse(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;

	if (bpf_dynptr_from_skb(skb, 0, &ptr))
		return TC_ACT_SHOT;
	return verdict(&ptr) == 1 ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
