/* bpf_loop, bpf_for_each_map_elem, bpf_spin_lock, bpf_trace_vprintk, bpf_jiffies64 and
 * bpf_map_lookup_percpu_elem with the kernel's results and errors: each check returns its
 * __LINE__ when it fails, XDP_PASS when all pass. What the callbacks did to the maps is compared
 * through the run result's maps. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct bpf_map;

#define EINVAL 22
#define E2BIG 7
#define BPF_MAX_LOOPS (8 * 1024 * 1024)

struct counter {
	struct bpf_spin_lock lock;
	__u32 hits;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} per_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counter);
} locked SEC(".maps");

struct loop_ctx {
	__u64 sum;
	__u32 stop_at;
	__u32 calls;
};

struct walk_ctx {
	__u64 sum;
	__u32 keys;
	__u32 visits;
	__u32 stop_after;
};

static long add_index(__u32 i, struct loop_ctx *c)
{
	c->calls++;
	if (i == c->stop_at)
		return 1;
	c->sum += i;
	return 0;
}

static long walk(struct bpf_map *map, __u32 *key, __u64 *val, struct walk_ctx *c)
{
	c->visits++;
	c->keys += *key;
	c->sum += *val;
	*val += 100;
	return c->visits == c->stop_after;
}

static long delete_odd(struct bpf_map *map, __u32 *key, __u64 *val, void *unused)
{
	if (*key & 1)
		bpf_map_delete_elem(map, key);
	return 0;
}

static long nested(__u32 i, struct walk_ctx *c)
{
	c->stop_after = 0;
	bpf_for_each_map_elem(&slots, walk, c, 0);
	return 0;
}

SEC("xdp")
int xdp_callbacks(struct xdp_md *ctx)
{
	struct loop_ctx lc = { .stop_at = 6 };
	struct walk_ctx wc = {};
	__u32 key = 0;
	long ret;

	/* bpf_loop returns the number of calls: i + 1 when the callback stopped at i. */
	ret = bpf_loop(10, add_index, &lc, 0);
	if (ret != 7 || lc.sum != 15 || lc.calls != 7)
		return __LINE__;
	lc.stop_at = 100;
	lc.sum = 0;
	if (bpf_loop(5, add_index, &lc, 0) != 5 || lc.sum != 10)
		return __LINE__;
	if (bpf_loop(0, add_index, &lc, 0) != 0)
		return __LINE__;
	if (bpf_loop(1, add_index, &lc, 1) != -EINVAL)
		return __LINE__;
	/* The verifier inlines a bpf_loop whose flags are a known 0 (inline_bpf_loop), and the inlined
	 * form sets -E2BIG with a 32-bit move: r0 is 0xfffffff9, not -7. */
	ret = bpf_loop(BPF_MAX_LOOPS + 1, add_index, &lc, 0);
	if (ret != (long)(__u32)-E2BIG)
		return __LINE__;

	/* Arrays: every index in order, the callback's writes land in the map. */
	wc.stop_after = 3;
	ret = bpf_for_each_map_elem(&slots, walk, &wc, 0);
	if (ret != 3 || wc.visits != 3 || wc.keys != 0 + 1 + 2)
		return __LINE__;
	if (bpf_for_each_map_elem(&slots, walk, &wc, 1) != -EINVAL)
		return __LINE__;

	/* Hashes: every element once; deleting from the callback is allowed. */
	__builtin_memset(&wc, 0, sizeof(wc));
	ret = bpf_for_each_map_elem(&flows, walk, &wc, 0);
	if (ret != wc.visits)
		return __LINE__;
	bpf_for_each_map_elem(&flows, delete_odd, 0, 0);

	/* A callback that calls bpf_for_each_map_elem itself. */
	__builtin_memset(&wc, 0, sizeof(wc));
	if (bpf_loop(2, nested, &wc, 0) != 2 || wc.visits != 8)
		return __LINE__;

	/* Per-CPU arrays: the value of the CPU the program runs on. */
	__u64 *mine = bpf_map_lookup_elem(&per_cpu, &key);
	if (!mine)
		return __LINE__;
	*mine = 7;
	__u64 *cpu0 = bpf_map_lookup_percpu_elem(&per_cpu, &key, 0);
	if (!cpu0 || *cpu0 != 7)
		return __LINE__;
	__u64 *cpu1 = bpf_map_lookup_percpu_elem(&per_cpu, &key, 1);
	if (!cpu1 || cpu1 == cpu0)
		return __LINE__;
	if (bpf_map_lookup_percpu_elem(&per_cpu, &key, 100000))
		return __LINE__;
	key = 2;
	if (bpf_map_lookup_percpu_elem(&per_cpu, &key, 0))
		return __LINE__;
	key = 0;

	/* A spin lock around the value it guards. */
	struct counter *c = bpf_map_lookup_elem(&locked, &key);
	if (!c)
		return __LINE__;
	bpf_spin_lock(&c->lock);
	c->hits++;
	c->bytes += ctx->data_end - ctx->data;
	bpf_spin_unlock(&c->lock);

	__u64 j1 = bpf_jiffies64();
	__u64 j2 = bpf_jiffies64();
	if (j1 == 0 || j2 < j1)
		return __LINE__;

	/* bpf_printk with more than three arguments is bpf_trace_vprintk: it returns the length written. */
	if (bpf_printk("loop %d %d %u %s", 1, -2, 3, "four") != 16)
		return __LINE__;
	__u64 args[2] = { 5, 6 };
	static const char two[] = "%d %d";
	if (bpf_trace_vprintk(two, sizeof(two), args, 12) != -EINVAL)
		return __LINE__;
	if (bpf_trace_vprintk(two, sizeof(two), args, 8) != -EINVAL)
		return __LINE__;
	if (bpf_trace_vprintk(two, sizeof(two), args, 16) != 3)
		return __LINE__;
	return XDP_PASS;
}

/* The socket and namespace cookies of BPF_PROG_TEST_RUN's skb, and jiffies, for the API to read. */
struct {
	__u64 socket_cookie;
	__u64 netns_cookie;
	__u64 init_netns_cookie;
	__u64 jiffies;
} cookies;

SEC("tc")
int tc_cookies(struct __sk_buff *skb)
{
	cookies.socket_cookie = bpf_get_socket_cookie(skb);
	if (cookies.socket_cookie == 0 || bpf_get_socket_cookie(skb) != cookies.socket_cookie)
		return __LINE__;
	cookies.netns_cookie = bpf_get_netns_cookie(skb);
	cookies.init_netns_cookie = bpf_get_netns_cookie(0);
	if (cookies.netns_cookie == 0 || cookies.init_netns_cookie == 0 || cookies.netns_cookie == cookies.init_netns_cookie)
		return __LINE__;
	cookies.jiffies = bpf_jiffies64();
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
