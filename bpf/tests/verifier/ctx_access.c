// SPDX-License-Identifier: GPL-2.0
// Rule: context access per program type: which fields of xdp_md and __sk_buff each type may read
// or write, at which sizes, and only at a constant offset from the unmodified ctx pointer.
#include "corpus.h"

SEC("xdp")
int ok_xdp_reads_every_field(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	void *meta = (void *)(long)ctx->data_meta;
	return (end - data) + ctx->ingress_ifindex + ctx->rx_queue_index + (meta < data) > 100;
}

ASM("xdp", bad_xdp_write_data, "r2 = 0; *(u32 *)(r1 + 0) = r2; r0 = 2; exit;" ::: "memory")
ASM("xdp", bad_xdp_egress_ifindex_outside_devmap, "r0 = *(u32 *)(r1 + 24); exit;" ::: "memory")
ASM("xdp", bad_xdp_narrow_data_load, "r0 = *(u8 *)(r1 + 0); exit;" ::: "memory")
ASM("xdp", bad_xdp_past_end, "r0 = *(u32 *)(r1 + 28); exit;" ::: "memory")
ASM("xdp", bad_xdp_modified_ctx_pointer, "r1 += 4; r0 = *(u32 *)(r1 + 0); exit;" ::: "memory")
ASM("xdp", bad_xdp_narrow_ifindex_load, "r0 = *(u8 *)(r1 + 12); exit;" ::: "memory")

SEC("tc")
int ok_tc_reads_and_writes(struct __sk_buff *skb)
{
	skb->mark = skb->len;
	skb->priority = skb->protocol;
	skb->cb[0] = skb->ifindex;
	skb->tc_classid = 1;
	skb->tc_index = 2;
	skb->tstamp = 0;
	return 0;
}

ASM("tc", bad_tc_write_len, "r2 = 0; *(u32 *)(r1 + 0) = r2; r0 = 0; exit;" ::: "memory")
ASM("tc", bad_tc_read_family, "r0 = *(u32 *)(r1 + 88); exit;" ::: "memory")
ASM("tc", bad_tc_variable_offset,
    "r6 = r1; call %[get_prandom_u32]; r0 &= 4; r6 += r0; r0 = *(u32 *)(r6 + 0); exit;" :: H(get_prandom_u32))
ASM("tc", bad_tc_write_protocol, "r2 = 0; *(u32 *)(r1 + 16) = r2; r0 = 0; exit;" ::: "memory")
ASM("tc", ok_tc_narrow_mark_load, "r0 = *(u16 *)(r1 + 8); exit;" ::: "memory")

SEC("socket")
int ok_socket_reads_and_cb(struct __sk_buff *skb)
{
	skb->cb[1] = skb->len + skb->protocol + skb->mark + skb->ifindex;
	return skb->cb[1];
}

ASM("socket", bad_socket_write_mark, "r2 = 0; *(u32 *)(r1 + 8) = r2; r0 = 0; exit;" ::: "memory")
ASM("socket", bad_socket_read_data, "r0 = *(u32 *)(r1 + 76); exit;" ::: "memory")
ASM("socket", ok_socket_read_tc_classid, "r0 = *(u32 *)(r1 + 64); exit;" ::: "memory")
ASM("socket", bad_socket_write_priority, "r2 = 0; *(u32 *)(r1 + 32) = r2; r0 = 0; exit;" ::: "memory")
ASM("socket", bad_socket_read_tstamp_type, "r0 = *(u8 *)(r1 + 180); exit;" ::: "memory")
ASM("socket", ok_socket_narrow_gso_size_load, "r0 = *(u8 *)(r1 + 177); exit;" ::: "memory")

char LICENSE[] SEC("license") = "GPL";
