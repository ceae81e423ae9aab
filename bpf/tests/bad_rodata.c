// SPDX-License-Identifier: GPL-2.0
// Bad-input test program: writes to a `const volatile` global, which lives in .rodata (a
// read-only map for programs: the verifier refuses the store; the VM faults).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 limit = 10;

SEC("xdp")
int bad_rodata(struct xdp_md *ctx)
{
	*(volatile __u32 *)&limit = ctx->ingress_ifindex; /* FAULT bad_rodata */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
