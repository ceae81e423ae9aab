/* Replay test programs. replay_headroom grows the frame 4 bytes into the headroom, answers XDP_TX when those
 * bytes were zero (as every new frame's headroom is) and XDP_DROP when a run before left
 * something there, and writes 0xab over them, so a replay that reuses the frame's layout must
 * zero the headroom again for each packet. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int replay_headroom(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, -4))
		return XDP_ABORTED;
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	if (data + 4 > end)
		return XDP_ABORTED;
	int dirty = data[0] | data[1] | data[2] | data[3];
	data[0] = 0xab;
	data[1] = 0xab;
	data[2] = 0xab;
	data[3] = 0xab;
	return dirty ? XDP_DROP : XDP_TX;
}

/* Grows every frame by 2,000 bytes at its tail (zeroed, as the kernel does) and sends it back
 * out, so that a replay's output is larger than its input. */
SEC("xdp")
int replay_grow(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_tail(ctx, 2000))
		return XDP_ABORTED;
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
