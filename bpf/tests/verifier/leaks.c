// SPDX-License-Identifier: GPL-2.0
// Rule: pointer leaks. Loaded as root (env->allow_ptr_leaks), a program may store pointers in
// maps, packets and ctx and return them; what stays refused is a pointer returned from a
// global function or callback, and a pointer stored in pieces.
#include "corpus.h"

ASM("xdp", ok_root_pointer_into_map,
    LOOKUP0(array16) "*(u64 *)(r0 + 0) = r10; r0 = 0; exit;" :: H(map_lookup_elem), M(array16))
ASM("xdp", ok_root_return_pointer, "r0 = r1; exit;" ::: "memory")
ASM("tc", ok_root_pointer_into_packet,
    "r2 = *(u32 *)(r1 + 76); r3 = *(u32 *)(r1 + 80);"
    "r4 = r2; r4 += 8; if r4 > r3 goto out_%=; *(u64 *)(r2 + 0) = r1; out_%=: r0 = 0; exit;" ::: "memory")

ASM_SUB(sub_return_ctx, "r0 = r1; exit;" ::: "memory")
ASM("xdp", ok_root_static_subprog_returns_pointer, "call sub_return_ctx; r0 = 2; exit;" ::: "memory")

ASM("tc", bad_pointer_stored_as_u32,
    LOOKUP0(array16) "*(u32 *)(r10 - 16) = r0; r0 = 0; exit;" :: H(map_lookup_elem), M(array16))
ASM("socket", ok_root_socket_returns_pointer, "r0 = r10; exit;" ::: "memory")
ASM("socket", bad_pointer_half_spill,
    "*(u32 *)(r10 - 8) = r1; r0 = 0; exit;" ::: "memory")

static __attribute__((noinline)) long ptr_callback(__u64 i, void *ctx)
{
	return (long)ctx;
}

SEC("tc")
int bad_callback_returns_pointer(struct __sk_buff *skb)
{
	__u64 slot = 0;
	return bpf_loop(1, ptr_callback, &slot, 0);
}

__attribute__((noinline)) long global_returns_pointer(struct __sk_buff *skb)
{
	return (long)skb;
}

SEC("tc")
int bad_global_function_returns_pointer(struct __sk_buff *skb)
{
	return global_returns_pointer(skb) != 0;
}

char LICENSE[] SEC("license") = "GPL";
