// SPDX-License-Identifier: GPL-2.0
// Refused-at-load test program: a packet pointer checked against data_end, then used after
// bpf_xdp_adjust_tail, which invalidates every packet pointer (the verifier refuses the read; the
// VM with `verify: false` reads the byte, still inside the shrunk packet).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int stale_after_tail(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *data_end = (void *)(long)ctx->data_end;

	if (data + 64 > data_end)
		return XDP_DROP;
	if (bpf_xdp_adjust_tail(ctx, -4))
		return XDP_ABORTED;
	return data[0] == 2 ? XDP_PASS : XDP_DROP; /* REFUSED stale_after_tail */
}

char LICENSE[] SEC("license") = "GPL";
