// Kernel-backend test program: an XDP program that rewrites a byte of the packet, counts
// packets in a hash map keyed by the first byte, and reads a global from .rodata and .data.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} percpu SEC(".maps");

volatile const __u8 xor_with = 0xff;
__u32 runs = 7;

SEC("xdp")
int xdp_rewrite(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	if (data + 14 > end)
		return XDP_ABORTED;
	__u32 key = data[0];
	data[0] ^= xor_with;
	__u64 one = 1, *v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	__u32 zero = 0, *p = bpf_map_lookup_elem(&percpu, &zero);
	if (p)
		*p += ctx->ingress_ifindex;
	runs++;
	return XDP_TX;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
