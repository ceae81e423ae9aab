// SPDX-License-Identifier: GPL-2.0
// API test program: typed maps through BTF (structs, __be16/__be32, MAC and IPv6 fields, per-CPU
// values), const volatile globals set before load, and one program calling a helper bpfsim does
// not simulate (bpf_get_route_realm), reached directly or by a tail call, next to good programs.
#include <linux/bpf.h>
#include <linux/in6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct flow_key {
	__be32 saddr;
	__be16 dport;
	__u8 proto;
	__u8 pad;
};

struct flow_info {
	__u64 packets;
	__u8 mac[6];
	__be16 port;
	struct in6_addr addr6;
	__u32 tags[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct flow_key);
	__type(value, struct flow_info);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} jump SEC(".maps");

struct settings {
	__be32 vip;
	__u8 mac[6];
	__u16 weights[2];
};

const volatile __u16 target_port = 80;
const volatile struct settings config = { .weights = { 1, 1 } };

/* Returns target_port + weights[0] + weights[1] (so tests see rodata), and counts a hit per CPU;
 * a packet whose IPv4 source is config.vip bumps flows[{vip, target_port, 6}].packets. */
SEC("tc")
int api_good(struct __sk_buff *skb)
{
	__u32 zero = 0;
	__u64 *hit = bpf_map_lookup_elem(&hits, &zero);
	if (hit)
		*hit += 1;
	struct flow_key key = { .saddr = config.vip, .dport = bpf_htons(target_port), .proto = 6 };
	struct flow_info *info = bpf_map_lookup_elem(&flows, &key);
	if (info)
		info->packets += 1;
	return target_port + config.weights[0] + config.weights[1];
}

SEC("tc")
int api_unsimulated(struct __sk_buff *skb)
{
	return bpf_get_route_realm(skb) ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int api_jump(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jump, 0);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
