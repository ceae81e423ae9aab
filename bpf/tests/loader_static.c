/* Loader test object: a static function in the program's own section, called pc-relative
 * without a relocation (libbpf refuses this layout; bpfsim links it like a .text subprogram). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) SEC("xdp") int same_section_helper(__u32 x)
{
	return (x ^ 0x5a) & 3;
}

SEC("xdp")
int xdp_static(struct xdp_md *ctx)
{
	return same_section_helper(ctx->ingress_ifindex);
}

char _license[] SEC("license") = "GPL";
