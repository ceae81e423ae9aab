/* Bounds-checked header parsing shared by the bpfsim examples. Each helper advances a cursor
 * and returns NULL when the header does not fit before data_end, so callers stay
 * verifier-friendly with one check per header. */
#ifndef BPFSIM_PARSE_H
#define BPFSIM_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct cursor {
	void *pos;
	void *end;
};

#define CURSOR_TAKE(type)                                                  \
	static __always_inline type *take_##type(struct cursor *c)         \
	{                                                                  \
		type *hdr = c->pos;                                        \
		if ((void *)(hdr + 1) > c->end)                            \
			return NULL;                                       \
		c->pos = hdr + 1;                                          \
		return hdr;                                                \
	}

typedef struct ethhdr eth_t;
typedef struct iphdr ipv4_t;
typedef struct ipv6hdr ipv6_t;
typedef struct tcphdr tcp_t;
typedef struct udphdr udp_t;

CURSOR_TAKE(eth_t)
CURSOR_TAKE(ipv4_t)
CURSOR_TAKE(ipv6_t)
CURSOR_TAKE(tcp_t)
CURSOR_TAKE(udp_t)

/* Skips IPv4 options: ihl counts 32-bit words and must be at least 5. */
static __always_inline int skip_ipv4_options(struct cursor *c, ipv4_t *ip)
{
	__u32 options = (ip->ihl - 5) * 4;
	if (ip->ihl < 5 || options > 40)
		return -1;
	if (c->pos + options > c->end)
		return -1;
	c->pos += options;
	return 0;
}

/* Ports of the TCP or UDP header at the cursor, network byte order; -1 for other protocols. */
static __always_inline int take_ports(struct cursor *c, __u8 proto, __be16 *sport, __be16 *dport)
{
	if (proto == IPPROTO_TCP) {
		tcp_t *tcp = take_tcp_t(c);
		if (!tcp)
			return -1;
		*sport = tcp->source;
		*dport = tcp->dest;
		return 0;
	}
	if (proto == IPPROTO_UDP) {
		udp_t *udp = take_udp_t(c);
		if (!udp)
			return -1;
		*sport = udp->source;
		*dport = udp->dest;
		return 0;
	}
	return -1;
}

/* An IPv4 TCP or UDP packet's header and ports, from the start of the frame. */
struct ipv4_l4 {
	ipv4_t *ip;
	__be16 sport;
	__be16 dport;
};

/* Parses Ethernet, IPv4 (options skipped) and the TCP or UDP ports; -1 for anything else. */
static __always_inline int parse_ipv4_l4(void *data, void *data_end, struct ipv4_l4 *out)
{
	struct cursor c = { .pos = data, .end = data_end };
	eth_t *eth = take_eth_t(&c);
	if (!eth || eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	ipv4_t *ip = take_ipv4_t(&c);
	if (!ip || skip_ipv4_options(&c, ip))
		return -1;
	out->ip = ip;
	return take_ports(&c, ip->protocol, &out->sport, &out->dport);
}

#endif
