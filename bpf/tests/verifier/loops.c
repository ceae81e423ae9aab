// SPDX-License-Identifier: GPL-2.0
// Rule: loops and pruning: bounded loops are explored iteration by iteration (state pruning
// keeps them cheap), a back-edge to an equal state is an infinite loop, and every iteration's
// accesses are checked.
#include "corpus.h"

SEC("xdp")
int ok_bounded_loop(struct xdp_md *ctx)
{
	__u32 sum = 0;
	for (int i = 0; i < 16; i++)
		sum += i * ctx->rx_queue_index;
	return sum & 3;
}

ASM("xdp", bad_infinite_loop, "r0 = 0; l_%=: r0 = r0; goto l_%=;" ::: "memory")

ASM("tc", bad_loop_without_progress,
    "r0 = 0; r1 = 0; l_%=: if r1 > 10 goto out_%=; r0 += 1; goto l_%=; out_%=: exit;" ::: "memory")

SEC("xdp")
int ok_packet_walk_loop(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 sum = 0;
	for (int i = 0; i < 32; i++) {
		if (p + 1 > end)
			break;
		sum += *p++;
	}
	return sum & 3;
}

SEC("tc")
int bad_loop_walks_past_map_value(struct __sk_buff *skb)
{
	__u32 key = 0, sum = 0;
	__u32 *v = bpf_map_lookup_elem(&array16, &key);
	if (!v)
		return 0;
	for (int i = 0; i < 8; i++)
		sum += ((volatile __u32 *)v)[i];
	return sum;
}

SEC("tc")
int ok_loop_within_map_value(struct __sk_buff *skb)
{
	__u32 key = 0, sum = 0;
	__u32 *v = bpf_map_lookup_elem(&array16, &key);
	if (!v)
		return 0;
	for (int i = 0; i < 4; i++)
		sum += ((volatile __u32 *)v)[i];
	return sum;
}

// Twenty independent branches: 2^20 paths, but states after each join are equal and pruned.
#define BRANCH(n) "if r6 & " #n " goto +1; r7 += 1;"
ASM("socket", ok_pruning_many_branches,
    "r6 = *(u32 *)(r1 + 0); r7 = 0;"
    BRANCH(1) BRANCH(2) BRANCH(4) BRANCH(8) BRANCH(16) BRANCH(32) BRANCH(64) BRANCH(128) BRANCH(256) BRANCH(512)
    BRANCH(1024) BRANCH(2048) BRANCH(4096) BRANCH(8192) BRANCH(16384) BRANCH(32768) BRANCH(65536) BRANCH(131072)
    BRANCH(262144) BRANCH(524288)
    "r0 = 0; exit;" ::: "memory")

ASM("socket", ok_may_goto_loop,
    "r0 = 0; l_%=: may_goto out_%=; r0 += 1; goto l_%=; out_%=: exit;" ::: "memory")

SEC("socket")
int bad_loop_reads_past_stack_array(struct __sk_buff *skb)
{
	volatile __u32 arr[4] = {};
	__u32 n = skb->len, sum = 0;
	for (__u32 i = 0; i < 8 && i < n; i++)
		sum += arr[i];
	return sum;
}

char LICENSE[] SEC("license") = "GPL";
