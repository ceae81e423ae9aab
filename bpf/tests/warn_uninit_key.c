/* A map key whose padding is never written: `struct conn` has three bytes of padding after
 * `proto`, and the program fills the fields one by one, so the lookup hashes stack garbage. */
#include "parse.h"

struct conn {
	__u32 addr;
	__u8 proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct conn);
	__type(value, __u32);
} conns SEC(".maps");

SEC("xdp")
int padded_key(struct xdp_md *ctx)
{
	struct conn key;
	key.addr = ctx->ingress_ifindex;
	key.proto = 6;
	__u32 *hits = bpf_map_lookup_elem(&conns, &key);
	return hits ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int zeroed_key(struct xdp_md *ctx)
{
	struct conn key;
	__builtin_memset(&key, 0, sizeof(key));
	key.addr = ctx->ingress_ifindex;
	key.proto = 6;
	__u32 *hits = bpf_map_lookup_elem(&conns, &key);
	return hits ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
