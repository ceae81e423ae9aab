/* Loader test object: counts packets per first byte in a map pinned by name, which
 * loader_pin_b.c reads from another object loaded into the same machine. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct proto_count {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct proto_count);
	__uint(max_entries, 16);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pin_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} private_a SEC(".maps");

SEC("xdp")
int pin_count(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct proto_count zero = {}, *c;
	__u32 key;

	if (data + 1 > end)
		return XDP_DROP;
	key = data[0];

	c = bpf_map_lookup_elem(&pin_counts, &key);
	if (!c) {
		bpf_map_update_elem(&pin_counts, &key, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&pin_counts, &key);
		if (!c)
			return XDP_ABORTED;
	}
	c->packets++;
	c->bytes += ctx->data_end - ctx->data;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
