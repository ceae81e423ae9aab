// SPDX-License-Identifier: GPL-2.0
// Bad-input test program: nine nested BPF-to-BPF calls, one more frame than the kernel's
// MAX_CALL_FRAMES (8) allows (the verifier refuses it; the VM faults on the ninth frame).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define LEVEL(name, next)                                     \
	static __noinline int name(int x)                     \
	{                                                     \
		volatile int keep = x;                        \
		return next(keep + 1) + 1;                    \
	}

static __noinline int depth9(int x)
{
	volatile int keep = x;

	return keep;
}

LEVEL(depth8, depth9) /* FAULT bad_depth: the call to the ninth frame */
LEVEL(depth7, depth8)
LEVEL(depth6, depth7)
LEVEL(depth5, depth6)
LEVEL(depth4, depth5)
LEVEL(depth3, depth4)
LEVEL(depth2, depth3)

SEC("xdp")
int bad_depth(struct xdp_md *ctx)
{
	return depth2(ctx->ingress_ifindex) & 3;
}

char LICENSE[] SEC("license") = "GPL";
