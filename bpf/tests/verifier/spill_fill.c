// SPDX-License-Identifier: GPL-2.0
// Rule: spills and fills: an 8-byte register spill keeps the register's type and bounds; a fill of
// a different size, or a slot partly overwritten, gives an unknown scalar (or is refused).
#include "corpus.h"

// r0 = value of array64 (never NULL: constant key), r7 = an unknown scalar (a random number).
#define VALUE_AND_UNKNOWN \
	"call %[get_prandom_u32]; r7 = r0;" \
	LOOKUP0(array64)
#define OPS :: H(map_lookup_elem), H(get_prandom_u32), M(array64)

ASM("xdp", ok_bounded_scalar_survives_spill,
    VALUE_AND_UNKNOWN
    "r7 &= 63; *(u64 *)(r10 - 16) = r7; r1 = *(u64 *)(r10 - 16);"
    "r0 += r1; r0 = *(u8 *)(r0 + 0); exit;" OPS)

ASM("tc", bad_spill_partly_overwritten,
    VALUE_AND_UNKNOWN
    "r7 &= 63; *(u64 *)(r10 - 16) = r7; r2 = 1; *(u8 *)(r10 - 9) = r2; r1 = *(u64 *)(r10 - 16);"
    "r0 += r1; r0 = *(u8 *)(r0 + 0); exit;" OPS)

ASM("xdp", ok_pointer_survives_spill,
    VALUE_AND_UNKNOWN
    "*(u64 *)(r10 - 16) = r0; r1 = *(u64 *)(r10 - 16);"
    "r0 = *(u8 *)(r1 + 63); exit;" OPS)

ASM("xdp", bad_pointer_spill_overwritten,
    VALUE_AND_UNKNOWN
    "*(u64 *)(r10 - 16) = r0; r2 = 1; *(u8 *)(r10 - 16) = r2; r1 = *(u64 *)(r10 - 16);"
    "r0 = *(u8 *)(r1 + 0); exit;" OPS)

ASM("xdp", bad_pointer_fill_narrow,
    VALUE_AND_UNKNOWN
    "*(u64 *)(r10 - 16) = r0; r1 = *(u32 *)(r10 - 16);"
    "r0 = *(u8 *)(r1 + 0); exit;" OPS)

ASM("tc", ok_ctx_spilled_across_call,
    "*(u64 *)(r10 - 8) = r1; call %[get_prandom_u32]; r1 = *(u64 *)(r10 - 8);"
    "r0 = *(u32 *)(r1 + 0); exit;" :: H(get_prandom_u32))

ASM("xdp", ok_packet_range_survives_spill,
    "r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4);"
    "r4 = r2; r4 += 14; if r4 > r3 goto out_%=;"
    "*(u64 *)(r10 - 8) = r2; r5 = *(u64 *)(r10 - 8);"
    "r0 = *(u8 *)(r5 + 13); exit;"
    "out_%=: r0 = 2; exit;" ::: "memory")

ASM("xdp", ok_range_learned_after_spill,
    "r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4);"
    "*(u64 *)(r10 - 8) = r2;"
    "r4 = r2; r4 += 14; if r4 > r3 goto out_%=;"
    "r5 = *(u64 *)(r10 - 8);"
    "r0 = *(u8 *)(r5 + 13); exit;"
    "out_%=: r0 = 2; exit;" ::: "memory")

ASM("socket", ok_constant_survives_spill,
    VALUE_AND_UNKNOWN
    "r7 = 40; *(u64 *)(r10 - 16) = r7; r1 = *(u64 *)(r10 - 16);"
    "r0 += r1; r0 = *(u8 *)(r0 + 0); exit;" OPS)

ASM("socket", bad_unbounded_scalar_spilled,
    VALUE_AND_UNKNOWN
    "*(u64 *)(r10 - 16) = r7; r1 = *(u64 *)(r10 - 16);"
    "r0 += r1; r0 = *(u8 *)(r0 + 0); exit;" OPS)

ASM("tc", ok_u32_spill_keeps_bounds,
    VALUE_AND_UNKNOWN
    "w7 &= 63; *(u32 *)(r10 - 16) = r7; r1 = *(u32 *)(r10 - 16);"
    "r0 += r1; r0 = *(u8 *)(r0 + 0); exit;" OPS)

ASM("tc", bad_fill_wider_than_spill,
    VALUE_AND_UNKNOWN
    "w7 &= 63; r2 = -1; *(u64 *)(r10 - 16) = r2; *(u32 *)(r10 - 16) = r7; r1 = *(u64 *)(r10 - 16);"
    "r0 += r1; r0 = *(u8 *)(r0 + 0); exit;" OPS)

char LICENSE[] SEC("license") = "GPL";
