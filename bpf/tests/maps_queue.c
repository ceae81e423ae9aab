/* Queue, stack and bloom filter maps with the kernel's flags and errors: each check returns its
 * __LINE__ when it fails, XDP_PASS when all pass. The bloom filters' positives for values never
 * added are counted into globals, so their false positives are compared with the kernel's. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define EINVAL 22
#define E2BIG 7
#define ENOENT 2

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u32);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 3);
	__type(value, __u32);
} stack SEC(".maps");

/* Filled from user space by the case. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8);
	__type(value, __u32);
} free_ids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 16);
	__uint(map_extra, 3);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(value, __u32);
} seen SEC(".maps");

struct addr7 {
	__u8 b[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(value, struct addr7);
} seen7 SEC(".maps");

struct {
	__u32 positives;
	__u32 positives7;
	__u32 first_free;
} result;

SEC("xdp")
int xdp_queues(struct xdp_md *ctx)
{
	__u32 v;

#pragma clang loop unroll(full)
	for (__u32 i = 1; i <= 4; i++) {
		v = i;
		if (bpf_map_push_elem(&queue, &v, 0))
			return __LINE__;
	}
	v = 5;
	if (bpf_map_push_elem(&queue, &v, 0) != -E2BIG)
		return __LINE__;
	if (bpf_map_push_elem(&queue, &v, BPF_NOEXIST) != -EINVAL)
		return __LINE__;
	if (bpf_map_push_elem(&queue, &v, 4) != -EINVAL)
		return __LINE__;
	if (bpf_map_push_elem(&queue, &v, BPF_EXIST))
		return __LINE__;
	if (bpf_map_peek_elem(&queue, &v) || v != 2)
		return __LINE__;
#pragma clang loop unroll(full)
	for (__u32 want = 2; want <= 5; want++)
		if (bpf_map_pop_elem(&queue, &v) || v != want)
			return __LINE__;
	v = 77;
	if (bpf_map_pop_elem(&queue, &v) != -ENOENT || v != 0)
		return __LINE__;

#pragma clang loop unroll(full)
	for (__u32 i = 1; i <= 3; i++) {
		v = i;
		if (bpf_map_push_elem(&stack, &v, 0))
			return __LINE__;
	}
	v = 9;
	if (bpf_map_push_elem(&stack, &v, BPF_EXIST))
		return __LINE__;
	if (bpf_map_pop_elem(&stack, &v) || v != 9)
		return __LINE__;
	if (bpf_map_pop_elem(&stack, &v) || v != 3)
		return __LINE__;
	if (bpf_map_peek_elem(&stack, &v) || v != 2)
		return __LINE__;
	if (bpf_map_pop_elem(&stack, &v) || bpf_map_pop_elem(&stack, &v) != -ENOENT)
		return __LINE__;

	if (bpf_map_pop_elem(&free_ids, &result.first_free))
		return __LINE__;

#pragma clang loop unroll(full)
	for (__u32 i = 0; i < 16; i++) {
		__u32 x = i * 2654435761u;
		if (bpf_map_push_elem(&seen, &x, 0))
			return __LINE__;
	}
	if (bpf_map_push_elem(&seen, &v, BPF_EXIST) != -EINVAL)
		return __LINE__;
	v = 0;
	if (bpf_map_peek_elem(&seen, &v))
		return __LINE__;
#pragma clang loop unroll(full)
	for (__u32 i = 1000; i < 1200; i++) {
		__u32 x = i;
		if (bpf_map_peek_elem(&seen, &x) == 0)
			result.positives++;
	}

	struct addr7 a = {};
#pragma clang loop unroll(full)
	for (__u32 i = 0; i < 40; i++) {
		a.b[0] = i;
		a.b[6] = i ^ 0x5a;
		if (bpf_map_push_elem(&seen7, &a, 0))
			return __LINE__;
	}
#pragma clang loop unroll(full)
	for (__u32 i = 0; i < 200; i++) {
		a.b[0] = i;
		a.b[3] = 1;
		if (bpf_map_peek_elem(&seen7, &a) == 0)
			result.positives7++;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
