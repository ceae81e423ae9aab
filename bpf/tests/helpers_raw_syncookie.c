/* bpf_tcp_raw_gen_syncookie_ipv4, which bpfsim does not simulate: a run fails naming it and this line. */
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_raw_syncookie(struct xdp_md *ctx)
{
	struct iphdr ip = {};
	struct tcphdr th = {};

	return bpf_tcp_raw_gen_syncookie_ipv4(&ip, &th, sizeof(th)) < 0;
}

char _license[] SEC("license") = "GPL";
