/* Loader test object: a program in a section no table row matches. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("mystery/section")
int mystery(void *ctx)
{
	return 0;
}

char _license[] SEC("license") = "GPL";
