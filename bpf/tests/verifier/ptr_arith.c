// SPDX-License-Identifier: GPL-2.0
// Rule: pointer arithmetic: constant and bounded offsets on stack, packet and map value pointers;
// none on pkt_end, no ALU but add/sub, no 32-bit ALU, no pointer + pointer.
#include "corpus.h"

ASM("xdp", bad_add_to_pkt_end, "r2 = *(u32 *)(r1 + 4); r2 += 1; r0 = 2; exit;" ::: "memory")
ASM("xdp", bad_mul_pointer, "r2 = r10; r2 *= 2; r0 = 2; exit;" ::: "memory")
ASM("tc", bad_alu32_on_pointer, "r2 = r10; w2 += -8; r0 = 0; exit;" ::: "memory")
ASM("tc", bad_pointer_plus_pointer, "r2 = r10; r3 = r1; r2 += r3; r0 = 0; exit;" ::: "memory")
ASM("xdp", ok_fp_constant_offset, "r2 = r10; r2 += -16; r3 = 1; *(u64 *)(r2 + 8) = r3; r0 = 2; exit;" ::: "memory")
ASM("tc", ok_pointer_difference_is_scalar, "r2 = r10; r2 += -16; r3 = r10; r3 -= r2; r0 = r3; exit;" ::: "memory")
ASM("xdp", ok_map_value_bounded_offset,
    LOOKUP0(array64) "r1 = *(u32 *)(r0 + 0); r1 &= 28; r0 += r1; r0 = *(u32 *)(r0 + 32); exit;"
    :: H(map_lookup_elem), M(array64))
ASM("xdp", bad_map_value_and_on_pointer,
    LOOKUP0(array64) "r0 &= -8; r0 = *(u32 *)(r0 + 0); exit;" :: H(map_lookup_elem), M(array64))
ASM("socket", bad_ctx_plus_unknown, "r6 = r1; call %[get_prandom_u32]; r6 += r0; r0 = *(u32 *)(r6 + 0); exit;" :: H(get_prandom_u32))
ASM("socket", ok_ctx_offset_undone, "r1 += 4; r1 -= 4; r0 = *(u32 *)(r1 + 0); exit;" ::: "memory")
ASM("xdp", bad_packet_offset_too_large,
    "r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r2 += 0x10000;"
    "r4 = r2; r4 += 1; if r4 > r3 goto out_%=; r0 = *(u8 *)(r2 + 0); exit; out_%=: r0 = 2; exit;" ::: "memory")
ASM("tc", ok_packet_sub_constant,
    "r2 = *(u32 *)(r1 + 76); r3 = *(u32 *)(r1 + 80); r2 += 20; r2 -= 6;"
    "r4 = r2; r4 += 1; if r4 > r3 goto out_%=; r0 = *(u8 *)(r2 + 0); exit; out_%=: r0 = 0; exit;" ::: "memory")

char LICENSE[] SEC("license") = "GPL";
