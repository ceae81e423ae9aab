// Bad-input test program: a program under a non-GPL license calls bpf_trace_printk, which is
// GPL-only (the verifier refuses it: "cannot call GPL-restricted function from non-GPL compatible
// program"; the VM faults at the call).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bad_gpl(struct xdp_md *ctx)
{
	if (ctx->ingress_ifindex == 12345)
		return XDP_DROP;
	bpf_printk("hello"); /* FAULT bad_gpl */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "MIT";
