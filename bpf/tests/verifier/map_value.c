// SPDX-License-Identifier: GPL-2.0
// Rule: map values: every access, and every region passed to a helper, stays inside value_size.
#include "corpus.h"

#define LOOKUP_HASH "r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[map] ll; call %[map_lookup_elem]; if r0 == 0 goto out_%=;"
#define OUT "out_%=: r0 = 0; exit;"
#define OPS16 :: H(map_lookup_elem), [map] "i"(&array16)

ASM("xdp", ok_last_field, LOOKUP0(array16) "r0 = *(u64 *)(r0 + 8); exit;" :: H(map_lookup_elem), M(array16))
ASM("xdp", bad_past_end, LOOKUP0(array16) "r0 = *(u64 *)(r0 + 16); exit;" :: H(map_lookup_elem), M(array16))
ASM("xdp", bad_before_start, LOOKUP0(array16) "r0 = *(u64 *)(r0 - 8); exit;" :: H(map_lookup_elem), M(array16))
ASM("tc", bad_straddles_end, LOOKUP0(array16) "r0 = *(u64 *)(r0 + 12); exit;" :: H(map_lookup_elem), M(array16))
ASM("tc", ok_write_whole_value, LOOKUP0(array16) "r1 = 1; *(u64 *)(r0 + 0) = r1; *(u64 *)(r0 + 8) = r1; r0 = 0; exit;" :: H(map_lookup_elem), M(array16))
ASM("socket", bad_hash_value_past_end, LOOKUP_HASH "r0 = *(u32 *)(r0 + 8); exit;" OUT :: H(map_lookup_elem), [map] "i"(&hash8))
ASM("socket", ok_hash_value, LOOKUP_HASH "r0 = *(u32 *)(r0 + 4); exit;" OUT :: H(map_lookup_elem), [map] "i"(&hash8))

SEC("tc")
int ok_value_as_helper_value(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct val16 *v = bpf_map_lookup_elem(&array16, &key);
	if (!v)
		return 0;
	return bpf_map_update_elem(&hash8, &key, &v->b, BPF_ANY);
}

// A 16-byte key read from an 8-byte value.
ASM("xdp", bad_value_as_too_long_key,
    LOOKUP_HASH "r2 = r0; r1 = %[key16] ll; call %[map_lookup_elem];" OUT
    :: H(map_lookup_elem), [map] "i"(&hash8), [key16] "i"(&hash_key16))

ASM("xdp", ok_value_as_key,
    LOOKUP_HASH "r2 = r0; r1 = %[map] ll; call %[map_lookup_elem];" OUT
    :: H(map_lookup_elem), [map] "i"(&hash8))

SEC("xdp")
int ok_c_bounded_index(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u32 *v = bpf_map_lookup_elem(&array16, &key);
	if (!v)
		return XDP_PASS;
	return v[ctx->rx_queue_index & 3];
}

SEC("xdp")
int bad_c_index_one_too_many(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u32 *v = bpf_map_lookup_elem(&array16, &key);
	__u32 i = ctx->rx_queue_index;
	if (!v || i > 4)
		return XDP_PASS;
	return v[i];
}

char LICENSE[] SEC("license") = "GPL";
