// SPDX-License-Identifier: GPL-2.0
// Bad-input test program: packet reads without a bounds check (the verifier refuses them; the
// VM faults). Each faulting line is marked FAULT so the tests can find the line the fault names.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} jump SEC(".maps");

SEC("xdp")
int bad_oob(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;

	return data[200]; /* FAULT bad_oob */
}

static __noinline int read_far(struct xdp_md *ctx, int off)
{
	__u8 *data = (void *)(long)ctx->data;

	if (off < 0)
		return -1;
	return data[off] + 1; /* FAULT bad_oob_sub */
}

SEC("xdp")
int bad_oob_sub(struct xdp_md *ctx)
{
	int before = ctx->ingress_ifindex;

	return read_far(ctx, 300 + before) + before;
}

SEC("xdp")
int bad_oob_tail(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jump, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
