/* Loader test object: a CO-RE field access, so that .BTF.ext carries a relocation record. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct skb_view {
	__u32 len;
	__u32 pkt_type;
	__u32 mark;
} __attribute__((preserve_access_index));

SEC("tc")
int core_prog(struct __sk_buff *skb)
{
	struct skb_view *v = (void *)skb;
	return v->mark;
}

char _license[] SEC("license") = "GPL";
