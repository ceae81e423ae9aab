/* A program that tail-calls itself until the kernel stops it: each run executes it
 * 1 + MAX_TAIL_CALL_CNT (33) times, counted in `entries`. Under BPF_PROG_TEST_RUN's repeat the
 * limit applies per run, so N repeats count 34 * N. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} self SEC(".maps");

__u64 entries = 0;

SEC("xdp")
int loop_self(struct xdp_md *ctx)
{
	__sync_fetch_and_add(&entries, 1);
	bpf_tail_call(ctx, &self, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
