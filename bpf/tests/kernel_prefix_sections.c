/*
 * Kernel backend test object: sections named by libbpf 0.x's bare prefixes (`xdp_*`,
 * `classifier_*`, `tc_*`), which libbpf 1.x leaves untyped. Each program uses what only its
 * own type may (bpf_xdp_adjust_head, skb->mark), so a wrong type is a verifier rejection.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("xdp_strip_tag")
int strip_tag(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, 4))
		return XDP_ABORTED;
	return (long)ctx->data_end - (long)ctx->data;
}

SEC("classifier_mark")
int mark_len(struct __sk_buff *skb)
{
	skb->mark = skb->len;
	return TC_ACT_OK + skb->mark;
}

SEC("tc_len")
int len_plus_proto(struct __sk_buff *skb)
{
	return skb->len + skb->protocol;
}

char _license[] SEC("license") = "GPL";
