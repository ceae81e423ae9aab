// SPDX-License-Identifier: GPL-2.0
// The README's verifier example: an off-by-one bound check lets a map value index reach one
// counter past the end, which the kernel's verifier refuses and bpfsim verify explains.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

struct counters {
	__u64 by_class[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} stats SEC(".maps");

SEC("xdp")
int xdp_count_class(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	__u32 key = 0;
	struct counters *c = bpf_map_lookup_elem(&stats, &key);
	if (!c)
		return XDP_PASS;
	__u32 class = ip->tos >> 5;
	if (class > 4)
		return XDP_PASS;
	c->by_class[class]++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
