/* Loader test object: a kconfig extern, which the loader must refuse by name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;

SEC("xdp")
int xdp_kconfig(struct xdp_md *ctx)
{
	return LINUX_KERNEL_VERSION > 0x050a00 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
