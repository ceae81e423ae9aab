/* Loader test object: programs of many types in one object, sharing a map. bpfsim runs the TC,
 * tcx and XDP ones; the others are typed from their sections, listed, and refused only when run. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

/* enum tcx_action_base (linux/bpf.h 6.6+; older uapi headers lack it). */
#define TCX_NEXT -1
#define TCX_PASS 0
#define TCX_DROP 2

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} hits SEC(".maps");

static __always_inline int count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

SEC("kprobe/do_sys_openat2")
int mixed_kprobe(void *ctx)
{
	/* Helpers an XDP or TC program may not call: the object still loads. */
	__u64 id = bpf_get_current_pid_tgid();
	char comm[16];

	bpf_get_current_comm(comm, sizeof(comm));
	return count(0) + (id == 0 && comm[0] == 0);
}

SEC("cgroup_skb/ingress")
int mixed_cgroup(struct __sk_buff *skb)
{
	count(1);
	return 1;
}

struct bpf_iter_meta;
struct bpf_iter__bpf_map {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
};

SEC("iter/bpf_map")
int mixed_iter(struct bpf_iter__bpf_map *ctx)
{
	return 0;
}

SEC("fentry/bpf_fentry_test1")
int mixed_fentry(void *ctx)
{
	return count(2);
}

SEC("tc")
int mixed_tc(struct __sk_buff *skb)
{
	count(3);
	return TC_ACT_SHOT;
}

SEC("tcx/ingress")
int mixed_tcx(struct __sk_buff *skb)
{
	count(3);
	return skb->mark == 1 ? TCX_DROP : skb->mark == 2 ? TCX_PASS : TCX_NEXT;
}

SEC("xdp")
int mixed_xdp(struct xdp_md *ctx)
{
	count(3);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
