// SPDX-License-Identifier: GPL-2.0
// Rule: bpf2bpf calls: static functions are verified in their caller's context; global functions
// are verified once, against their BTF signature (pointer arguments may be NULL, ctx arguments
// must be the ctx); caller-saved registers are gone after a call; at most 8 frames.
#include "corpus.h"

static __attribute__((noinline)) int add_one(int x)
{
	return x + 1;
}

SEC("xdp")
int ok_static_call(struct xdp_md *ctx)
{
	return add_one(ctx->rx_queue_index) > 4 ? XDP_DROP : XDP_PASS;
}

ASM_SUB(sub_no_return_value, "exit;" ::: "memory")
ASM("xdp", bad_subprog_without_r0, "call sub_no_return_value; exit;" ::: "memory")

__attribute__((noinline)) int global_reads_ctx(struct xdp_md *ctx)
{
	return ctx->ingress_ifindex;
}

SEC("xdp")
int ok_global_with_ctx(struct xdp_md *ctx)
{
	return global_reads_ctx(ctx) == 1 ? XDP_DROP : XDP_PASS;
}

ASM("xdp", bad_global_ctx_arg_is_scalar, "r1 = 0; call global_reads_ctx; r0 = 2; exit;" ::: "memory")

__attribute__((noinline)) int global_deref_unchecked(int *p)
{
	return *p;
}

__attribute__((noinline)) int global_deref_checked(int *p)
{
	return p ? *p : 0;
}

SEC("tc")
int bad_global_derefs_without_null_check(struct __sk_buff *skb)
{
	int x = skb->len;
	return global_deref_unchecked(&x);
}

SEC("tc")
int ok_global_checks_null(struct __sk_buff *skb)
{
	int x = skb->len;
	return global_deref_checked(&x);
}

ASM_SUB(sub_reads_r6, "r0 = r6; exit;" ::: "memory")
ASM("tc", bad_callee_reads_caller_r6, "r6 = 1; call sub_reads_r6; exit;" ::: "memory")

ASM_SUB(sub_returns_zero, "r0 = 0; exit;" ::: "memory")
ASM("socket", bad_caller_reads_r1_after_call, "call sub_returns_zero; r0 = r1; exit;" ::: "memory")
ASM("socket", ok_caller_keeps_r6, "r6 = 5; call sub_returns_zero; r0 = r6; exit;" ::: "memory")

#define CHAIN(name, next) ASM_SUB(name, "call " #next "; exit;" ::: "memory")
ASM_SUB(depth8, "r0 = 0; exit;" ::: "memory")
CHAIN(depth7, depth8)
CHAIN(depth6, depth7)
CHAIN(depth5, depth6)
CHAIN(depth4, depth5)
CHAIN(depth3, depth4)
CHAIN(depth2, depth3)
CHAIN(depth1, depth2)
ASM("xdp", ok_eight_frames, "call depth2; r0 = 2; exit;" ::: "memory")
ASM("xdp", bad_nine_frames, "call depth1; r0 = 2; exit;" ::: "memory")

char LICENSE[] SEC("license") = "GPL";
