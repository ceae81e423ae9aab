/* A socket filter in the classic style: the packet read with BPF_LD_ABS / BPF_LD_IND (clang's
 * load_byte/load_half/load_word builtins), offsets from the network header, and the
 * SKF_NET_OFF / SKF_LL_OFF negative offsets. Keeps IPv4 TCP to port 22 whole, drops the rest;
 * returns 1 when the link-layer and network-relative loads disagree. */
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

SEC("socket")
int socket_ld_abs(struct __sk_buff *skb)
{
	if (load_half(skb, SKF_LL_OFF + 12) != ETH_P_IP)
		return 0;
	if (load_byte(skb, SKF_NET_OFF) != load_byte(skb, 0))
		return 1;
	if (load_byte(skb, 9) != IPPROTO_TCP)
		return 0;
	__u32 ihl = (load_byte(skb, 0) & 0xf) * 4;
	if (load_half(skb, ihl + 2) != 22)
		return 0;
	return skb->len;
}

/* A load past the end ends the program with 0, as the kernel's rewritten LD_ABS does. */
SEC("socket")
int socket_ld_past_end(struct __sk_buff *skb)
{
	if (load_word(skb, skb->len - 2) == 0x12345678)
		return 2;
	return 7;
}

char LICENSE[] SEC("license") = "GPL";
