/* Loader test object: global data in every kind of section, subprograms in .text and static,
 * BTF maps of several types (map-in-map and a prog array with initial values). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow {
	__u32 saddr;
	__u16 port;
	__u8 proto;
	/* 1 byte of padding */
	__u64 seen;
	__u32 flags : 3;
	__u32 kind : 5;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, struct flow);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, __u64);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lru SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

int tail_a(struct xdp_md *ctx);
int tail_b(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int(struct xdp_md *));
} jumps SEC(".maps") = {
	.values = { [1] = (void *)&tail_a, [3] = (void *)&tail_b },
};

int data_counter = 7;                       /* .data */
static int static_data = 3;                 /* .data (static) */
const volatile __u32 ro_limit = 1500;       /* .rodata */
const volatile __u8 ro_table[4] = {1, 2, 3, 4};
__u64 bss_total;                            /* .bss */
static __u32 bss_static;                    /* .bss (static) */
__u32 custom_data SEC(".data.custom") = 0x11223344;
const volatile __u32 custom_ro SEC(".rodata.custom") = 0x55667788;

__attribute__((noinline)) int global_helper(__u32 x)
{
	return x * 3 + data_counter;
}

static __attribute__((noinline)) int static_helper(__u32 x)
{
	bss_static += x;
	return x + ro_table[x & 3] + custom_ro;
}

static __attribute__((noinline)) int second_level(__u32 x)
{
	return static_helper(x) + 1;
}

SEC("xdp")
int xdp_globals(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct flow *f = bpf_map_lookup_elem(&flows, &key);
	__u64 *c = bpf_map_lookup_elem(&counters, &key);
	if (f)
		f->seen++;
	if (c)
		(*c)++;
	bss_total += ro_limit + static_data + custom_data;
	bpf_printk("total %llu", bss_total);
	return global_helper(key) + second_level(key) > 100 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int tail_a(struct xdp_md *ctx)
{
	__u64 k = 1;
	__u32 v = 2;
	bpf_map_update_elem(&lru, &k, &v, BPF_ANY);
	bpf_tail_call(ctx, &jumps, 3);
	return static_helper(1);
}

SEC("xdp.frags")
int tail_b(struct xdp_md *ctx)
{
	__u32 key = 0;
	void *inner = bpf_map_lookup_elem(&outer, &key);
	return inner ? XDP_PASS : global_helper(2);
}

SEC("tc/ingress")
int tc_ing(struct __sk_buff *skb)
{
	return global_helper(skb->len) & 1;
}

SEC("tcx/egress")
int tc_eg(struct __sk_buff *skb)
{
	return 0;
}

SEC("classifier")
int cls(struct __sk_buff *skb)
{
	return static_helper(skb->mark);
}

char _license[] SEC("license") = "Dual MIT/GPL";
