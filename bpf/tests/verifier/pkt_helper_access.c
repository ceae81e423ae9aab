// SPDX-License-Identifier: GPL-2.0
// Rule: a packet pointer (pkt, pkt_meta) may be a helper's argument only when the helper's
// prototype sets pkt_access (map lookups and updates, bpf_map_push_elem, bpf_csum_diff, the socket
// lookups, the syncookie helpers); any other helper refuses it ("helper access to the packet is
// not allowed") whatever the argument's type. A helper that takes one still needs the packet
// range to cover the size it reads.
#include "corpus.h"
#include <linux/pkt_cls.h>
#include <linux/tcp.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} pkt_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__uint(value_size, 8);
} pkt_queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 4);
} pkt_perf SEC(".maps");

SEC("xdp")
int ok_csum_diff_over_packet(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return XDP_DROP;
	return bpf_csum_diff(0, 0, (__be32 *)ip, sizeof(*ip), 0) ? XDP_PASS : XDP_DROP;
}

SEC("tc")
int ok_map_key_in_packet(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_SHOT;
	__u64 *seen = bpf_map_lookup_elem(&hash8, &ip->saddr);
	return seen ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("xdp")
int ok_map_update_from_packet(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u32 key = 0;
	if (data + 16 > data_end)
		return XDP_DROP;
	bpf_map_update_elem(&array16, &key, data, BPF_ANY);
	return XDP_PASS;
}

ASM("xdp", ok_queue_push_from_packet,
    "r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4);"
    "r4 = r2; r4 += 8; if r4 > r3 goto out_%=;"
    "r1 = %[pkt_queue] ll; r3 = 0; call %[map_push_elem];"
    "out_%=: r0 = 2; exit;" :: H(map_push_elem), M(pkt_queue))

// bpf_map_pop_elem's prototype has no pkt_access, unlike bpf_map_push_elem's.
ASM("xdp", bad_queue_pop_into_packet,
    "r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4);"
    "r4 = r2; r4 += 8; if r4 > r3 goto out_%=;"
    "r1 = %[pkt_queue] ll; call %[map_pop_elem];"
    "out_%=: r0 = 2; exit;" :: H(map_pop_elem), M(pkt_queue))

SEC("tc")
int ok_sk_lookup_tuple_in_packet(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)ip + sizeof(*ip) + 4 > data_end)
		return TC_ACT_OK;
	// saddr, daddr and the TCP ports lie back to back as struct bpf_sock_tuple's ipv4 wants them
	// when the IP header has no options.
	struct bpf_sock *sk = bpf_sk_lookup_tcp(skb, (void *)&ip->saddr, sizeof(((struct bpf_sock_tuple *)0)->ipv4), -1, 0);
	if (sk)
		bpf_sk_release(sk);
	return TC_ACT_OK;
}

SEC("xdp")
int bad_fib_params_in_packet(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct bpf_fib_lookup *params = data;
	if ((void *)(params + 1) > data_end)
		return XDP_DROP;
	params->family = 2;
	params->ifindex = ctx->ingress_ifindex;
	return bpf_fib_lookup(ctx, params, sizeof(*params), 0) == 0 ? XDP_TX : XDP_PASS;
}

SEC("xdp")
int bad_ringbuf_output_from_packet(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	if (data + 14 > data_end)
		return XDP_DROP;
	bpf_ringbuf_output(&pkt_events, data, 14, 0);
	return XDP_PASS;
}

SEC("xdp")
int ok_ringbuf_output_from_stack_copy(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr eth;
	if (data + sizeof(eth) > data_end)
		return XDP_DROP;
	__builtin_memcpy(&eth, data, sizeof(eth));
	bpf_ringbuf_output(&pkt_events, &eth, sizeof(eth), 0);
	return XDP_PASS;
}

// The packet goes to perf_event_output through the context and the length in the flags, never as a pointer.
SEC("xdp")
int bad_perf_output_from_packet(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	if (data + 14 > data_end)
		return XDP_DROP;
	bpf_perf_event_output(ctx, &pkt_perf, BPF_F_CURRENT_CPU, data, 14);
	return XDP_PASS;
}

SEC("tc")
int bad_store_bytes_from_packet(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	if (data + 12 > data_end)
		return TC_ACT_OK;
	bpf_skb_store_bytes(skb, 0, data + 6, 6, 0);
	return TC_ACT_OK;
}

// The refusal comes before the argument's type is checked: a packet pointer where the context is wanted.
ASM("tc", bad_packet_pointer_as_ctx,
    "r2 = *(u32 *)(r1 + 76); r3 = *(u32 *)(r1 + 80);"
    "r4 = r2; r4 += 14; if r4 > r3 goto out_%=;"
    "r1 = r2; call %[get_hash_recalc];"
    "out_%=: r0 = 0; exit;" :: H(get_hash_recalc))

// With pkt_access the argument's type is checked next.
ASM("tc", bad_packet_pointer_as_map,
    "r2 = *(u32 *)(r1 + 76); r3 = *(u32 *)(r1 + 80);"
    "r4 = r2; r4 += 14; if r4 > r3 goto out_%=;"
    "r1 = r2; call %[map_lookup_elem];"
    "out_%=: r0 = 0; exit;" :: H(map_lookup_elem))

// Packet metadata counts as the packet.
ASM("xdp", bad_meta_to_ringbuf_output,
    "r2 = *(u32 *)(r1 + 8); r3 = *(u32 *)(r1 + 0);"
    "r4 = r2; r4 += 8; if r4 > r3 goto out_%=;"
    "r1 = %[pkt_events] ll; r3 = 8; r4 = 0; call %[ringbuf_output];"
    "out_%=: r0 = 2; exit;" :: H(ringbuf_output), M(pkt_events))

ASM("xdp", ok_map_key_in_meta,
    "r2 = *(u32 *)(r1 + 8); r3 = *(u32 *)(r1 + 0);"
    "r4 = r2; r4 += 4; if r4 > r3 goto out_%=;"
    "r1 = %[hash8] ll; call %[map_lookup_elem];"
    "out_%=: r0 = 2; exit;" :: H(map_lookup_elem), M(hash8))

// pkt_access allows the packet, not beyond the range proven: 8 bytes checked, a 16-byte key read.
ASM("xdp", bad_map_key_past_packet_range,
    "r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4);"
    "r4 = r2; r4 += 8; if r4 > r3 goto out_%=;"
    "r1 = %[hash_key16] ll; call %[map_lookup_elem];"
    "out_%=: r0 = 2; exit;" :: H(map_lookup_elem), M(hash_key16))

ASM("tc", bad_csum_diff_past_packet_range,
    "r2 = *(u32 *)(r1 + 76); r3 = *(u32 *)(r1 + 80);"
    "r4 = r2; r4 += 14; if r4 > r3 goto out_%=;"
    "r1 = r2; r2 = 20; r3 = 0; r4 = 0; r5 = 0; call %[csum_diff];"
    "out_%=: r0 = 0; exit;" :: H(csum_diff))

// A syncookie check reads the IP and TCP headers where they are, in the packet.
SEC("xdp")
int ok_raw_syncookie_on_packet_headers(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct tcphdr *th = (void *)(ip + 1);
	if ((void *)(th + 1) > data_end)
		return XDP_DROP;
	return bpf_tcp_raw_check_syncookie_ipv4(ip, th) == 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
