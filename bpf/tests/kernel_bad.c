// Kernel-backend test program: the verifier rejects it (the packet is read without a bounds check).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_unchecked(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	return data[20]; /* REFUSED xdp_unchecked */
}

char LICENSE[] SEC("license") = "GPL";
