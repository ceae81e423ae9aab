// SPDX-License-Identifier: GPL-2.0
// Rule: kfunc calls by BTF id: each kfunc is allowed for some program types only; arguments are
// checked by their BTF types (ctx, dynptr, memory with a constant size, trusted pointers that
// must not be NULL); KF_ACQUIRE results are released on every path; dynptr slices are memory of
// the slice's size, read-only for bpf_dynptr_slice, NULL until checked, and gone once the packet
// changes; the XDP metadata kfuncs need a device-bound program; a weak kfunc the kernel lacks
// must be dead code.
#include "corpus.h"
#include <stdbool.h>

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern int bpf_dynptr_from_skb(struct __sk_buff *s, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern int bpf_dynptr_adjust(const struct bpf_dynptr *p, __u32 start, __u32 end) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __ksym;
enum xdp_rss_hash_type { XDP_RSS_TYPE_NONE };
extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash, enum xdp_rss_hash_type *rss_type) __ksym;
extern int bpfsim_absent_kfunc(struct xdp_md *ctx) __ksym __weak;

// Bodies of our own: libbpf matches a kfunc's prototype against the kernel's by kind, and a forward declaration is not a struct.
struct nf_conn {
	__u64 cookie;
};
struct bpf_ct_opts {
	__s32 netns_id;
	__s32 error;
	__u8 l4proto;
	__u8 dir;
	__u16 ct_zone_id;
	__u8 ct_zone_dir;
	__u8 reserved[3];
};
extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *bpf_tuple, __u32 tuple__sz, struct bpf_ct_opts *opts, __u32 opts__sz) __ksym;
extern void bpf_ct_release(struct nf_conn *nfct) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} kf_events SEC(".maps");

SEC("xdp")
int ok_xdp_slice(struct xdp_md *ctx)
{
	struct bpf_dynptr ptr;
	struct ethhdr buf;

	if (bpf_dynptr_from_xdp(ctx, 0, &ptr))
		return XDP_DROP;
	struct ethhdr *eth = bpf_dynptr_slice(&ptr, 0, &buf, sizeof(buf));
	if (!eth)
		return XDP_DROP;
	return eth->h_proto == 8 ? XDP_PASS : XDP_DROP;
}

SEC("tc")
int ok_tc_slice(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	struct iphdr buf;

	if (bpf_dynptr_from_skb(skb, 0, &ptr))
		return 2;
	struct iphdr *iph = bpf_dynptr_slice(&ptr, sizeof(struct ethhdr), &buf, sizeof(buf));
	return iph && iph->ttl > 1 ? 0 : 2;
}

SEC("socket")
int ok_socket_slice_without_buffer(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;

	bpf_dynptr_from_skb(skb, 0, &ptr);
	__u8 *first = bpf_dynptr_slice(&ptr, 0, 0, 1);
	return first ? *first : 0;
}

SEC("xdp")
int ok_clone_adjust(struct xdp_md *ctx)
{
	struct bpf_dynptr ptr, clone;

	bpf_dynptr_from_xdp(ctx, 0, &ptr);
	if (bpf_dynptr_clone(&ptr, &clone))
		return XDP_DROP;
	bpf_dynptr_adjust(&clone, sizeof(struct ethhdr), bpf_dynptr_size(&ptr));
	return bpf_dynptr_size(&clone) > 20 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int ok_dynptr_read(struct xdp_md *ctx)
{
	struct bpf_dynptr ptr;
	__u8 bytes[4];

	bpf_dynptr_from_xdp(ctx, 0, &ptr);
	if (bpf_dynptr_read(bytes, sizeof(bytes), &ptr, 26, 0))
		return XDP_DROP;
	return bytes[0] == 10 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int ok_ct_lookup_release(struct xdp_md *ctx)
{
	struct bpf_sock_tuple tuple = {};
	struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = 6 };

	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &tuple, sizeof(tuple.ipv4), &opts, sizeof(opts));
	if (!ct)
		return XDP_PASS;
	bpf_ct_release(ct);
	return XDP_DROP;
}

SEC("tc")
int ok_ringbuf_dynptr_submit(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u32 len = skb->len;

	bpf_ringbuf_reserve_dynptr(&kf_events, 8, 0, &d);
	bpf_dynptr_write(&d, 0, &len, sizeof(len), 0);
	bpf_ringbuf_submit_dynptr(&d, 0);
	return 0;
}

// A slice of 4 bytes read at offset 4.
ASM("xdp", bad_slice_read_past_size,
    "r6 = r1; r1 = r6; r2 = 0; r3 = r10; r3 += -16; call %[from_xdp];"
    "r1 = r10; r1 += -16; r2 = 0; r3 = r10; r3 += -24; r4 = 4; call %[slice];"
    "if r0 == 0 goto out_%=; r0 = *(u8 *)(r0 + 4); out_%=: r0 = 2; exit;"
    :: [from_xdp] "i"(bpf_dynptr_from_xdp), [slice] "i"(bpf_dynptr_slice))

SEC("xdp")
int bad_slice_unchecked(struct xdp_md *ctx)
{
	struct bpf_dynptr ptr;
	__u8 buf[2];

	bpf_dynptr_from_xdp(ctx, 0, &ptr);
	__u8 *p = bpf_dynptr_slice(&ptr, 0, buf, sizeof(buf));
	return p[1];
}

SEC("xdp")
int bad_slice_write(struct xdp_md *ctx)
{
	struct bpf_dynptr ptr;
	__u8 buf[2];

	bpf_dynptr_from_xdp(ctx, 0, &ptr);
	__u8 *p = bpf_dynptr_slice(&ptr, 0, buf, sizeof(buf));
	if (!p)
		return XDP_DROP;
	*(volatile __u8 *)p = 1;
	return XDP_PASS;
}

// The slice's size comes from the packet length: not a constant.
ASM("xdp", bad_slice_size_not_constant,
    "r6 = r1; r7 = *(u32 *)(r6 + 4); r8 = *(u32 *)(r6 + 0); r7 -= r8; r7 &= 7;"
    "r1 = r6; r2 = 0; r3 = r10; r3 += -16; call %[from_xdp];"
    "r1 = r10; r1 += -16; r2 = 0; r3 = r10; r3 += -24; r4 = r7; call %[slice];"
    "r0 = 2; exit;"
    :: [from_xdp] "i"(bpf_dynptr_from_xdp), [slice] "i"(bpf_dynptr_slice))

// A slice of a dynptr never initialised.
ASM("xdp", bad_dynptr_uninit,
    "r1 = r10; r1 += -16; r2 = 0; r3 = 0; r4 = 1; call %[slice]; r0 = 2; exit;"
    :: [slice] "i"(bpf_dynptr_slice))

SEC("tc")
int bad_xdp_kfunc_in_tc(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;

	return bpf_dynptr_from_xdp((struct xdp_md *)skb, 0, &ptr);
}

// The ctx argument is a map value.
ASM("xdp", bad_ctx_arg_map_value,
    LOOKUP0(array64) "if r0 == 0 goto out_%=; r1 = r0; r2 = 0; r3 = r10; r3 += -32; call %[from_xdp]; out_%=: r0 = 2; exit;"
    :: H(map_lookup_elem), M(array64), [from_xdp] "i"(bpf_dynptr_from_xdp))

// A scalar where a dynptr is expected.
ASM("xdp", bad_dynptr_arg_scalar,
    "r1 = 16; call %[size]; r0 = 2; exit;" :: [size] "i"(bpf_dynptr_size))

SEC("xdp")
int bad_ct_not_released(struct xdp_md *ctx)
{
	struct bpf_sock_tuple tuple = {};
	struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = 6 };

	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &tuple, sizeof(tuple.ipv4), &opts, sizeof(opts));
	return ct ? XDP_DROP : XDP_PASS;
}

// The lookup's result released before its NULL check.
ASM("xdp", bad_ct_release_unchecked,
    "r6 = r1; r1 = 0; *(u64 *)(r10 - 40) = r1; *(u64 *)(r10 - 32) = r1; *(u64 *)(r10 - 24) = r1; *(u64 *)(r10 - 16) = r1; *(u64 *)(r10 - 8) = r1;"
    "r1 = r6; r2 = r10; r2 += -40; r3 = 12; r4 = r10; r4 += -16; r5 = 16; call %[lookup];"
    "r1 = r0; call %[release]; r0 = 2; exit;"
    :: [lookup] "i"(bpf_xdp_ct_lookup), [release] "i"(bpf_ct_release))

// The tuple's size is larger than the stack bytes behind it.
ASM("xdp", bad_ct_tuple_size,
    "r6 = r1; r1 = 0; *(u64 *)(r10 - 24) = r1; *(u64 *)(r10 - 16) = r1; *(u64 *)(r10 - 8) = r1;"
    "r1 = r6; r2 = r10; r2 += -8; r3 = 12; r4 = r10; r4 += -24; r5 = 16; call %[lookup];"
    "if r0 == 0 goto out_%=; r1 = r0; call %[release]; out_%=: r0 = 2; exit;"
    :: [lookup] "i"(bpf_xdp_ct_lookup), [release] "i"(bpf_ct_release))

SEC("xdp")
int bad_metadata_not_device_bound(struct xdp_md *ctx)
{
	__u32 hash = 0;
	enum xdp_rss_hash_type type = XDP_RSS_TYPE_NONE;

	bpf_xdp_metadata_rx_hash(ctx, &hash, &type);
	return hash ? XDP_PASS : XDP_DROP;
}

SEC("tc")
int bad_ringbuf_dynptr_not_submitted(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u32 len = skb->len;

	bpf_ringbuf_reserve_dynptr(&kf_events, 8, 0, &d);
	bpf_dynptr_write(&d, 0, &len, sizeof(len), 0);
	return 0;
}

// The stack slot of a ringbuf dynptr overwritten before it is submitted.
ASM("tc", bad_ringbuf_dynptr_overwritten,
    "r1 = %[kf_events] ll; r2 = 8; r3 = 0; r4 = r10; r4 += -16; call %[reserve];"
    "r1 = 0; *(u64 *)(r10 - 16) = r1;"
    "r1 = r10; r1 += -16; r2 = 0; call %[submit]; r0 = 0; exit;"
    :: M(kf_events), [reserve] "i"(BPF_FUNC_ringbuf_reserve_dynptr), [submit] "i"(BPF_FUNC_ringbuf_submit_dynptr))

// A slice read after bpf_xdp_adjust_head changed the packet.
ASM("xdp", bad_slice_after_packet_change,
    "r6 = r1; r2 = 0; r3 = r10; r3 += -16; call %[from_xdp];"
    "r1 = r10; r1 += -16; r2 = 0; r3 = r10; r3 += -24; r4 = 4; call %[slice]; if r0 == 0 goto out_%=; r7 = r0;"
    "r1 = r6; r2 = 0; call %[xdp_adjust_head]; r0 = *(u8 *)(r7 + 0); out_%=: r0 = 2; exit;"
    :: [from_xdp] "i"(bpf_dynptr_from_xdp), [slice] "i"(bpf_dynptr_slice), H(xdp_adjust_head))

SEC("xdp")
int bad_weak_kfunc_called(struct xdp_md *ctx)
{
	bpfsim_absent_kfunc(ctx);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
