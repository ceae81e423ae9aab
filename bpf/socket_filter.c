/* Socket filter for a packet capture socket: keeps the IPv4 and IPv6 headers and the first
 * bytes of the transport header of TCP and UDP packets to a watched port, drops everything
 * else, and counts what it kept and dropped per IP protocol. A socket filter sees the skb from
 * its network header and cannot read it directly: bytes come through bpf_skb_load_bytes. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Transport bytes kept after the IP header: both ports and, for TCP, sequence and flags. */
#define L4_SNAP 16

struct counts {
	__u64 kept;
	__u64 dropped;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct counts);
} by_proto SEC(".maps");

/* Destination port to keep, host byte order; set before load. */
const volatile __u16 watched_port = 22;

static __always_inline int count(__u32 proto, int keep)
{
	struct counts *c = bpf_map_lookup_elem(&by_proto, &proto);
	if (c) {
		if (keep)
			__sync_fetch_and_add(&c->kept, 1);
		else
			__sync_fetch_and_add(&c->dropped, 1);
	}
	return keep;
}

SEC("socket")
int socket_filter(struct __sk_buff *skb)
{
	__u32 l3_len, proto;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;
		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0)
			return 0;
		l3_len = ip.ihl * 4;
		proto = ip.protocol;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;
		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) < 0)
			return 0;
		l3_len = sizeof(ip6);
		proto = ip6.nexthdr;
	} else {
		return 0;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return count(proto, 0);
	__be16 ports[2];
	if (bpf_skb_load_bytes_relative(skb, l3_len & 0x3f, ports, sizeof(ports), BPF_HDR_START_NET) < 0)
		return count(proto, 0);
	/* Remembered for a later program on the same skb, as cb[] is meant for. */
	skb->cb[0] = bpf_ntohs(ports[1]);
	if (bpf_ntohs(ports[1]) != watched_port)
		return count(proto, 0);
	count(proto, 1);
	__u32 snap = (l3_len & 0x3f) + L4_SNAP;
	return snap < skb->len ? snap : skb->len;
}

char LICENSE[] SEC("license") = "GPL";
