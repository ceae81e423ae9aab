/* A socket filter calling a helper only TC and XDP may call. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int socket_redirects(struct __sk_buff *skb)
{
	return bpf_redirect(1, 0);
}

char LICENSE[] SEC("license") = "GPL";
