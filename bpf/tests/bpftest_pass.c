/* bpfsim test: an XDP suite whose tests all pass or skip, for the vitest adapter (bpfTests). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define TEST_PASS 101
#define TEST_FAIL 102
#define TEST_SKIP 103

SEC("xdp/test/trim/pktgen")
int trim_pktgen(struct xdp_md *ctx)
{
	__u8 *data, *end;

	/* Cut the harness's buffer down to the 60-byte frame built here. */
	if (bpf_xdp_adjust_tail(ctx, 60 - (int)(ctx->data_end - ctx->data)))
		return TEST_FAIL;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + 2 > end)
		return TEST_FAIL;
	data[0] = 0xab;
	data[1] = 0xcd;
	return TEST_PASS;
}

SEC("xdp/test/trim/setup")
int trim_setup(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("xdp/test/trim/check")
int trim_check(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (data + 6 > end || end - data != 64)
		return TEST_FAIL;
	/* setup's verdict, then pktgen's bytes */
	if (*(__u32 *)data != XDP_TX || data[4] != 0xab || data[5] != 0xcd)
		return TEST_FAIL;
	return TEST_PASS;
}

SEC("xdp/test/later/check")
int later_check(struct xdp_md *ctx)
{
	return TEST_SKIP;
}

char _license[] SEC("license") = "GPL";
