// SPDX-License-Identifier: MIT
// Rule: gpl_only helpers need a GPL-compatible license; this object's license is "MIT", which is
// not (include/linux/license.h: license_is_gpl_compatible).
#include "corpus.h"

SEC("xdp")
int bad_trace_printk(struct xdp_md *ctx)
{
	bpf_printk("x");
	return XDP_PASS;
}

SEC("xdp")
int ok_map_lookup(struct xdp_md *ctx)
{
	__u32 key = 0;
	return bpf_map_lookup_elem(&hash8, &key) ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int bad_probe_read_kernel(struct __sk_buff *skb)
{
	__u64 v;
	return bpf_probe_read_kernel(&v, sizeof(v), (void *)(long)skb->len);
}

SEC("tc")
int ok_prandom(struct __sk_buff *skb)
{
	return bpf_get_prandom_u32() & 1;
}

SEC("socket")
int bad_socket_trace_printk(struct __sk_buff *skb)
{
	bpf_printk("len %d", skb->len);
	return 0;
}

SEC("socket")
int ok_socket_ktime(struct __sk_buff *skb)
{
	return bpf_ktime_get_ns() & 1;
}

char LICENSE[] SEC("license") = "MIT";
