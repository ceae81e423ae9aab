/* bpf_get_current_pid_tgid, which the kernel lets XDP call and bpfsim does not simulate: a run
 * fails naming it and this line. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_unsimulated(struct xdp_md *ctx)
{
	return bpf_get_current_pid_tgid() == 0 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
