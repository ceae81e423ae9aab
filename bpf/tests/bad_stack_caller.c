// SPDX-License-Identifier: GPL-2.0
// Bad-input test program: a BPF-to-BPF callee reads its caller's frame through r10 + 8 (the
// verifier refuses any access above the frame pointer; unverified, the VM reads the caller's frame).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __noinline int peek(int x)
{
	long v;

	asm volatile("%0 = *(u64 *)(r10 + 8)" : "=r"(v)); /* FAULT bad_stack_caller */
	return v + x;
}

SEC("xdp")
int bad_stack_caller(struct xdp_md *ctx)
{
	volatile long keep = ctx->ingress_ifindex;

	return peek(keep) & 3;
}

char LICENSE[] SEC("license") = "GPL";
