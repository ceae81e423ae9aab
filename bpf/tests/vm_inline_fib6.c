// VM test program for the WebAssembly engine's inline bpf_fib_lookup on IPv6: the destination
// and source come from a few prefixes picked by the packet (connected, through a gateway, with
// and without a neighbour, blackhole, unreachable, prohibit, local, link-local, multicast,
// loopback), as do tot_len, ifindex and the flags, so random packets
// reach every answer of the IPv6 half and some of the IPv4 one. (The struct stays on the stack:
// the kernel refuses this program's bpf_fib_lookup of a struct in the packet.)
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

/* The 16 bytes of an address of kind `kind` (0-7) ending in `host`, with `alt` moving it out of a longer prefix. */
static __always_inline void addr(__u8 *a, __u8 kind, __u8 host, __u8 alt)
{
	__builtin_memset(a, 0, 16);
	switch (kind) {
	case 0: a[0] = 0xfd; a[1] = 0x01; break;	/* connected on eth1; fd01::1 is local */
	case 1: a[0] = 0xfd; a[1] = 0x02; break;	/* via fd01::fe, fd02::/112 on eth2 */
	case 2: a[0] = 0xfd; a[1] = 0x03; break;	/* blackhole */
	case 3: a[0] = 0xfd; a[1] = 0x04; break;	/* unreachable, prohibit in fd04::/96 */
	case 4: a[0] = 0xfd; a[1] = 0x05; break;	/* via fd06::9, no neighbour */
	case 5: a[0] = 0xfe; a[1] = 0x80 | (alt & 0x40); break;	/* link-local (and fec0::, which is not) */
	case 6: a[0] = 0xff; a[1] = 0x02; break;	/* multicast */
	default: host = alt & 1 ? 2 : 1; break;		/* ::1, ::2 */
	}
	if (alt & 0x10)
		a[8] = 1;
	if (alt & 0x20)
		a[13] = 1;
	a[15] = host;
}

static __always_inline void run(void *ctx, __u8 *p, __u8 *end)
{
	static const __u8 hosts[8] = { 5, 6, 3, 0xfe, 1, 9, 0x10, 0 };
	struct bpf_fib_lookup fib = {};
	__u32 zero = 0;
	if (p + 64 > end)
		return;
	__u8 fam = p[7] & 15;
	__u8 dkind = p[5] & 7, dhost = hosts[p[6] & 7], dalt = p[4];
	__u8 skind = (p[14] & 7) < 5 ? 0 : p[14] & 7, shost = hosts[(p[14] >> 3) & 7], salt = p[15];
	__u8 tl = p[10], tl1 = p[11], tl2 = p[12], ifx = p[13] & 3;
	__u32 flags = p[8] & 7;
	if ((p[8] & 0xf0) == 0xf0)
		flags = p[8] & 0x3f;
	int plen = (p[18] & 15) == 15 ? 32 : 64;
	struct bpf_fib_lookup *f = &fib;
	f->family = fam < 14 ? 10 : fam == 14 ? 2 : 3;
	f->l4_protocol = 6;
	f->tot_len = (tl & 7) == 0 ? 0 : (tl & 1) ? tl1 * 16 : (tl1 << 8) | tl2;
	f->ifindex = ifx;
	addr((__u8 *)f->ipv6_src, skind, shost, salt);
	addr((__u8 *)f->ipv6_dst, dkind, dhost, dalt);
	__s64 rc = bpf_fib_lookup(ctx, f, plen, flags);
	struct result *r = bpf_map_lookup_elem(&fibout, &zero);
	if (!r)
		return;
	r->rc = rc;
	__builtin_memcpy(&r->p, f, sizeof(*f));
}

SEC("xdp")
int vm_fib6_xdp(struct xdp_md *ctx)
{
	run(ctx, (void *)(long)ctx->data, (void *)(long)ctx->data_end);
	return XDP_PASS;
}

SEC("tc")
int vm_fib6_tc(struct __sk_buff *skb)
{
	run(skb, (void *)(long)skb->data, (void *)(long)skb->data_end);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
