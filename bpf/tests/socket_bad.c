/* What a socket filter may not do: read the packet directly, write skb->mark. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int socket_reads_data(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	if (data + 1 > end)
		return 0;
	return *(__u8 *)data;
}

SEC("socket")
int socket_writes_mark(struct __sk_buff *skb)
{
	skb->mark = 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
