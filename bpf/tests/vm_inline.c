// VM test program for the WebAssembly engine's inline helpers (map lookups in array, per-CPU
// array, hash, LRU hash and per-CPU hash maps; bpf_csum_diff; bpf_redirect; the clock and CPU):
// every choice comes from the packet, so random packets reach hits, misses, out-of-range
// indices, keys on the stack, in the packet and in a map value, and flags the helpers refuse.
// test/vm/wasm-inline.test.ts runs it on both engines and compares everything it leaves.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct key6 {
	__u8 b[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} parr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct key6);
	__type(value, __u64);
} h6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u64);
	__type(value, __u32);
} ph SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} out SEC(".maps");

static __always_inline void put(__u32 slot, __u64 v)
{
	__u64 *o = bpf_map_lookup_elem(&out, &slot);
	if (o)
		*o = v;
}

static __always_inline __u64 mix(__u8 *p)
{
	__u64 acc = 0;
	__u32 idx = p[0] & 15; /* 8..15 are past max_entries */
	__u64 *a = bpf_map_lookup_elem(&arr, &idx);
	if (a) {
		*a += p[1];
		acc += *a;
	} else {
		acc += 1000;
	}
	__u32 pidx = p[2] & 7;
	__u32 *pa = bpf_map_lookup_elem(&parr, &pidx);
	if (pa) {
		*pa += 1;
		acc += *pa;
	}
	struct key6 k;
	__builtin_memcpy(&k, p + 3, 6);
	k.b[0] &= 3;
	k.b[2] = k.b[3] = k.b[4] = k.b[5] = 0;
	__u64 *hv = bpf_map_lookup_elem(&h6, &k);
	if (hv) {
		*hv += 1;
		acc += *hv * 3;
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&h6, &k, &one, BPF_ANY);
	}
	/* The key straight from the packet. */
	__u64 *hp = bpf_map_lookup_elem(&h6, p + 3);
	if (hp)
		acc += 7;
	/* The key in a map value. */
	if (a && bpf_map_lookup_elem(&h6, a))
		acc += 11;
	/* 16 keys in an 8-entry LRU: hits set ref bits, misses evict by them. */
	__u32 lk = p[16] & 15;
	__u64 *lv = bpf_map_lookup_elem(&lru, &lk);
	if (lv) {
		acc += *lv;
	} else {
		__u64 v = acc;
		bpf_map_update_elem(&lru, &lk, &v, BPF_ANY);
	}
	__u64 pk = p[9] & 7;
	__u32 *pv = bpf_map_lookup_elem(&ph, &pk);
	if (pv) {
		*pv += 1;
		acc += *pv;
	} else {
		__u32 z = 5;
		bpf_map_update_elem(&ph, &pk, &z, BPF_NOEXIST);
	}
	return acc;
}

SEC("xdp")
int vm_inline_xdp(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	if (p + 48 > end)
		return XDP_PASS;
	__u64 acc = mix(p);
	/* csum_diff over packet and stack ranges of 0..12 bytes, any seed. */
	__u32 from_len = (p[10] & 3) * 4, to_len = (p[11] & 3) * 4;
	__u32 words[3] = { p[20] * 0x1010101u, p[21] * 0x3050709u, p[22] };
	__s64 d = bpf_csum_diff((void *)(p + 24), from_len, words, to_len, p[12] * 0x01000193u);
	put(0, acc);
	put(1, (__u64)d);
	put(2, bpf_ktime_get_ns() + bpf_get_smp_processor_id());
	if (p[13] & 1)
		return bpf_redirect(p[14] & 3, p[15] & 1);
	return XDP_TX;
}

SEC("tc")
int vm_inline_tc(struct __sk_buff *skb)
{
	__u8 *p = (void *)(long)skb->data;
	__u8 *end = (void *)(long)skb->data_end;
	if (p + 48 > end)
		return TC_ACT_OK;
	put(0, mix(p));
	put(2, bpf_ktime_get_ns());
	if (p[13] & 1)
		return bpf_redirect(p[14] & 3, p[15] & 3);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
