/* A BPF test program in the style bpfsim's toPassBpfChecks matcher reads: it returns 0 when
 * every check holds and __LINE__ of the first that fails. It checks what XDP shows it of an
 * IPv4/UDP packet to port 53. */
#include "parse.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			return __LINE__; \
	} while (0)

SEC("xdp")
int checks(struct xdp_md *ctx)
{
	struct cursor c = { .pos = (void *)(long)ctx->data, .end = (void *)(long)ctx->data_end };
	eth_t *eth = take_eth_t(&c);
	CHECK(eth);
	CHECK(eth->h_proto == bpf_htons(ETH_P_IP));
	ipv4_t *ip = take_ipv4_t(&c);
	CHECK(ip);
	CHECK(ip->ttl == 64);
	CHECK(ip->protocol == IPPROTO_UDP);
	udp_t *udp = take_udp_t(&c);
	CHECK(udp);
	CHECK(udp->dest == bpf_htons(53));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
