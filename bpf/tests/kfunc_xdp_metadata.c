/* The XDP metadata kfuncs: each program calls one and stores its return value and what it wrote
 * in `seen` (slot 0 the return value, then the outputs), so a test can check both the answer for a
 * hint the packet carries and -ENODATA for one it lacks; the verdict is XDP_DROP when the kfunc
 * failed. The programs must be loaded device-bound. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum xdp_rss_hash_type;

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;
extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash, enum xdp_rss_hash_type *rss_type) __ksym;
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto, __u16 *vlan_tci) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static void store(__u32 slot, __u64 value)
{
	bpf_map_update_elem(&seen, &slot, &value, BPF_ANY);
}

SEC("xdp")
int xdp_rx_timestamp(struct xdp_md *ctx)
{
	__u64 timestamp = 0;
	int err = bpf_xdp_metadata_rx_timestamp(ctx, &timestamp);

	store(0, (__u64)(__s64)err);
	store(1, timestamp);
	return err ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_rx_hash(struct xdp_md *ctx)
{
	__u32 hash = 0, type = 0;
	int err = bpf_xdp_metadata_rx_hash(ctx, &hash, (enum xdp_rss_hash_type *)&type);

	store(0, (__u64)(__s64)err);
	store(1, hash);
	store(2, type);
	return err ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_rx_vlan_tag(struct xdp_md *ctx)
{
	__be16 proto = 0;
	__u16 tci = 0;
	int err = bpf_xdp_metadata_rx_vlan_tag(ctx, &proto, &tci);

	store(0, (__u64)(__s64)err);
	store(1, proto);
	store(2, tci);
	return err ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
