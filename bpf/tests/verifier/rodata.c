// SPDX-License-Identifier: GPL-2.0
// Rule: .rodata is read-only after load: reads and read-only helper arguments are fine, stores
// and helpers that write into it are refused; .data and .bss are writable.
#include "corpus.h"

const volatile __u32 limit = 64;
const volatile char message[8] = "hello";
volatile __u32 counter;
volatile __u32 initialised = 1;

SEC("xdp")
int ok_read_rodata(struct xdp_md *ctx)
{
	return ctx->ingress_ifindex > limit ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int bad_write_rodata(struct xdp_md *ctx)
{
	*(volatile __u32 *)&limit = ctx->ingress_ifindex;
	return XDP_PASS;
}

SEC("tc")
int ok_write_bss_and_data(struct __sk_buff *skb)
{
	counter += 1;
	initialised = skb->len;
	return 0;
}

SEC("tc")
int bad_write_rodata_string(struct __sk_buff *skb)
{
	((volatile char *)message)[0] = 'j';
	return 0;
}

SEC("tc")
int ok_rodata_as_helper_input(struct __sk_buff *skb)
{
	return bpf_map_update_elem(&hash8, (const void *)&limit, (const void *)message, BPF_ANY);
}

SEC("tc")
int bad_helper_writes_rodata(struct __sk_buff *skb)
{
	return bpf_skb_load_bytes(skb, 0, (void *)message, 4);
}

SEC("socket")
int ok_socket_reads_rodata(struct __sk_buff *skb)
{
	return skb->len > limit ? 0 : skb->len;
}

SEC("socket")
int bad_socket_writes_rodata(struct __sk_buff *skb)
{
	*(volatile __u32 *)&limit = 0;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
