/* Loader test object: a map pinned under loader_pin_a.c's name with another max_entries. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64[2]);
	__uint(max_entries, 32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pin_counts SEC(".maps");

SEC("xdp")
int pin_bad(struct xdp_md *ctx)
{
	__u32 key = 0;
	return bpf_map_lookup_elem(&pin_counts, &key) ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
