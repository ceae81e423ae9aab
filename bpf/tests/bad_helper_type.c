// SPDX-License-Identifier: GPL-2.0
// Bad-input test program: calls bpf_skb_store_bytes, a TC helper, from XDP (the verifier refuses
// it: "program of this type cannot use helper bpf_skb_store_bytes#9").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bad_helper_type(struct xdp_md *ctx)
{
	__u32 zero = 0;

	bpf_skb_store_bytes((void *)ctx, 0, &zero, sizeof(zero), 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
