// SPDX-License-Identifier: GPL-2.0
// Bad-input test program: dereferences a map lookup's result without checking it for NULL
// (the verifier refuses it; on an empty map the VM reads address 0 and faults).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("xdp")
int bad_null(struct xdp_md *ctx)
{
	__u32 key = 1;
	__u64 *count = bpf_map_lookup_elem(&counts, &key);

	return *count; /* FAULT bad_null */
}

char LICENSE[] SEC("license") = "GPL";
