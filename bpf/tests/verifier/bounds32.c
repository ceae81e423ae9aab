// SPDX-License-Identifier: GPL-2.0
// Rule: 32-bit bounds: the verifier tracks the low 32 bits separately (s32/u32 min/max), learns
// from jmp32 comparisons, zero-extends after 32-bit ALU ops, and checks wrap-around.
#include "corpus.h"

// r0 = value of array64, or exit 0; r1 = an unknown u64 built from the packet length and a
// random 32-bit number in the upper half.
#define VALUE_AND_UNKNOWN64 \
	"r6 = *(u32 *)(r1 + 0); r7 = *(u32 *)(r1 + 4); r7 -= r6;" \
	"call %[get_prandom_u32]; r0 <<= 32; r7 |= r0;" \
	LOOKUP0(array64) \
	"if r0 == 0 goto out_%=;" \
	"r1 = r7;"
#define READ_AT_R1 "r0 += r1; r0 = *(u8 *)(r0 + 0); out_%=: r0 = 0; exit;"
#define OPS :: H(map_lookup_elem), H(get_prandom_u32), M(array64)

ASM("xdp", bad_jmp32_bounds_low_half_only, VALUE_AND_UNKNOWN64 "if w1 >= 64 goto out_%=;" READ_AT_R1 OPS)
ASM("xdp", ok_zext_then_jmp32, VALUE_AND_UNKNOWN64 "w1 = w1; if w1 >= 64 goto out_%=;" READ_AT_R1 OPS)
ASM("xdp", ok_alu32_and, VALUE_AND_UNKNOWN64 "w1 &= 63;" READ_AT_R1 OPS)
ASM("xdp", ok_alu32_add_in_range, VALUE_AND_UNKNOWN64 "w1 &= 31; w1 += 32;" READ_AT_R1 OPS)
ASM("xdp", bad_alu32_add_past_end, VALUE_AND_UNKNOWN64 "w1 &= 63; w1 += 1;" READ_AT_R1 OPS)
ASM("xdp", bad_alu32_sub_wraps, VALUE_AND_UNKNOWN64 "w1 &= 63; w1 -= 1;" READ_AT_R1 OPS)
ASM("xdp", bad_jmp32_signed_upper_only, VALUE_AND_UNKNOWN64 "w1 = w1; if w1 s>= 64 goto out_%=;" READ_AT_R1 OPS)
ASM("xdp", ok_jmp32_signed_both_sides, VALUE_AND_UNKNOWN64 "w1 = w1; if w1 s>= 64 goto out_%=; if w1 s< 0 goto out_%=;" READ_AT_R1 OPS)
ASM("xdp", ok_shift_pair_zext, VALUE_AND_UNKNOWN64 "r1 <<= 32; r1 >>= 32; if r1 > 63 goto out_%=;" READ_AT_R1 OPS)
ASM("xdp", bad_arsh_keeps_sign, VALUE_AND_UNKNOWN64 "r1 <<= 32; r1 s>>= 58;" READ_AT_R1 OPS)
ASM("xdp", ok_rsh32, VALUE_AND_UNKNOWN64 "w1 >>= 26;" READ_AT_R1 OPS)
ASM("xdp", bad_rsh32_too_small, VALUE_AND_UNKNOWN64 "w1 >>= 25;" READ_AT_R1 OPS)

SEC("tc")
int ok_c_u32_compare(struct __sk_buff *skb)
{
	__u32 key = 0, idx = skb->len;
	char *v = bpf_map_lookup_elem(&array64, &key);
	if (!v || idx >= 64)
		return 0;
	return v[idx];
}

SEC("socket")
int bad_c_u32_off_by_one(struct __sk_buff *skb)
{
	__u32 key = 0, idx = skb->len;
	char *v = bpf_map_lookup_elem(&array64, &key);
	if (!v || idx > 64)
		return 0;
	return v[idx];
}

char LICENSE[] SEC("license") = "GPL";
