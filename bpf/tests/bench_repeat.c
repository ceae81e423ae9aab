// Bench test program: BPF_PROG_TEST_RUN's `repeat` runs a program again on the same buffer
// and context without restoring them (net/bpf/test_run.c, bpf_test_run), so each program here
// leaves a cumulative trace: a byte of the packet incremented, a global counter, and (XDP) the
// frame's head moved one byte per run, or (TC) skb->mark incremented.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

__u32 runs_seen;

SEC("xdp")
int bench_xdp_bump(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	if (data + 15 > end)
		return XDP_ABORTED;
	data[14]++;
	runs_seen++;
	return data[14] & 1 ? XDP_PASS : XDP_TX;
}

SEC("xdp")
int bench_xdp_pull(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	if (data + 16 > end)
		return XDP_DROP;
	runs_seen++;
	if (bpf_xdp_adjust_head(ctx, 1))
		return XDP_ABORTED;
	return XDP_PASS;
}

SEC("tc")
int bench_tc_bump(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data;
	__u8 *end = (void *)(long)skb->data_end;
	if (data + 15 > end)
		return TC_ACT_SHOT;
	data[14]++;
	skb->mark++;
	runs_seen++;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
