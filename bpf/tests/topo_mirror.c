/* A port mirror for `bpfsim sim`: TC ingress copies every frame to the monitor interface with
 * bpf_clone_redirect and lets the original go up the stack. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 monitor_ifindex;

SEC("tc")
int tc_mirror(struct __sk_buff *skb)
{
	bpf_clone_redirect(skb, monitor_ifindex, 0);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
