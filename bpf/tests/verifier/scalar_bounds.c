// SPDX-License-Identifier: GPL-2.0
// Rule: scalar bounds: tnums and min/max through ALU operations and branches, checked where a
// variable offset indexes a 64-byte map value.
#include "corpus.h"

// r0 = value of array64, or exit 0; r1 = an unknown u64 (the packet length for XDP: data_end - data).
#define VALUE_AND_UNKNOWN \
	"r6 = *(u32 *)(r1 + 0); r7 = *(u32 *)(r1 + 4); r7 -= r6;" \
	LOOKUP0(array64) \
	"if r0 == 0 goto out_%=;" \
	"r1 = r7;"
#define READ_AT_R1 "r0 += r1; r0 = *(u8 *)(r0 + 0); out_%=: r0 = 0; exit;"
#define OPS :: H(map_lookup_elem), M(array64)

ASM("xdp", ok_and_mask, VALUE_AND_UNKNOWN "r1 &= 63;" READ_AT_R1 OPS)
ASM("xdp", bad_and_mask_too_wide, VALUE_AND_UNKNOWN "r1 &= 127;" READ_AT_R1 OPS)
ASM("xdp", ok_unsigned_branch, VALUE_AND_UNKNOWN "if r1 >= 64 goto out_%=;" READ_AT_R1 OPS)
ASM("xdp", bad_unsigned_branch_off_by_one, VALUE_AND_UNKNOWN "if r1 > 64 goto out_%=;" READ_AT_R1 OPS)
ASM("xdp", bad_signed_upper_only, VALUE_AND_UNKNOWN "if r1 s>= 64 goto out_%=;" READ_AT_R1 OPS)
ASM("xdp", ok_signed_both_sides, VALUE_AND_UNKNOWN "if r1 s>= 64 goto out_%=; if r1 s< 0 goto out_%=;" READ_AT_R1 OPS)
ASM("xdp", ok_rsh, VALUE_AND_UNKNOWN "r1 >>= 58;" READ_AT_R1 OPS)
ASM("xdp", bad_rsh_too_small, VALUE_AND_UNKNOWN "r1 >>= 57;" READ_AT_R1 OPS)
ASM("xdp", ok_mul_bounded, VALUE_AND_UNKNOWN "r1 &= 15; r1 *= 4;" READ_AT_R1 OPS)
ASM("xdp", bad_mul_overflows_value, VALUE_AND_UNKNOWN "r1 &= 15; r1 *= 5;" READ_AT_R1 OPS)
ASM("xdp", ok_tnum_or, VALUE_AND_UNKNOWN "r1 &= 48; r1 |= 15;" READ_AT_R1 OPS)
ASM("xdp", bad_tnum_or, VALUE_AND_UNKNOWN "r1 &= 48; r1 |= 79;" READ_AT_R1 OPS)
ASM("xdp", ok_sub_after_lower_bound, VALUE_AND_UNKNOWN "if r1 < 10 goto out_%=; if r1 > 73 goto out_%=; r1 -= 10;" READ_AT_R1 OPS)
ASM("xdp", bad_sub_may_go_negative, VALUE_AND_UNKNOWN "if r1 > 73 goto out_%=; r1 -= 10;" READ_AT_R1 OPS)
ASM("xdp", ok_equality_makes_constant, VALUE_AND_UNKNOWN "if r1 != 63 goto out_%=;" READ_AT_R1 OPS)
ASM("xdp", bad_inequality_learns_nothing, VALUE_AND_UNKNOWN "if r1 == 63 goto out_%=;" READ_AT_R1 OPS)
ASM("xdp", ok_reg_compare_with_bounded, VALUE_AND_UNKNOWN "r2 = 60; if r1 > r2 goto out_%=;" READ_AT_R1 OPS)

SEC("tc")
int ok_c_index_masked(struct __sk_buff *skb)
{
	__u32 key = 0;
	char *v = bpf_map_lookup_elem(&array64, &key);
	if (!v)
		return 0;
	return v[skb->len & 63];
}

SEC("tc")
int bad_c_index_unchecked(struct __sk_buff *skb)
{
	__u32 key = 0;
	char *v = bpf_map_lookup_elem(&array64, &key);
	if (!v)
		return 0;
	return v[skb->len];
}

char LICENSE[] SEC("license") = "GPL";
