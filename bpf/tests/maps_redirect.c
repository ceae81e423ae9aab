/* bpf_redirect_map through CPUMAP, XSKMAP and a DEVMAP broadcast. Each program returns the
 * helper's verdict, or the __LINE__ of a check that failed. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} ports_hash SEC(".maps");

__u32 seen_queue = 0xffffffff;

SEC("xdp")
int xdp_cpu(struct xdp_md *ctx)
{
	/* A CPUMAP takes no broadcast flag: the call aborts. */
	if (bpf_redirect_map(&cpus, 1, BPF_F_BROADCAST) != XDP_ABORTED)
		return __LINE__;
	if (bpf_redirect_map(&cpus, 3, XDP_DROP) != XDP_DROP)
		return __LINE__;
	return bpf_redirect_map(&cpus, 1, XDP_PASS);
}

SEC("xdp")
int xdp_xsk(struct xdp_md *ctx)
{
	__u32 q = ctx->rx_queue_index;
	struct bpf_xdp_sock *xsk = bpf_map_lookup_elem(&xsks, &q);

	if (xsk)
		seen_queue = xsk->queue_id;
	if (bpf_redirect_map(&xsks, q, BPF_F_BROADCAST) != XDP_ABORTED)
		return __LINE__;
	return bpf_redirect_map(&xsks, q, XDP_PASS);
}

SEC("xdp")
int xdp_broadcast(struct xdp_md *ctx)
{
	return bpf_redirect_map(&ports, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
}

SEC("xdp")
int xdp_broadcast_hash(struct xdp_md *ctx)
{
	return bpf_redirect_map(&ports_hash, 0, BPF_F_BROADCAST);
}

/* The last bpf_redirect_map decides: a miss forgets the slot an earlier call chose. */
SEC("xdp")
int xdp_last_wins(struct xdp_md *ctx)
{
	if (bpf_redirect_map(&ports, 1, XDP_PASS) != XDP_REDIRECT)
		return __LINE__;
	return bpf_redirect_map(&ports, 7, XDP_DROP);
}

char _license[] SEC("license") = "GPL";
