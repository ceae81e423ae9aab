/* Loader test object: a strong ksym the simulated kernel does not have, which the loader must refuse by name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern const int bpfsim_no_such_ksym __ksym;

SEC("xdp")
int xdp_kconfig(struct xdp_md *ctx)
{
	return bpfsim_no_such_ksym > 0 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
