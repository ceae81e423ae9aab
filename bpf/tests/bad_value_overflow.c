// SPDX-License-Identifier: GPL-2.0
// Bad-input test program: each program writes 8 bytes at `value + value_size` of a map value or a
// global (the verifier refuses it: `invalid access to map value, value_size=8 off=8 size=8`; the
// VM faults instead of changing the next element, the next CPU's value or the next map).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define MAP(name, map_type, value_type)        \
	struct {                               \
		__uint(type, map_type);        \
		__uint(max_entries, 4);        \
		__type(key, __u32);            \
		__type(value, value_type);     \
	} name SEC(".maps")

struct pair {
	__u64 a, b;
};

MAP(array_u64, BPF_MAP_TYPE_ARRAY, __u64);
MAP(array_pair, BPF_MAP_TYPE_ARRAY, struct pair);
MAP(hash_u64, BPF_MAP_TYPE_HASH, __u64);
MAP(percpu_array_u64, BPF_MAP_TYPE_PERCPU_ARRAY, __u64);
MAP(percpu_hash_u64, BPF_MAP_TYPE_PERCPU_HASH, __u64);
MAP(lru_hash_u64, BPF_MAP_TYPE_LRU_HASH, __u64);
MAP(lru_percpu_hash_u64, BPF_MAP_TYPE_LRU_PERCPU_HASH, __u64);

__u64 bss_u64;
__u64 data_u64 = 1;

/* The pointer goes through an empty asm so that clang cannot see the object it points into. */
static __always_inline void write_past(void *value, __u32 value_size)
{
	asm volatile("" : "+r"(value));
	*(volatile __u64 *)(value + value_size) = 7; /* FAULT */
}

static __always_inline int overflow_lookup(void *map, __u32 value_size)
{
	__u32 key = 0;
	__u64 zero[2] = {};
	void *value;

	bpf_map_update_elem(map, &key, zero, BPF_ANY);
	value = bpf_map_lookup_elem(map, &key);
	if (!value)
		return 1;
	write_past(value, value_size);
	return XDP_PASS;
}

SEC("xdp") int overflow_array_u64(struct xdp_md *ctx) { return overflow_lookup(&array_u64, 8); }
SEC("xdp") int overflow_array_pair(struct xdp_md *ctx) { return overflow_lookup(&array_pair, 16); }
SEC("xdp") int overflow_hash_u64(struct xdp_md *ctx) { return overflow_lookup(&hash_u64, 8); }
SEC("xdp") int overflow_percpu_array_u64(struct xdp_md *ctx) { return overflow_lookup(&percpu_array_u64, 8); }
SEC("xdp") int overflow_percpu_hash_u64(struct xdp_md *ctx) { return overflow_lookup(&percpu_hash_u64, 8); }
SEC("xdp") int overflow_lru_hash_u64(struct xdp_md *ctx) { return overflow_lookup(&lru_hash_u64, 8); }
SEC("xdp") int overflow_lru_percpu_hash_u64(struct xdp_md *ctx) { return overflow_lookup(&lru_percpu_hash_u64, 8); }

SEC("xdp") int overflow_bss(struct xdp_md *ctx)
{
	write_past(&bss_u64, 8);
	return XDP_PASS;
}

SEC("xdp") int overflow_data(struct xdp_md *ctx)
{
	write_past(&data_u64, 8);
	return XDP_PASS;
}

/* The last element of an array: past it is the next allocation in the VM's heap. */
SEC("xdp") int overflow_array_last(struct xdp_md *ctx)
{
	__u32 key = 3;
	__u64 *value = bpf_map_lookup_elem(&array_u64, &key);

	if (!value)
		return 1;
	write_past(value, 8);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
