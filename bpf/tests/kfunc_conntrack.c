/* The conntrack kfuncs on XDP and TC: lookups of the packet's flow with options the case sets
 * through .rodata, alloc + insert with timeout, status, mark and NAT, and changes of an entry a
 * lookup found. Each program records what it saw in `seen` (slot 0) and returns 1 when the kfunc
 * gave an entry, 2 when it gave NULL. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>

/* The fields read through BTF: CO-RE places them as the kernel's struct nf_conn has them. */
struct nf_conn {
	unsigned int timeout;
	unsigned long status;
	unsigned int mark;
} __attribute__((preserve_access_index));
struct nf_conn___init {
	unsigned long cookie;
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
union nf_inet_addr {
	__u32 all[4];
	__be32 ip;
	__be32 ip6[4];
};
enum nf_nat_manip_type { NF_NAT_MANIP_SRC, NF_NAT_MANIP_DST };

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts *, __u32) __ksym;
extern struct nf_conn *bpf_skb_ct_lookup(struct __sk_buff *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts *, __u32) __ksym;
extern struct nf_conn___init *bpf_xdp_ct_alloc(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts *, __u32) __ksym;
extern struct nf_conn___init *bpf_skb_ct_alloc(struct __sk_buff *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts *, __u32) __ksym;
extern struct nf_conn *bpf_ct_insert_entry(struct nf_conn___init *) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;
extern void bpf_ct_set_timeout(struct nf_conn___init *, __u32) __ksym;
extern int bpf_ct_change_timeout(struct nf_conn *, __u32) __ksym;
extern int bpf_ct_set_status(const struct nf_conn___init *, __u32) __ksym;
extern int bpf_ct_change_status(struct nf_conn *, __u32) __ksym;
extern int bpf_ct_set_nat_info(struct nf_conn___init *, union nf_inet_addr *, int, enum nf_nat_manip_type) __ksym;

/* Options of the next call; 0 means "as the packet says" for l4proto and tuple_size. */
const volatile __u32 opts_size = sizeof(struct bpf_ct_opts);
const volatile __s32 netns_id = -1;
const volatile __u8 l4proto;
const volatile __u32 tuple_size;
const volatile __u8 reserved_byte;
const volatile __u16 zone_id;
const volatile __u8 zone_dir;
/* For alloc + insert: timeout (ms, 0 keeps the default), status, mark, NAT (manip 0 SRC, 1 DST; 2 none). */
const volatile __u32 new_timeout;
const volatile __u32 new_status;
const volatile __u32 new_mark;
const volatile __u32 nat_manip = 2;
const volatile __be32 nat_addr;
const volatile int nat_port;

struct seen {
	__s32 error;
	__u32 dir;
	__u64 status;
	__u32 mark;
	/* ct->timeout less the current jiffies (an inserted entry's time left), or ct->timeout itself before insertion. */
	__s32 timeout_left;
	__s32 ret_a;
	__s32 ret_b;
	__u32 found_after;
	__u32 found_dir;
	__u64 status_before;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct seen);
} seen SEC(".maps");

/* The packet's flow as a bpf_sock_tuple; returns its size (0 when the frame is not TCP or UDP over IP) and sets *proto. */
static __always_inline __u32 flow_of(void *data, void *data_end, struct bpf_sock_tuple *t, __u8 *proto)
{
	struct ethhdr *eth = data;
	__u16 *ports;

	if ((void *)(eth + 1) > data_end)
		return 0;
	if (eth->h_proto == __builtin_bswap16(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end)
			return 0;
		ports = (void *)(ip + 1);
		if ((void *)(ports + 2) > data_end)
			return 0;
		t->ipv4.saddr = ip->saddr;
		t->ipv4.daddr = ip->daddr;
		t->ipv4.sport = ports[0];
		t->ipv4.dport = ports[1];
		*proto = ip->protocol;
		return sizeof(t->ipv4);
	}
	if (eth->h_proto == __builtin_bswap16(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return 0;
		ports = (void *)(ip6 + 1);
		if ((void *)(ports + 2) > data_end)
			return 0;
		__builtin_memcpy(t->ipv6.saddr, &ip6->saddr, 16);
		__builtin_memcpy(t->ipv6.daddr, &ip6->daddr, 16);
		t->ipv6.sport = ports[0];
		t->ipv6.dport = ports[1];
		*proto = ip6->nexthdr;
		return sizeof(t->ipv6);
	}
	return 0;
}

static __always_inline void set_opts(struct bpf_ct_opts *o, __u8 proto)
{
	o->netns_id = netns_id;
	o->error = 0;
	o->l4proto = l4proto ? l4proto : proto;
	o->dir = 0xff;
	o->ct_zone_id = zone_id;
	o->ct_zone_dir = zone_dir;
	o->reserved[0] = reserved_byte;
	o->reserved[1] = 0;
	o->reserved[2] = 0;
}

static __always_inline __s32 left(struct nf_conn *ct)
{
	return (__s32)(ct->timeout - (__u32)bpf_jiffies64());
}

static __always_inline void record(struct seen *s, struct nf_conn *ct, struct bpf_ct_opts *o)
{
	s->error = o->error;
	s->dir = o->dir;
	if (ct) {
		s->status = ct->status;
		s->mark = ct->mark;
		s->timeout_left = left(ct);
	}
}

#define LOOKUP(name, ctx_t, lookup)                                                              \
	SEC(name) int ct_lookup_##ctx_t(struct ctx_t *ctx)                                           \
	{                                                                                            \
		struct bpf_sock_tuple t = {};                                                            \
		struct bpf_ct_opts o;                                                                    \
		__u32 k = 0;                                                                             \
		__u8 proto = 0;                                                                          \
		struct seen *s = bpf_map_lookup_elem(&seen, &k);                                         \
		__u32 size = flow_of((void *)(long)ctx->data, (void *)(long)ctx->data_end, &t, &proto);  \
		if (!s || !size)                                                                         \
			return 0;                                                                            \
		set_opts(&o, proto);                                                                     \
		struct nf_conn *ct = lookup(ctx, &t, tuple_size ? tuple_size : size, &o, opts_size);     \
		record(s, ct, &o);                                                                       \
		if (!ct)                                                                                 \
			return 2;                                                                            \
		bpf_ct_release(ct);                                                                      \
		return 1;                                                                                \
	}

LOOKUP("xdp", xdp_md, bpf_xdp_ct_lookup)
LOOKUP("tc", __sk_buff, bpf_skb_ct_lookup)

/* Allocates the packet's flow, sets what .rodata asks, inserts it, then looks up its reply direction. */
#define INSERT(name, ctx_t, alloc, lookup)                                                       \
	SEC(name) int ct_insert_##ctx_t(struct ctx_t *ctx)                                           \
	{                                                                                            \
		struct bpf_sock_tuple t = {}, r = {};                                                    \
		struct bpf_ct_opts o;                                                                    \
		__u32 k = 0;                                                                             \
		__u8 proto = 0;                                                                          \
		struct seen *s = bpf_map_lookup_elem(&seen, &k);                                         \
		__u32 size = flow_of((void *)(long)ctx->data, (void *)(long)ctx->data_end, &t, &proto);  \
		if (!s || !size)                                                                         \
			return 0;                                                                            \
		set_opts(&o, proto);                                                                     \
		struct nf_conn___init *ci = alloc(ctx, &t, tuple_size ? tuple_size : size, &o, opts_size); \
		s->error = o.error;                                                                      \
		if (!ci)                                                                                 \
			return 2;                                                                            \
		s->status_before = ((struct nf_conn *)ci)->status;                                       \
		s->timeout_left = ((struct nf_conn *)ci)->timeout;                                       \
		if (new_timeout)                                                                         \
			bpf_ct_set_timeout(ci, new_timeout);                                                 \
		s->ret_a = bpf_ct_set_status(ci, new_status);                                            \
		((struct nf_conn *)ci)->mark = new_mark;                                                 \
		if (nat_manip < 2) {                                                                     \
			union nf_inet_addr a = { .ip = nat_addr };                                           \
			s->ret_b = bpf_ct_set_nat_info(ci, &a, nat_port, nat_manip);                         \
		}                                                                                        \
		struct nf_conn *ct = bpf_ct_insert_entry(ci);                                            \
		if (!ct)                                                                                 \
			return 3;                                                                            \
		s->status = ct->status;                                                                  \
		s->mark = ct->mark;                                                                      \
		s->timeout_left = left(ct);                                                              \
		bpf_ct_release(ct);                                                                      \
		if (size == sizeof(t.ipv4)) {                                                            \
			r.ipv4.saddr = t.ipv4.daddr;                                                         \
			r.ipv4.daddr = t.ipv4.saddr;                                                         \
			r.ipv4.sport = t.ipv4.dport;                                                         \
			r.ipv4.dport = t.ipv4.sport;                                                         \
		}                                                                                        \
		set_opts(&o, proto);                                                                     \
		o.ct_zone_dir = zone_dir;                                                                \
		ct = lookup(ctx, &r, sizeof(r.ipv4), &o, opts_size);                                     \
		if (ct) {                                                                                \
			s->found_after = 1;                                                                  \
			s->found_dir = o.dir;                                                                \
			bpf_ct_release(ct);                                                                  \
		}                                                                                        \
		return 1;                                                                                \
	}

INSERT("xdp", xdp_md, bpf_xdp_ct_alloc, bpf_xdp_ct_lookup)
INSERT("tc", __sk_buff, bpf_skb_ct_alloc, bpf_skb_ct_lookup)

/* Looks the packet's flow up and changes it: timeout (new_timeout ms), status (new_status), mark. */
SEC("xdp")
int ct_change(struct xdp_md *ctx)
{
	struct bpf_sock_tuple t = {};
	struct bpf_ct_opts o;
	__u32 k = 0;
	__u8 proto = 0;
	struct seen *s = bpf_map_lookup_elem(&seen, &k);
	__u32 size = flow_of((void *)(long)ctx->data, (void *)(long)ctx->data_end, &t, &proto);
	if (!s || !size)
		return 0;
	set_opts(&o, proto);
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, size, &o, opts_size);
	s->error = o.error;
	if (!ct)
		return 2;
	s->status_before = ct->status;
	s->ret_a = bpf_ct_change_timeout(ct, new_timeout);
	s->ret_b = bpf_ct_change_status(ct, new_status);
	ct->mark = new_mark;
	s->status = ct->status;
	s->mark = ct->mark;
	s->timeout_left = left(ct);
	bpf_ct_release(ct);
	return 1;
}

char _license[] SEC("license") = "GPL";
