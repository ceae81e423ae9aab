// SPDX-License-Identifier: GPL-2.0
// Rule: tail calls: bpf_tail_call takes the ctx, a prog array and an index; mixed with bpf2bpf
// calls, the frames below a tail call may use at most 256 bytes of stack.
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jump_table SEC(".maps");

SEC("xdp")
int ok_tail_call(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jump_table, 0);
	return XDP_PASS;
}

ASM("xdp", bad_tail_call_into_array,
    "r2 = %[array16] ll; r3 = 0; call %[tail_call]; r0 = 2; exit;" :: H(tail_call), M(array16))

ASM("tc", bad_tail_call_ctx_not_ctx,
    "r1 = r10; r2 = %[jump_table] ll; r3 = 0; call %[tail_call]; r0 = 0; exit;" :: H(tail_call), M(jump_table))

static __attribute__((noinline)) int jump_from_subprog(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jump_table, 1);
	return 0;
}

SEC("tc")
int ok_tail_call_from_subprog(struct __sk_buff *skb)
{
	volatile char buf[64];
	buf[skb->len & 63] = 1;
	return jump_from_subprog(skb) + buf[skb->mark & 63];
}

SEC("tc")
int bad_tail_call_below_big_frame(struct __sk_buff *skb)
{
	volatile char buf[300];
	buf[skb->len & 255] = 1;
	return jump_from_subprog(skb) + buf[skb->mark & 255];
}

SEC("socket")
int ok_socket_tail_call(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jump_table, 2);
	return 0;
}

ASM("socket", bad_tail_call_map_is_scalar,
    "r2 = 0; r3 = 0; call %[tail_call]; r0 = 0; exit;" :: H(tail_call))

char LICENSE[] SEC("license") = "GPL";
