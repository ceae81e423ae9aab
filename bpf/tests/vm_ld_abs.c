// SPDX-License-Identifier: GPL-2.0
// The legacy packet loads (BPF_LD_ABS / BPF_LD_IND) in TC programs and a socket filter: each
// program folds what it loads into its return value, which must be the same on every backend.
#include <linux/bpf.h>
#include <linux/filter.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

SEC("tc")
int ld_abs_tc(struct __sk_buff *skb)
{
	__u32 proto = load_half(skb, 12);
	__u32 ttl = load_byte(skb, 14 + 8);
	__u32 daddr = load_word(skb, 14 + 16);
	__u32 l4 = load_byte(skb, SKF_NET_OFF + 9);
	__u32 src_mac = load_half(skb, SKF_LL_OFF + 10);

	return proto ^ (ttl << 16) ^ daddr ^ (l4 << 8) ^ (src_mac << 4);
}

SEC("tc")
int ld_ind_tc(struct __sk_buff *skb)
{
	__u32 ihl = (load_byte(skb, 14) & 0xf) * 4;

	/* The TCP destination port, through a register offset. */
	return load_half(skb, 14 + ihl + 2) + 1;
}

SEC("tc")
int ld_abs_tc_past_end(struct __sk_buff *skb)
{
	/* The load fails: the program ends there with 0, and never returns 7. */
	return load_word(skb, skb->len) + 7;
}

SEC("socket")
int ld_abs_socket(struct __sk_buff *skb)
{
	__u32 proto = load_byte(skb, 9);
	__u32 ether = load_half(skb, SKF_LL_OFF + 12);

	return (proto << 16) | ether;
}

char LICENSE[] SEC("license") = "GPL";
