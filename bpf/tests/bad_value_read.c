// SPDX-License-Identifier: GPL-2.0
// Refused-at-load test program: reads 4 bytes past a 4-byte map value (the verifier refuses it;
// the VM with `verify: false` reads the padding after the value, which is zero).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} small SEC(".maps");

SEC("xdp")
int value_read_past(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u32 *value = bpf_map_lookup_elem(&small, &key);

	if (!value)
		return XDP_ABORTED;
	asm volatile("" : "+r"(value));
	return value[1] == 0 ? XDP_PASS : XDP_DROP; /* REFUSED value_read_past */
}

char LICENSE[] SEC("license") = "GPL";
