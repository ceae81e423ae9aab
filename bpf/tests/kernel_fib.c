// Kernel-backend test program: an XDP router that looks up the IPv4 destination with
// bpf_fib_lookup, rewrites the MACs and redirects; the lookup's return code goes to a map.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} last_rc SEC(".maps");

SEC("xdp")
int xdp_fib(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct bpf_fib_lookup p = {};
	p.family = 2; /* AF_INET */
	p.tos = ip->tos;
	p.l4_protocol = ip->protocol;
	p.tot_len = bpf_ntohs(ip->tot_len);
	p.ipv4_src = ip->saddr;
	p.ipv4_dst = ip->daddr;
	p.ifindex = ctx->ingress_ifindex;
	long rc = bpf_fib_lookup(ctx, &p, sizeof(p), 0);
	__u32 zero = 0;
	__s64 v = rc + 100;
	bpf_map_update_elem(&last_rc, &zero, &v, BPF_ANY);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;
	__builtin_memcpy(eth->h_dest, p.dmac, 6);
	__builtin_memcpy(eth->h_source, p.smac, 6);
	return bpf_redirect(p.ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
