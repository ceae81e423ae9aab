/* XDP multi-buffer (xdp.frags): frames larger than BPF_PROG_TEST_RUN's linear buffer reach the
 * program as a linear part (data to data_end) and page-sized fragments. The programs record what
 * they see into .bss and read their parameters from .rodata, so the VM's split, byte helpers,
 * adjust_tail and dynptrs are compared with the kernel's through the result's maps and packet. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;

/* Inputs, set by the case through rodata. */
const volatile __u32 offset_in;
const volatile __s32 tail_delta;

/* Outputs. */
__u32 linear_len;
__u32 buff_len;
__s64 load_ret;
__s64 store_ret;
__s64 tail_ret;
__u32 linear_after;
__u32 buff_after;
__u8 loaded[16];
__u32 dynptr_size;
__u32 slice_in_buffer;
__u32 slice_null;
__u8 sliced[8];

SEC("xdp.frags")
int xdp_frags_len(struct xdp_md *ctx)
{
	linear_len = ctx->data_end - ctx->data;
	buff_len = bpf_xdp_get_buff_len(ctx);
	return XDP_PASS;
}

/* Loads 16 bytes at offset_in, writes them back one higher each, 16 bytes later. */
SEC("xdp.frags")
int xdp_frags_rw(struct xdp_md *ctx)
{
	__u8 buf[16];

	load_ret = bpf_xdp_load_bytes(ctx, offset_in, buf, sizeof(buf));
	if (load_ret)
		return XDP_ABORTED;
	__builtin_memcpy(loaded, buf, sizeof(buf));
	for (int i = 0; i < 16; i++)
		buf[i] += 1;
	store_ret = bpf_xdp_store_bytes(ctx, offset_in + 16, buf, sizeof(buf));
	return XDP_TX;
}

SEC("xdp.frags")
int xdp_frags_tail(struct xdp_md *ctx)
{
	tail_ret = bpf_xdp_adjust_tail(ctx, tail_delta);
	linear_after = ctx->data_end - ctx->data;
	buff_after = bpf_xdp_get_buff_len(ctx);
	return XDP_PASS;
}

/* Slices 8 bytes at offset_in: a pointer into the frame when they sit in one buffer, the stack buffer otherwise. */
SEC("xdp.frags")
int xdp_frags_dynptr(struct xdp_md *ctx)
{
	struct bpf_dynptr ptr;
	__u8 buf[8] = {};
	const __u8 *p;

	if (bpf_dynptr_from_xdp(ctx, 0, &ptr))
		return XDP_ABORTED;
	dynptr_size = bpf_dynptr_size(&ptr);
	p = bpf_dynptr_slice(&ptr, offset_in, buf, sizeof(buf));
	if (!p) {
		slice_null = 1;
		return XDP_DROP;
	}
	slice_in_buffer = p == buf;
	__builtin_memcpy(sliced, p, sizeof(sliced));
	return XDP_PASS;
}

/* A program loaded without BPF_F_XDP_HAS_FRAGS, for what test_run does with a frame that does not fit. */
SEC("xdp")
int xdp_linear_len(struct xdp_md *ctx)
{
	linear_len = ctx->data_end - ctx->data;
	buff_len = bpf_xdp_get_buff_len(ctx);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
