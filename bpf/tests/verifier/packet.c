// SPDX-License-Identifier: GPL-2.0
// Rule: packet ranges: a packet access must lie inside the range learned from a comparison with
// data_end; the range is shared by every register with the same id.
#include "corpus.h"

SEC("xdp")
int ok_eth_after_check(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	return eth->h_proto == 0x0008 ? XDP_PASS : XDP_DROP;
}

ASM("xdp", bad_one_past_checked_range,
    "r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4);"
    "r4 = r2; r4 += 14; if r4 > r3 goto out_%=;"
    "r0 = *(u8 *)(r2 + 14);"
    "out_%=: r0 = 2; exit;" ::: "memory")

SEC("tc")
int bad_no_check(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data;
	return data[12];
}

ASM("tc", ok_reversed_compare,
    "r2 = *(u32 *)(r1 + 76); r3 = *(u32 *)(r1 + 80);"
    "r4 = r2; r4 += 14; if r3 < r4 goto out_%=;"
    "r0 = *(u16 *)(r2 + 12); exit;"
    "out_%=: r0 = 0; exit;" ::: "memory")

ASM("xdp", ok_range_on_copy_with_same_id,
    "r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4);"
    "r5 = r2;"
    "r4 = r2; r4 += 14; if r4 > r3 goto out_%=;"
    "r0 = *(u8 *)(r5 + 13); exit;"
    "out_%=: r0 = 2; exit;" ::: "memory")

ASM("xdp", bad_read_on_failed_branch,
    "r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4);"
    "r4 = r2; r4 += 14; if r4 <= r3 goto out_%=;"
    "r0 = *(u8 *)(r2 + 0); exit;"
    "out_%=: r0 = 2; exit;" ::: "memory")

SEC("xdp")
int ok_variable_offset_rechecked(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return XDP_DROP;
	__u8 *l4 = (void *)ip + (ip->ihl & 0xf) * 4;
	if ((void *)(l4 + 4) > data_end)
		return XDP_DROP;
	return l4[3] == 53 ? XDP_DROP : XDP_PASS;
}

ASM("tc", bad_variable_offset_not_rechecked,
    "r2 = *(u32 *)(r1 + 76); r3 = *(u32 *)(r1 + 80);"
    "r4 = r2; r4 += 34; if r4 > r3 goto out_%=;"
    "r5 = *(u8 *)(r2 + 14); r5 &= 15; r5 <<= 2;"
    "r2 += r5;"
    "r0 = *(u8 *)(r2 + 14); exit;"
    "out_%=: r0 = 0; exit;" ::: "memory")

SEC("tc")
int ok_write_after_check(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return 2;
	eth->h_dest[0] = 0x02;
	return 0;
}

ASM("xdp", ok_meta_after_check,
    "r2 = *(u32 *)(r1 + 8); r3 = *(u32 *)(r1 + 0);"
    "r4 = r2; r4 += 4; if r4 > r3 goto out_%=;"
    "r0 = *(u32 *)(r2 + 0); exit;"
    "out_%=: r0 = 2; exit;" ::: "memory")

ASM("xdp", bad_meta_without_check,
    "r2 = *(u32 *)(r1 + 8);"
    "r0 = *(u32 *)(r2 + 0); exit;" ::: "memory")

ASM("xdp", bad_meta_checked_against_data_end,
    "r2 = *(u32 *)(r1 + 8); r3 = *(u32 *)(r1 + 4);"
    "r4 = r2; r4 += 4; if r4 > r3 goto out_%=;"
    "r0 = *(u32 *)(r2 + 0); exit;"
    "out_%=: r0 = 2; exit;" ::: "memory")

ASM("tc", ok_len_from_pointer_difference,
    "r2 = *(u32 *)(r1 + 76); r3 = *(u32 *)(r1 + 80);"
    "r3 -= r2; r0 = r3; exit;" ::: "memory")

ASM("xdp", bad_write_past_range,
    "r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4);"
    "r4 = r2; r4 += 8; if r4 > r3 goto out_%=;"
    "r5 = 0; *(u64 *)(r2 + 4) = r5;"
    "out_%=: r0 = 2; exit;" ::: "memory")

char LICENSE[] SEC("license") = "GPL";
