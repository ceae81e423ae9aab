// SPDX-License-Identifier: GPL-2.0
// Bad-input test program: a loop that never ends (the verifier refuses it; the VM stops it when
// the instruction budget runs out).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bad_loop(struct xdp_md *ctx)
{
	volatile __u32 spins = 0;

	for (;;)		/* LOOP */
		spins++;	/* LOOP */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
