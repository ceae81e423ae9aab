// SPDX-License-Identifier: GPL-2.0
// Rule: helper arguments are checked against the helper's prototype: argument types, memory that
// is readable (or writable) for the size given, sizes that are bounded constants or scalars.
#include "corpus.h"

ASM("xdp", bad_key_is_scalar, "r2 = 0; r1 = %[hash8] ll; call %[map_lookup_elem]; r0 = 0; exit;" :: H(map_lookup_elem), M(hash8))
ASM("xdp", bad_map_is_stack, "r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = r10; call %[map_lookup_elem]; r0 = 0; exit;" :: H(map_lookup_elem))
// The 16-byte value starts 8 bytes below the frame's top.
ASM("tc", bad_value_shorter_than_value_size,
    "r1 = 0; *(u32 *)(r10 - 16) = r1; *(u64 *)(r10 - 8) = r1; r2 = r10; r2 += -16; r3 = r10; r3 += -8; r4 = 0;"
    "r1 = %[array16] ll; call %[map_update_elem]; r0 = 0; exit;" :: H(map_update_elem), M(array16))

SEC("tc")
int ok_load_bytes(struct __sk_buff *skb)
{
	__u32 buf = 0;
	bpf_skb_load_bytes(skb, 0, &buf, sizeof(buf));
	return buf;
}

ASM("tc", bad_load_bytes_zero_len,
    "r2 = 0; r3 = r10; r3 += -8; r4 = 0; call %[skb_load_bytes]; r0 = 0; exit;" :: H(skb_load_bytes))
ASM("tc", bad_load_bytes_unbounded_len,
    "r6 = r1; call %[get_prandom_u32]; r4 = r0; r1 = r6; r2 = 0; r3 = r10; r3 += -16; call %[skb_load_bytes]; r0 = 0; exit;"
    :: H(skb_load_bytes), H(get_prandom_u32))
ASM("tc", ok_load_bytes_bounded_len,
    "r6 = r1; call %[get_prandom_u32]; r4 = r0; r4 &= 15; r4 += 1; r1 = r6; r2 = 0; r3 = r10; r3 += -16; call %[skb_load_bytes]; r0 = 0; exit;"
    :: H(skb_load_bytes), H(get_prandom_u32))
ASM("tc", bad_load_bytes_len_past_buffer,
    "r6 = r1; call %[get_prandom_u32]; r4 = r0; r4 &= 31; r4 += 1; r1 = r6; r2 = 0; r3 = r10; r3 += -16; call %[skb_load_bytes]; r0 = 0; exit;"
    :: H(skb_load_bytes), H(get_prandom_u32))
ASM("tc", bad_load_bytes_ctx_not_ctx,
    "r1 = r10; r2 = 0; r3 = r10; r3 += -8; r4 = 4; call %[skb_load_bytes]; r0 = 0; exit;" :: H(skb_load_bytes))

SEC("xdp")
int ok_csum_diff_null_from(struct xdp_md *ctx)
{
	__be32 to = 1;
	return bpf_csum_diff(0, 0, &to, sizeof(to), 0) ? XDP_PASS : XDP_DROP;
}

ASM("xdp", bad_adjust_head_scalar_ctx, "r1 = 0; r2 = 0; call %[xdp_adjust_head]; r0 = 2; exit;" :: H(xdp_adjust_head))

SEC("socket")
int ok_socket_load_bytes(struct __sk_buff *skb)
{
	__u16 proto = 0;
	bpf_skb_load_bytes(skb, 12, &proto, sizeof(proto));
	return proto;
}

ASM("socket", bad_socket_load_bytes_buffer_too_small,
    "r2 = 0; r3 = r10; r3 += -4; r4 = 8; call %[skb_load_bytes]; r0 = 0; exit;" :: H(skb_load_bytes))

char LICENSE[] SEC("license") = "GPL";
