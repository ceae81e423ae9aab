/* A filter in a section no table knows: it runs as a socket filter when the case says `"type": "socket"`. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("custom/filter")
int untyped_filter(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
