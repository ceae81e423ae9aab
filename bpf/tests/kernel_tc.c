// Kernel-backend test program: a TC classifier that writes skb->mark and skb->priority and
// tail-calls through a prog array when slot 0 is filled.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} jump SEC(".maps");

SEC("tc")
int tc_mark(struct __sk_buff *skb)
{
	skb->mark = skb->mark + 0x100;
	skb->priority = skb->len;
	skb->cb[1] = 42;
	bpf_tail_call(skb, &jump, 0);
	return TC_ACT_OK;
}

SEC("tc")
int tc_shot(struct __sk_buff *skb)
{
	skb->mark = 0xdead;
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
