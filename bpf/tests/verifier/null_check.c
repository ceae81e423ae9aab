// SPDX-License-Identifier: GPL-2.0
// Rule: NULL checks: a map lookup returns map_value_or_null, which becomes map_value on the
// non-NULL branch (for every register with the same id) and the scalar 0 on the other.
#include "corpus.h"

SEC("xdp")
int ok_lookup_checked(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct val16 *v = bpf_map_lookup_elem(&array16, &key);
	if (!v)
		return XDP_PASS;
	return v->a ? XDP_DROP : XDP_PASS;
}

ASM("xdp", bad_lookup_unchecked,
    LOOKUP0(hash8)
    "r0 = *(u64 *)(r0 + 0); exit;"
    :: H(map_lookup_elem), M(hash8))

ASM("tc", bad_read_on_null_branch,
    LOOKUP0(hash8)
    "if r0 != 0 goto out_%=;"
    "r0 = *(u64 *)(r0 + 0); exit;"
    "out_%=: r0 = 0; exit;"
    :: H(map_lookup_elem), M(hash8))

ASM("tc", ok_check_on_copy,
    LOOKUP0(hash8)
    "r6 = r0;"
    "if r0 == 0 goto out_%=;"
    "r0 = *(u64 *)(r6 + 0); exit;"
    "out_%=: r0 = 0; exit;"
    :: H(map_lookup_elem), M(hash8))

ASM("xdp", bad_arith_before_check,
    LOOKUP0(hash8)
    "r0 += 8;"
    "if r0 == 0 goto out_%=;"
    "r0 = *(u64 *)(r0 + 0); exit;"
    "out_%=: r0 = 0; exit;"
    :: H(map_lookup_elem), M(hash8))

// An array lookup with a constant key below max_entries cannot fail: no check needed.
ASM("xdp", ok_array_constant_key_never_null,
    LOOKUP0(array16)
    "r0 = *(u64 *)(r0 + 8); exit;"
    :: H(map_lookup_elem), M(array16))

ASM("socket", ok_not_equal_branch,
    LOOKUP0(hash8)
    "if r0 != 0 goto use_%=;"
    "exit;"
    "use_%=: r0 = *(u64 *)(r0 + 0); exit;"
    :: H(map_lookup_elem), M(hash8))

ASM("socket", bad_hash_unchecked,
    LOOKUP0(hash8)
    "r0 = *(u64 *)(r0 + 0); exit;"
    :: H(map_lookup_elem), M(hash8))

SEC("socket")
int ok_c_hash_lookup(struct __sk_buff *skb)
{
	__u32 key = skb->len;
	__u64 *v = bpf_map_lookup_elem(&hash8, &key);
	return v ? *v : 0;
}

ASM("tc", bad_copy_before_lookup_not_checked,
    LOOKUP0(hash8)
    "r6 = r0;"
    LOOKUP0(hash8)
    "if r0 == 0 goto out_%=;"
    "r0 = *(u64 *)(r6 + 0); exit;"
    "out_%=: r0 = 0; exit;"
    :: H(map_lookup_elem), M(hash8))

ASM("xdp", bad_null_compared_with_nonzero,
    LOOKUP0(hash8)
    "if r0 == 1 goto out_%=;"
    "r0 = *(u64 *)(r0 + 0); exit;"
    "out_%=: r0 = 0; exit;"
    :: H(map_lookup_elem), M(hash8))

char LICENSE[] SEC("license") = "GPL";
