// VM test program for the WebAssembly engine's inline bpf_fib_lookup: every field of the struct,
// the flags, the length and where the struct lives (the stack or a map value: the kernel refuses a
// packet pointer, bpf_fib_lookup's prototype has no pkt_access) come from the packet, so random packets reach
// each route kind, the MTU check, missing neighbours, the output-device filter and every case the
// inline form hands to the helper (IPv6, unknown families and flags, TBID, SRC, a short plen).
// test/vm/wasm-inline.test.ts runs it on both engines over a FIB and compares what it leaves.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct result {
	__s64 rc;
	struct bpf_fib_lookup p;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct result);
} fibout SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_fib_lookup);
} fibin SEC(".maps");

static __always_inline void fill(struct bpf_fib_lookup *f, __u8 *p)
{
	__u8 fam = p[7] & 7;
	__u8 host = (p[6] & 0x0f) | ((p[6] & 0x80) ? 0xf0 : 0);
	f->family = fam < 6 ? 2 : fam == 6 ? 10 : 3;
	f->l4_protocol = p[9];
	f->tot_len = (p[10] & 3) == 0 ? 0 : (p[10] & 3) == 1 ? p[11] * 16 : (p[11] << 8) | p[12];
	f->ifindex = p[13] & 3;
	f->ipv4_src = 0x0a030000 | p[14];
	f->ipv4_dst = 0x0a | ((3 + (p[5] & 7)) << 8) | (host << 24);
	f->tbid = (p[15] & 1) ? 254 : 255;
	f->smac[0] = p[16];
	f->dmac[5] = p[17];
}

static __always_inline void run(void *ctx, __u8 *p, __u8 *end)
{
	struct bpf_fib_lookup fib = {};
	__u32 zero = 0;
	if (p + 64 > end)
		return;
	__u32 flags = p[8] & 7;
	if (p[8] & 0x80)
		flags = p[8] & 0x7f;
	int plen = (p[18] & 7) == 7 ? 32 : 64;
	struct bpf_fib_lookup *f = &fib;
	if ((p[18] & 0x30) == 0) {
		f = bpf_map_lookup_elem(&fibin, &zero);
		if (!f)
			return;
	}
	fill(f, p);
	__s64 rc = bpf_fib_lookup(ctx, f, plen, flags);
	struct result *r = bpf_map_lookup_elem(&fibout, &zero);
	if (!r)
		return;
	r->rc = rc;
	__builtin_memcpy(&r->p, f, sizeof(*f));
}

SEC("xdp")
int vm_fib_xdp(struct xdp_md *ctx)
{
	run(ctx, (void *)(long)ctx->data, (void *)(long)ctx->data_end);
	return XDP_PASS;
}

SEC("tc")
int vm_fib_tc(struct __sk_buff *skb)
{
	run(skb, (void *)(long)skb->data, (void *)(long)skb->data_end);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
