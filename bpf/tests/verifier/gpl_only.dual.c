// SPDX-License-Identifier: GPL-2.0 OR MIT
// Rule: gpl_only helpers need a GPL-compatible license; "Dual MIT/GPL" is one.
#include "corpus.h"

SEC("xdp")
int ok_trace_printk_dual_license(struct xdp_md *ctx)
{
	bpf_printk("x");
	return XDP_PASS;
}

SEC("tc")
int ok_probe_read_kernel_dual_license(struct __sk_buff *skb)
{
	__u64 v;
	return bpf_probe_read_kernel(&v, sizeof(v), (void *)(long)skb->len);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
