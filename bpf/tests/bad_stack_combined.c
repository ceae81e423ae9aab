// SPDX-License-Identifier: GPL-2.0
// Bad-input test program: 320 bytes of stack in the program and 320 in the function it calls,
// more than the 512 bytes the kernel lets a call chain share (the verifier refuses it with
// "combined stack size of 2 calls is ..."; unverified, the VM runs it: its frames are 512 bytes each).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __noinline int fill(int seed)
{
	volatile char buf[320];

	for (int i = 0; i < 320; i += 64)
		buf[i] = seed + i;
	return buf[seed & 63];
}

SEC("xdp")
int bad_stack_combined(struct xdp_md *ctx)
{
	volatile char buf[320];

	for (int i = 0; i < 320; i += 64)
		buf[i] = ctx->ingress_ifindex + i;
	return (fill(buf[ctx->rx_queue_index & 63]) + buf[8]) & 3; /* FAULT bad_stack_combined */
}

char LICENSE[] SEC("license") = "GPL";
