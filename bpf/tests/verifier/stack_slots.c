// SPDX-License-Identifier: GPL-2.0
// Rule: stack slot states. Loaded as root (CAP_PERFMON: env->allow_uninit_stack), reads of stack
// bytes never written are allowed, directly, through a helper, or at a variable offset; accesses
// must still stay inside the 512-byte frame, be aligned, and variable offsets be bounded.
#include "corpus.h"

ASM("xdp", ok_write_then_read,
    "r1 = 7; *(u64 *)(r10 - 8) = r1; r0 = *(u64 *)(r10 - 8); exit;" ::: "memory")

ASM("xdp", ok_root_reads_uninit,
    "r0 = *(u64 *)(r10 - 8); exit;" ::: "memory")

ASM("tc", ok_root_reads_partly_init,
    "r1 = 7; *(u32 *)(r10 - 8) = r1; r0 = *(u64 *)(r10 - 8); exit;" ::: "memory")

ASM("tc", ok_two_halves_then_u64,
    "r1 = 7; *(u32 *)(r10 - 8) = r1; *(u32 *)(r10 - 4) = r1; r0 = *(u64 *)(r10 - 8); exit;" ::: "memory")

ASM("xdp", bad_below_frame,
    "r1 = 7; *(u64 *)(r10 - 520) = r1; r0 = 0; exit;" ::: "memory")

ASM("xdp", bad_above_frame,
    "r1 = 7; *(u64 *)(r10 + 8) = r1; r0 = 0; exit;" ::: "memory")

ASM("socket", bad_misaligned,
    "r1 = 7; *(u32 *)(r10 - 6) = r1; r0 = 0; exit;" ::: "memory")

ASM("socket", ok_byte_of_written_slot,
    "r1 = 7; *(u64 *)(r10 - 8) = r1; r0 = *(u8 *)(r10 - 3); exit;" ::: "memory")

ASM("xdp", ok_root_uninit_map_key,
    "r2 = r10; r2 += -4; r1 = %[hash8] ll; call %[map_lookup_elem]; r0 = 0; exit;"
    :: H(map_lookup_elem), M(hash8))

ASM("xdp", ok_init_map_key,
    "r1 = 0; *(u32 *)(r10 - 4) = r1;"
    "r2 = r10; r2 += -4; r1 = %[hash8] ll; call %[map_lookup_elem]; r0 = 0; exit;"
    :: H(map_lookup_elem), M(hash8))

// r1 = fp-16 + (0 or 8) from an unknown bit.
#define VAR_FP "call %[get_prandom_u32]; r0 &= 8; r1 = r10; r1 += -16; r1 += r0;"

ASM("tc", ok_variable_offset_read_initialised,
    "r2 = 1; *(u64 *)(r10 - 16) = r2; *(u64 *)(r10 - 8) = r2;"
    VAR_FP "r0 = *(u64 *)(r1 + 0); exit;"
    :: H(get_prandom_u32))

ASM("tc", ok_root_variable_offset_read_uninitialised,
    "r2 = 1; *(u64 *)(r10 - 16) = r2;"
    VAR_FP "r0 = *(u64 *)(r1 + 0); exit;"
    :: H(get_prandom_u32))

ASM("xdp", ok_variable_offset_write,
    VAR_FP "r2 = 0; *(u64 *)(r1 + 0) = r2; r0 = 0; exit;"
    :: H(get_prandom_u32))

ASM("tc", bad_subtract_variable_from_fp,
    "call %[get_prandom_u32]; r0 &= 8; r1 = r10; r1 += -512; r1 -= r0;"
    "r2 = 0; *(u64 *)(r1 + 0) = r2; r0 = 0; exit;"
    :: H(get_prandom_u32))

ASM("xdp", bad_variable_offset_unbounded,
    "call %[get_prandom_u32]; r1 = r10; r1 += r0;"
    "r2 = 0; *(u64 *)(r1 - 8) = r2; r0 = 0; exit;"
    :: H(get_prandom_u32))

ASM("socket", bad_helper_key_outside_frame,
    "r2 = r10; r2 += -516; r1 = %[hash8] ll; call %[map_lookup_elem]; r0 = 0; exit;"
    :: H(map_lookup_elem), M(hash8))

SEC("socket")
int ok_c_struct_on_stack(struct __sk_buff *skb)
{
	volatile struct val16 v = { .a = skb->len, .b = skb->protocol };
	return v.a + v.b;
}

ASM("tc", ok_root_helper_reads_uninit_value,
    "r1 = 0; *(u32 *)(r10 - 4) = r1;"
    "r2 = r10; r2 += -4; r3 = r10; r3 += -16; r4 = 0;"
    "r1 = %[hash8] ll; call %[map_update_elem]; r0 = 0; exit;"
    :: H(map_update_elem), M(hash8))

char LICENSE[] SEC("license") = "GPL";
