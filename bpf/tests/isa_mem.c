/* Loads and stores of every size, stores of immediates, global data (lddw with relocations), map
 * calls and atomics (with and without fetch, xchg, cmpxchg, 32 and 64 bits; fetch forms need
 * -mcpu=v3), for the disassembler's comparison with llvm-objdump. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} counters SEC(".maps");

u64 total;
u32 hits;
const volatile u32 limit = 1000;

struct rec {
	u8 a;
	u16 b;
	u32 c;
	u64 d;
};

static __attribute__((noinline)) void fill(struct rec *r, u64 v)
{
	r->a = v;
	r->b = v >> 8;
	r->c = v >> 16;
	r->d = v;
}

SEC("xdp")
int isa_mem(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct rec r = { .a = 1, .b = 2, .c = 3, .d = 4 };
	volatile u64 slot = 0x7fffffff;
	volatile u32 small = 0x1234;
	if (data + sizeof(struct rec) > end)
		return XDP_PASS;
	fill(&r, *(u64 *)data);
	fill(data, r.d + r.c + r.b + r.a);
	u32 key = r.a & 3;
	u64 *v = bpf_map_lookup_elem(&counters, &key);
	if (!v)
		return XDP_ABORTED;
	__sync_fetch_and_add(v, 1);
	__sync_fetch_and_add(&hits, 1);
#if __BPF_CPU_VERSION__ >= 3
	u64 old = __sync_fetch_and_add(&total, r.d);
	old += __sync_fetch_and_or(v, 2);
	old += __sync_fetch_and_and(v, 0xff);
	old += __sync_fetch_and_xor(v, 4);
	__sync_fetch_and_or(&total, 8);
	__sync_fetch_and_and(&total, 0xf0);
	__sync_fetch_and_xor(&total, 1);
	old += __sync_lock_test_and_set(v, old);
	old += __sync_val_compare_and_swap(v, old, 5);
	u32 o32 = __sync_fetch_and_add(&hits, 3);
	o32 += __sync_fetch_and_or(&hits, 2);
	o32 += __sync_fetch_and_and(&hits, 0xff);
	o32 += __sync_fetch_and_xor(&hits, 4);
	__sync_fetch_and_or(&hits, 8);
	__sync_fetch_and_and(&hits, 0xf0);
	__sync_fetch_and_xor(&hits, 1);
	o32 += __sync_lock_test_and_set(&hits, o32);
	o32 += __sync_val_compare_and_swap(&hits, o32, 6);
	slot = old + o32;
#endif
	small = small + 1;
	if (slot > limit)
		return XDP_DROP;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
