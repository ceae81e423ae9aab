// SPDX-License-Identifier: GPL-2.0
// Rule: frames: a function reaches another frame's stack only through a pointer passed as an
// argument; it may not return or store a pointer to its own frame for the caller.
#include "corpus.h"

static __attribute__((noinline)) int write_through(__u64 *p)
{
	*p = 42;
	return 0;
}

static __attribute__((noinline)) int read_through(__u64 *p)
{
	return *p + 1;
}

SEC("xdp")
int ok_callee_writes_caller_stack(struct xdp_md *ctx)
{
	volatile __u64 slot;
	write_through((__u64 *)&slot);
	return slot == 42 ? XDP_PASS : XDP_DROP;
}

SEC("tc")
int ok_callee_reads_caller_stack(struct __sk_buff *skb)
{
	volatile __u64 slot = skb->len;
	return read_through((__u64 *)&slot);
}

// The callee returns a pointer into its own frame.
ASM_SUB(sub_bad_return_own_stack_pointer,
    "r1 = 0; *(u64 *)(r10 - 8) = r1; r0 = r10; r0 += -8; exit;" ::: "memory")

ASM("xdp", bad_return_own_stack_pointer,
    "call sub_bad_return_own_stack_pointer; r0 = *(u64 *)(r0 + 0); r0 = 0; exit;" ::: "memory")

// The callee stores a pointer to its own frame into the caller's frame.
ASM_SUB(sub_bad_store_own_stack_pointer_in_caller,
    "r2 = r10; r2 += -16; *(u64 *)(r1 + 0) = r2; r0 = 0; exit;" ::: "memory")

ASM("tc", bad_store_own_stack_pointer_in_caller,
    "r1 = r10; r1 += -8; call sub_bad_store_own_stack_pointer_in_caller; r0 = 0; exit;" ::: "memory")

// The callee passes the caller's slot on to a helper as a map key.
ASM_SUB(sub_ok_callee_passes_caller_slot_to_helper,
    "r2 = r1; r1 = %[hash8] ll; call %[map_lookup_elem]; r0 = 0; exit;"
    :: H(map_lookup_elem), M(hash8))

ASM("xdp", ok_callee_passes_caller_slot_to_helper,
    "r1 = 0; *(u32 *)(r10 - 4) = r1; r1 = r10; r1 += -4; call sub_ok_callee_passes_caller_slot_to_helper; r0 = 0; exit;" ::: "memory")

// The callee writes just above the caller's frame through the passed pointer.
ASM_SUB(sub_bad_callee_writes_past_caller_frame,
    "r2 = 0; *(u64 *)(r1 + 8) = r2; r0 = 0; exit;" ::: "memory")

ASM("tc", bad_callee_writes_past_caller_frame,
    "r1 = r10; r1 += -8; call sub_bad_callee_writes_past_caller_frame; r0 = 0; exit;" ::: "memory")

// The callee's r10 is its own frame: reading what the caller wrote at the same offset is a read
// of the callee's own (uninitialised, allowed for root) slot, not the caller's.
ASM_SUB(sub_ok_callee_own_frame_is_separate,
    "r1 = 6; *(u64 *)(r10 - 8) = r1; r0 = *(u64 *)(r10 - 8); exit;" ::: "memory")

ASM("socket", ok_callee_own_frame_is_separate,
    "r1 = 5; *(u64 *)(r10 - 8) = r1; call sub_ok_callee_own_frame_is_separate; exit;" ::: "memory")

// A pointer into the caller's frame keeps its type: it may not be used as a map value pointer.
ASM_SUB(sub_bad_caller_pointer_beyond_callee_use,
    "r2 = 0; *(u64 *)(r1 - 512) = r2; r0 = 0; exit;" ::: "memory")

ASM("socket", bad_caller_pointer_beyond_callee_use,
    "r1 = r10; r1 += -8; call sub_bad_caller_pointer_beyond_callee_use; r0 = 0; exit;" ::: "memory")

char LICENSE[] SEC("license") = "GPL";
