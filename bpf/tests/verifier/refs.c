// SPDX-License-Identifier: GPL-2.0
// Rule: reference tracking: ringbuf records (and ringbuf dynptrs) are submitted or discarded,
// sockets from bpf_sk_lookup_* are released, bpf_spin_lock is unlocked, on every path; nothing
// but the owner uses a released reference; no calls while a lock is held.
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked);
} locks SEC(".maps");

SEC("xdp")
int ok_ringbuf_submit(struct xdp_md *ctx)
{
	__u64 *e = bpf_ringbuf_reserve(&events, 8, 0);
	if (!e)
		return XDP_PASS;
	*e = ctx->ingress_ifindex;
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

SEC("xdp")
int bad_ringbuf_not_submitted(struct xdp_md *ctx)
{
	__u64 *e = bpf_ringbuf_reserve(&events, 8, 0);
	if (!e)
		return XDP_PASS;
	*e = 1;
	return XDP_PASS;
}

ASM("tc", bad_ringbuf_unchecked,
    "r1 = %[events] ll; r2 = 8; r3 = 0; call %[ringbuf_reserve]; r1 = 0; *(u64 *)(r0 + 0) = r1; r0 = 0; exit;"
    :: H(ringbuf_reserve), M(events))

ASM("tc", bad_ringbuf_submit_twice,
    "r1 = %[events] ll; r2 = 8; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto out_%=;"
    "r6 = r0; r1 = r0; r2 = 0; call %[ringbuf_submit]; r1 = r6; r2 = 0; call %[ringbuf_submit];"
    "out_%=: r0 = 0; exit;" :: H(ringbuf_reserve), H(ringbuf_submit), M(events))

SEC("tc")
int ok_ringbuf_discard(struct __sk_buff *skb)
{
	__u64 *e = bpf_ringbuf_reserve(&events, 8, 0);
	if (e)
		bpf_ringbuf_discard(e, 0);
	return 0;
}

ASM("socket", bad_ringbuf_write_past_record,
    "r1 = %[events] ll; r2 = 8; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto out_%=;"
    "r1 = 0; *(u64 *)(r0 + 8) = r1; r1 = r0; r2 = 0; call %[ringbuf_submit];"
    "out_%=: r0 = 0; exit;" :: H(ringbuf_reserve), H(ringbuf_submit), M(events))

ASM("socket", bad_ringbuf_size_not_constant,
    "call %[get_prandom_u32]; r2 = r0; r2 &= 8; r1 = %[events] ll; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto out_%=;"
    "r1 = r0; r2 = 0; call %[ringbuf_submit];"
    "out_%=: r0 = 0; exit;" :: H(ringbuf_reserve), H(ringbuf_submit), H(get_prandom_u32), M(events))

SEC("socket")
int ok_ringbuf_dynptr(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	bpf_ringbuf_reserve_dynptr(&events, 8, 0, &ptr);
	bpf_ringbuf_submit_dynptr(&ptr, 0);
	return 0;
}

SEC("socket")
int bad_ringbuf_dynptr_not_released(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	bpf_ringbuf_reserve_dynptr(&events, 8, 0, &ptr);
	return 0;
}

SEC("tc")
int ok_sk_lookup_released(struct __sk_buff *skb)
{
	struct bpf_sock_tuple tuple = {};
	struct bpf_sock *sk = bpf_sk_lookup_tcp(skb, &tuple, sizeof(tuple.ipv4), -1, 0);
	if (sk)
		bpf_sk_release(sk);
	return 0;
}

SEC("tc")
int bad_sk_lookup_leaked(struct __sk_buff *skb)
{
	struct bpf_sock_tuple tuple = {};
	struct bpf_sock *sk = bpf_sk_lookup_tcp(skb, &tuple, sizeof(tuple.ipv4), -1, 0);
	return sk ? 1 : 0;
}

ASM("xdp", bad_sk_release_unchecked,
    "r2 = r10; r2 += -16; r3 = 0; *(u64 *)(r10 - 16) = r3; *(u64 *)(r10 - 8) = r3; r3 = 12; r4 = -1; r5 = 0;"
    "call %[sk_lookup_udp]; r1 = r0; call %[sk_release]; r0 = 2; exit;"
    :: H(sk_lookup_udp), H(sk_release))

SEC("xdp")
int ok_xdp_sk_lookup_released(struct xdp_md *ctx)
{
	struct bpf_sock_tuple tuple = {};
	struct bpf_sock *sk = bpf_sk_lookup_udp(ctx, &tuple, sizeof(tuple.ipv4), -1, 0);
	if (sk)
		bpf_sk_release(sk);
	return XDP_PASS;
}

SEC("tc")
int ok_spin_lock(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct locked *l = bpf_map_lookup_elem(&locks, &key);
	if (!l)
		return 0;
	bpf_spin_lock(&l->lock);
	l->count++;
	bpf_spin_unlock(&l->lock);
	return 0;
}

SEC("tc")
int bad_spin_lock_not_unlocked(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct locked *l = bpf_map_lookup_elem(&locks, &key);
	if (!l)
		return 0;
	bpf_spin_lock(&l->lock);
	l->count++;
	return 0;
}

SEC("xdp")
int bad_call_while_locked(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct locked *l = bpf_map_lookup_elem(&locks, &key);
	if (!l)
		return XDP_PASS;
	bpf_spin_lock(&l->lock);
	l->count = bpf_get_prandom_u32();
	bpf_spin_unlock(&l->lock);
	return XDP_PASS;
}

SEC("xdp")
int bad_unlock_without_lock(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct locked *l = bpf_map_lookup_elem(&locks, &key);
	if (!l)
		return XDP_PASS;
	bpf_spin_unlock(&l->lock);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
