// SPDX-License-Identifier: GPL-2.0
// Tail-call semantics the VM must share with the kernel. Load both programs, put `target` in
// slot 0 of `jt` and run `entry`: it returns 7 when a bpf_tail_call to an empty slot does not
// count against MAX_TAIL_CALL_CNT (33), as on x86-64 since 6.10 (checked on 6.18 with bpftool
// prog run), and 1 when empty slots count.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} jt SEC(".maps");

SEC("xdp")
int target(struct xdp_md *ctx)
{
	return 7;
}

SEC("xdp")
int entry(struct xdp_md *ctx)
{
	// Slot 1 stays empty: each of these falls through.
	for (int i = 0; i < 40; i++)
		bpf_tail_call(ctx, &jt, 1);
	bpf_tail_call(ctx, &jt, 0);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
