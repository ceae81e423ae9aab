/* A CO-RE relocation that does not resolve, reached: libbpf poisons the read, and the run (or
 * the kernel's verifier) stops there. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct xdp_md___imagined {
	__u32 data;
	__u32 teleport_ifindex;
} __attribute__((preserve_access_index));

SEC("xdp")
int core_poisoned(struct xdp_md *ctx)
{
	struct xdp_md___imagined *md = (void *)ctx;
	return md->teleport_ifindex ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
