/* Helper test object: bpf_skb_ecn_set_ce's result is the return value, its rewrite the packet. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_ecn_set_ce(struct __sk_buff *skb)
{
	return bpf_skb_ecn_set_ce(skb);
}

char _license[] SEC("license") = "GPL";
