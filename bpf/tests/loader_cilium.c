/* Loader test object: what cilium/ebpf loads and libbpf 1.x refuses. Static functions in program
 * sections as tail-call targets (in a prog array's `.values`), a direct call into a function that
 * lives in another program's section, a pinning value libbpf does not know, and BTF decl tags. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define __tag(x) __attribute__((btf_decl_tag(x)))

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 8);
	__uint(pinning, 2); /* iproute2's PIN_GLOBAL_NS */
} seen SEC(".maps");

static void note(__u32 key, __u32 value)
{
	bpf_map_update_elem(&seen, &key, &value, BPF_ANY);
}

/* Reached only through the prog array: cilium/ebpf makes it a program. */
__tag("tail:calls/0") SEC("tc/tail")
static int tail_static(struct __sk_buff *skb)
{
	note(0, skb->len);
	return TC_ACT_SHOT;
}

__tag("tail:calls/1") SEC("tc/tail")
int tail_global(struct __sk_buff *skb)
{
	note(1, skb->len);
	return TC_ACT_REDIRECT;
}

/* A global function of a program section, called directly from another section's program. */
SEC("tc/lib")
__attribute__((noinline)) int shared_classify(struct __sk_buff *skb)
{
	return skb->mark == 7 ? TC_ACT_OK : TC_ACT_UNSPEC;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(max_entries, 4);
	__array(values, int(struct __sk_buff *));
} calls SEC(".maps") = {
	.values = {
		[0] = (void *)&tail_static,
		[1] = (void *)&tail_global,
	},
};

__tag("entry") SEC("tc")
int cil_entry(struct __sk_buff *skb)
{
	if (skb->mark < 2)
		bpf_tail_call(skb, &calls, skb->mark);
	return shared_classify(skb);
}

char _license[] SEC("license") = "GPL";
