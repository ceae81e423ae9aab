/* Mirrors every packet to ifindex 2 with bpf_clone_redirect, then marks the original's first
 * byte so the clone (taken before) and the output differ. */
#include "parse.h"
#include <linux/pkt_cls.h>

SEC("tc")
int mirror(struct __sk_buff *skb)
{
	long rc = bpf_clone_redirect(skb, 2, 0);
	if (rc)
		return TC_ACT_SHOT;
	__u8 marker = 0xee;
	bpf_skb_store_bytes(skb, 0, &marker, 1, 0);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
