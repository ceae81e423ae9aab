// SPDX-License-Identifier: GPL-2.0
// Rule: callbacks (bpf_loop, bpf_for_each_map_elem): the callback is a static function verified
// with the helper's callback arguments; it returns 0 or 1; its ctx is the caller's stack pointer.
#include "corpus.h"

static long count_up(__u64 i, void *ctx)
{
	*(__u64 *)ctx += i;
	return 0;
}

static long return_two(__u64 i, void *ctx)
{
	return 2;
}

static long for_each_sum(void *map, __u32 *key, struct val16 *v, void *ctx)
{
	*(__u64 *)ctx += v->a + v->b;
	return 0;
}

static long for_each_past_value(void *map, __u32 *key, struct val16 *v, void *ctx)
{
	*(__u64 *)ctx += ((__u64 *)v)[2];
	return 0;
}

static long write_past_ctx(__u64 i, void *ctx)
{
	((__u64 *)ctx)[1] = i;
	return 0;
}

SEC("xdp")
int ok_loop(struct xdp_md *ctx)
{
	__u64 sum = 0;
	bpf_loop(ctx->rx_queue_index, count_up, &sum, 0);
	return sum > 10 ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int bad_loop_callback_returns_two(struct __sk_buff *skb)
{
	__u64 sum = 0;
	bpf_loop(4, return_two, &sum, 0);
	return sum;
}

ASM("xdp", bad_callback_is_scalar,
    "r1 = 4; r2 = 0; r3 = 0; r4 = 0; call %[loop]; r0 = 2; exit;" :: H(loop))

SEC("tc")
int ok_for_each_map_elem(struct __sk_buff *skb)
{
	__u64 sum = 0;
	bpf_for_each_map_elem(&array16, for_each_sum, &sum, 0);
	return sum & 1;
}

SEC("socket")
int bad_for_each_reads_past_value(struct __sk_buff *skb)
{
	__u64 sum = 0;
	bpf_for_each_map_elem(&array16, for_each_past_value, &sum, 0);
	return sum & 1;
}

SEC("socket")
int ok_socket_loop(struct __sk_buff *skb)
{
	__u64 sum = 0;
	bpf_loop(8, count_up, &sum, 0);
	return sum;
}

SEC("xdp")
int bad_callback_writes_past_ctx(struct xdp_md *ctx)
{
	__u64 slot = 0;
	bpf_loop(2, write_past_ctx, &slot, 0);
	return XDP_PASS;
}

SEC("tc")
int ok_callback_ctx_large_enough(struct __sk_buff *skb)
{
	__u64 slots[2] = {};
	bpf_loop(2, write_past_ctx, slots, 0);
	return slots[1];
}

char LICENSE[] SEC("license") = "GPL";
