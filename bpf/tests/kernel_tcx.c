// Kernel-backend test program in a section libbpf 1.1 does not know (newer libbpf: tcx);
// the backend types it as TC from the section prefix.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc/ingress")
int tc_ingress_new(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
