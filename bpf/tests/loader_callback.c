/* Loader test object: callbacks passed to bpf_loop, i.e. lddw function pointers (BPF_PSEUDO_FUNC). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static int small(__u32 i, void *ctx)
{
	return i > 3;
}

static int large(__u32 i, void *ctx)
{
	return i > 5;
}

SEC("xdp")
int xdp_callbacks(struct xdp_md *ctx)
{
	bpf_loop(10, small, 0, 0);
	bpf_loop(10, large, 0, 0);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
