/* Every way a packet can leave an XDP or TC hook, chosen by rodata, for `bpfsim sim`'s tests:
 * XDP_PASS, XDP_TX, bpf_redirect, an XSKMAP socket, a CPUMAP CPU, a devmap broadcast; TC_ACT_OK,
 * bpf_redirect to an ingress, bpf_redirect_peer, bpf_redirect_neigh, TC_ACT_SHOT. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

enum { X_PASS, X_TX, X_REDIRECT, X_XSK, X_CPU, X_BROADCAST, X_DROP };
enum { T_OK, T_INGRESS, T_PEER, T_NEIGH, T_SHOT, T_EGRESS };

const volatile __u32 xdp_mode;
const volatile __u32 tc_mode;
const volatile __u32 target;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

SEC("xdp")
int xdp_paths(struct xdp_md *ctx)
{
	switch (xdp_mode) {
	case X_PASS:
		return XDP_PASS;
	case X_TX:
		return XDP_TX;
	case X_REDIRECT:
		return bpf_redirect(target, 0);
	case X_XSK:
		return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_DROP);
	case X_CPU:
		return bpf_redirect_map(&cpus, 0, XDP_DROP);
	case X_BROADCAST:
		return bpf_redirect_map(&ports, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
	default:
		return XDP_DROP;
	}
}

SEC("tc")
int tc_paths(struct __sk_buff *skb)
{
	switch (tc_mode) {
	case T_OK:
		return TC_ACT_OK;
	case T_INGRESS:
		return bpf_redirect(target, BPF_F_INGRESS);
	case T_PEER:
		return bpf_redirect_peer(target, 0);
	case T_NEIGH:
		return bpf_redirect_neigh(target, 0, 0, 0);
	case T_EGRESS:
		return bpf_redirect(target, 0);
	default:
		return TC_ACT_SHOT;
	}
}

char _license[] SEC("license") = "GPL";
