/* Loader test object: a strong kfunc the simulated kernel does not have, refused by name as libbpf does. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpfsim_no_such_kfunc(struct xdp_md *ctx) __ksym;

SEC("xdp")
int xdp_strong(struct xdp_md *ctx)
{
	return bpfsim_no_such_kfunc(ctx);
}

char _license[] SEC("license") = "GPL";
