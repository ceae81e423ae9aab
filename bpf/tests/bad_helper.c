// SPDX-License-Identifier: GPL-2.0
// Bad-input test program: calls helper 999, which no kernel has (the verifier refuses it with
// "invalid func unknown#999"; the loader or the VM refuses it at load).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static long (*const no_such_helper)(void) = (void *)999;

SEC("xdp")
int bad_helper(struct xdp_md *ctx)
{
	return no_such_helper() ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
