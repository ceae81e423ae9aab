// SPDX-License-Identifier: GPL-2.0
// Rule: stack size: each frame has at most 512 bytes, and so has the whole chain of bpf2bpf
// frames (each rounded up to 32 bytes) that are live at once.
#include "corpus.h"

#define FRAME_USER(name, bytes)                          \
	static __attribute__((noinline)) int name(int x) \
	{                                                \
		volatile char buf[bytes];                \
		buf[x & (bytes - 1)] = x;                \
		return buf[(x + 1) & (bytes - 1)];       \
	}

FRAME_USER(use128, 128)
FRAME_USER(use256, 256)
FRAME_USER(use16, 16)

static __attribute__((noinline)) int use256_then_128(int x)
{
	volatile char buf[256];
	buf[x & 255] = x;
	return buf[(x + 1) & 255] + use128(x);
}

static __attribute__((noinline)) int use128_then_128(int x)
{
	volatile char buf[128];
	buf[x & 127] = x;
	return buf[(x + 1) & 127] + use128(x);
}

SEC("xdp")
int ok_caller_256_callee_128(struct xdp_md *ctx)
{
	volatile char buf[256];
	buf[ctx->ingress_ifindex & 255] = 1;
	return buf[ctx->rx_queue_index & 255] + use128(ctx->ingress_ifindex);
}

SEC("xdp")
int ok_caller_256_callee_256_exactly_512(struct xdp_md *ctx)
{
	volatile char buf[256];
	buf[ctx->ingress_ifindex & 255] = 1;
	return buf[ctx->rx_queue_index & 255] + use256(ctx->ingress_ifindex);
}

SEC("tc")
int ok_three_frames_within_512(struct __sk_buff *skb)
{
	volatile char buf[128];
	buf[skb->len & 127] = 1;
	return buf[skb->mark & 127] + use128_then_128(skb->len);
}

SEC("tc")
int bad_three_frames_over_512(struct __sk_buff *skb)
{
	volatile char buf[256];
	buf[skb->len & 127] = 1;
	return buf[skb->mark & 127] + use256_then_128(skb->len);
}

SEC("socket")
int ok_sequential_calls_do_not_add(struct __sk_buff *skb)
{
	volatile char buf[256];
	buf[skb->len & 255] = 1;
	return buf[skb->mark & 255] + use128(skb->len) + use128(skb->protocol) + use16(1);
}

SEC("socket")
int bad_socket_frames_over_512(struct __sk_buff *skb)
{
	volatile char buf[384];
	buf[skb->len & 255] = 1;
	return buf[skb->mark & 255] + use256(skb->len);
}

ASM("xdp", ok_full_frame,
    "r1 = 0; *(u64 *)(r10 - 512) = r1; r0 = *(u64 *)(r10 - 512); exit;" ::: "memory")

ASM("xdp", bad_past_full_frame,
    "r1 = 0; *(u8 *)(r10 - 513) = r1; r0 = 0; exit;" ::: "memory")

char LICENSE[] SEC("license") = "GPL";
