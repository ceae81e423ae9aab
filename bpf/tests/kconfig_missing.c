/* A strong Kconfig extern nobody sets: the load fails naming it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int CONFIG_BPFSIM_TEST_UNSET __kconfig;

SEC("xdp")
int kconfig_missing(struct xdp_md *ctx)
{
	return CONFIG_BPFSIM_TEST_UNSET ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
