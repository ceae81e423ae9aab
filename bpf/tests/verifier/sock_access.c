// SPDX-License-Identifier: GPL-2.0
// Rule: loads through socket pointers: struct bpf_sock from a socket lookup or bpf_sk_fullsock,
// its sock_common subset from skb->sk, struct bpf_tcp_sock from bpf_tcp_sock, struct bpf_xdp_sock
// from an XSKMAP lookup. Only the fields and sizes the kernel's *_is_valid_access allow (whole u32
// fields, narrow pieces of some, the __be16 dst_port), never a store, never before the NULL check.
#include "corpus.h"
#include <linux/pkt_cls.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

static __always_inline struct bpf_sock *lookup(struct __sk_buff *skb)
{
	struct bpf_sock_tuple tuple = {};
	return bpf_sk_lookup_tcp(skb, &tuple, sizeof(tuple.ipv4), BPF_F_CURRENT_NETNS, 0);
}

SEC("tc")
int ok_sk_lookup_fields(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);
	if (!sk)
		return TC_ACT_OK;
	__u32 sum = sk->family + sk->type + sk->protocol + sk->mark + sk->priority + sk->src_ip4 + sk->src_ip6[3] +
		    sk->src_port + sk->dst_port + sk->dst_ip4 + sk->dst_ip6[0] + sk->state + sk->rx_queue_mapping + sk->bound_dev_if;
	bpf_sk_release(sk);
	return sum ? TC_ACT_OK : TC_ACT_SHOT;
}

// Narrow pieces: the low half of family, a byte of an address, each byte of dst_port.
ASM("tc", ok_sk_lookup_narrow_reads,
    "r6 = r1; r1 = 0; *(u64 *)(r10 - 16) = r1; *(u32 *)(r10 - 8) = r1;"
    "r1 = r6; r2 = r10; r2 += -16; r3 = 12; r4 = -1; r5 = 0; call %[sk_lookup_tcp];"
    "if r0 == 0 goto out_%=;"
    "r2 = *(u16 *)(r0 + 4); r3 = *(u8 *)(r0 + 27); r4 = *(u8 *)(r0 + 48); r5 = *(u8 *)(r0 + 49);"
    "r1 = r0; call %[sk_release];"
    "out_%=: r0 = 0; exit;" :: H(sk_lookup_tcp), H(sk_release))

// mark is read whole or not at all.
ASM("tc", bad_sk_mark_narrow,
    "r6 = r1; r1 = 0; *(u64 *)(r10 - 16) = r1; *(u32 *)(r10 - 8) = r1;"
    "r1 = r6; r2 = r10; r2 += -16; r3 = 12; r4 = -1; r5 = 0; call %[sk_lookup_tcp];"
    "if r0 == 0 goto out_%=;"
    "r2 = *(u8 *)(r0 + 16);"
    "r1 = r0; call %[sk_release];"
    "out_%=: r0 = 0; exit;" :: H(sk_lookup_tcp), H(sk_release))

// The two bytes after the __be16 dst_port are padding.
ASM("tc", bad_sk_dst_port_padding,
    "r6 = r1; r1 = 0; *(u64 *)(r10 - 16) = r1; *(u32 *)(r10 - 8) = r1;"
    "r1 = r6; r2 = r10; r2 += -16; r3 = 12; r4 = -1; r5 = 0; call %[sk_lookup_tcp];"
    "if r0 == 0 goto out_%=;"
    "r2 = *(u16 *)(r0 + 50);"
    "r1 = r0; call %[sk_release];"
    "out_%=: r0 = 0; exit;" :: H(sk_lookup_tcp), H(sk_release))

ASM("tc", bad_sk_past_struct,
    "r6 = r1; r1 = 0; *(u64 *)(r10 - 16) = r1; *(u32 *)(r10 - 8) = r1;"
    "r1 = r6; r2 = r10; r2 += -16; r3 = 12; r4 = -1; r5 = 0; call %[sk_lookup_tcp];"
    "if r0 == 0 goto out_%=;"
    "r2 = *(u32 *)(r0 + 80);"
    "r1 = r0; call %[sk_release];"
    "out_%=: r0 = 0; exit;" :: H(sk_lookup_tcp), H(sk_release))

ASM("tc", bad_sk_store,
    "r6 = r1; r1 = 0; *(u64 *)(r10 - 16) = r1; *(u32 *)(r10 - 8) = r1;"
    "r1 = r6; r2 = r10; r2 += -16; r3 = 12; r4 = -1; r5 = 0; call %[sk_lookup_tcp];"
    "if r0 == 0 goto out_%=;"
    "r2 = 1; *(u32 *)(r0 + 16) = r2;"
    "r1 = r0; call %[sk_release];"
    "out_%=: r0 = 0; exit;" :: H(sk_lookup_tcp), H(sk_release))

ASM("tc", bad_sk_read_before_null_check,
    "r6 = r1; r1 = 0; *(u64 *)(r10 - 16) = r1; *(u32 *)(r10 - 8) = r1;"
    "r1 = r6; r2 = r10; r2 += -16; r3 = 12; r4 = -1; r5 = 0; call %[sk_lookup_tcp];"
    "r2 = *(u32 *)(r0 + 4);"
    "if r0 == 0 goto out_%=;"
    "r1 = r0; call %[sk_release];"
    "out_%=: r0 = 0; exit;" :: H(sk_lookup_tcp), H(sk_release))

SEC("tc")
int ok_skb_sk_common_fields(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	if (!sk)
		return TC_ACT_OK;
	return sk->family == 2 && sk->state == 1 && sk->src_port == 80 ? TC_ACT_SHOT : TC_ACT_OK;
}

// skb->sk is a sock_common: type, protocol, mark and priority need bpf_sk_fullsock.
SEC("tc")
int bad_skb_sk_protocol(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	if (!sk)
		return TC_ACT_OK;
	return sk->protocol == 6 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int ok_fullsock_protocol(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	if (!sk)
		return TC_ACT_OK;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return TC_ACT_OK;
	return sk->protocol == 6 ? TC_ACT_SHOT : TC_ACT_OK;
}

ASM("tc", bad_skb_sk_unchecked,
    "r1 = *(u64 *)(r1 + 168); r0 = *(u32 *)(r1 + 4); exit;" ::: "memory")

SEC("tc")
int ok_tcp_sock_fields(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	if (!sk)
		return TC_ACT_OK;
	struct bpf_tcp_sock *tp = bpf_tcp_sock(sk);
	if (!tp)
		return TC_ACT_OK;
	return tp->snd_cwnd + tp->bytes_received + tp->bytes_acked + tp->icsk_retransmits ? TC_ACT_OK : TC_ACT_SHOT;
}

// The u64 counters are read whole.
ASM("tc", bad_tcp_sock_counter_as_u32,
    "r1 = *(u64 *)(r1 + 168); if r1 == 0 goto out_%=; call %[tcp_sock]; if r0 == 0 goto out_%=;"
    "r2 = *(u32 *)(r0 + 80);"
    "out_%=: r0 = 0; exit;" :: H(tcp_sock))

// Its upper half passes the access check but has no rewrite: the kernel refuses it after the walk.
ASM("tc", bad_tcp_sock_counter_upper_half,
    "r1 = *(u64 *)(r1 + 168); if r1 == 0 goto out_%=; call %[tcp_sock]; if r0 == 0 goto out_%=;"
    "r2 = *(u32 *)(r0 + 84);"
    "out_%=: r0 = 0; exit;" :: H(tcp_sock))

ASM("tc", bad_tcp_sock_past_struct,
    "r1 = *(u64 *)(r1 + 168); if r1 == 0 goto out_%=; call %[tcp_sock]; if r0 == 0 goto out_%=;"
    "r2 = *(u32 *)(r0 + 112);"
    "out_%=: r0 = 0; exit;" :: H(tcp_sock))

SEC("xdp")
int ok_xdp_sock_queue_id(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct bpf_xdp_sock *xs = bpf_map_lookup_elem(&xsks, &key);
	if (!xs)
		return XDP_PASS;
	return xs->queue_id == ctx->rx_queue_index ? XDP_DROP : XDP_PASS;
}

ASM("xdp", bad_xdp_sock_past_queue_id,
    "r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[xsks] ll; call %[map_lookup_elem];"
    "if r0 == 0 goto out_%=;"
    "r2 = *(u32 *)(r0 + 4);"
    "out_%=: r0 = 2; exit;" :: H(map_lookup_elem), M(xsks))

ASM("tc", bad_sock_pointer_arithmetic,
    "r1 = *(u64 *)(r1 + 168); if r1 == 0 goto out_%=;"
    "r1 += 4; r0 = *(u32 *)(r1 + 0); exit;"
    "out_%=: r0 = 0; exit;" ::: "memory")

char LICENSE[] SEC("license") = "GPL";
