/* Loader test object: a weak kfunc the simulated kernel does not have, resolved to BTF id 0 as
 * libbpf leaves it: the program loads, and the call faults only when it runs. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpfsim_weak_kfunc(struct xdp_md *ctx) __ksym __weak;

SEC("xdp")
int xdp_weak(struct xdp_md *ctx)
{
	return bpfsim_weak_kfunc(ctx);
}

char _license[] SEC("license") = "GPL";
