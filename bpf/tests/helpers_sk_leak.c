/* A socket looked up and never released: the kernel's verifier refuses the program. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_sk_leak(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);

	if (sk)
		return sk->state;
	return 0;
}

char _license[] SEC("license") = "GPL";
