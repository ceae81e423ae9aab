/* Conntrack kfunc programs the kernel's verifier refuses (the type and reference rules of
 * nf_conn and nf_conn___init, and writes through nf_conn), next to one it accepts. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct nf_conn {
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

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts *, __u32) __ksym;
extern struct nf_conn___init *bpf_xdp_ct_alloc(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts *, __u32) __ksym;
extern struct nf_conn *bpf_ct_insert_entry(struct nf_conn___init *) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;
extern void bpf_ct_set_timeout(struct nf_conn___init *, __u32) __ksym;
extern int bpf_ct_change_timeout(struct nf_conn *, __u32) __ksym;

#define SETUP                                                        \
	struct bpf_sock_tuple t = {};                                    \
	struct bpf_ct_opts o = { .netns_id = -1, .l4proto = 6 };

SEC("xdp")
int ok_mark_write(struct xdp_md *ctx)
{
	SETUP
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!ct)
		return XDP_PASS;
	ct->mark = 7;
	bpf_ct_release(ct);
	return XDP_DROP;
}

SEC("xdp")
int bad_alloc_release(struct xdp_md *ctx)
{
	SETUP
	struct nf_conn___init *ci = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (ci)
		bpf_ct_release((struct nf_conn *)ci);
	return XDP_PASS;
}

SEC("xdp")
int bad_lookup_insert(struct xdp_md *ctx)
{
	SETUP
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!ct)
		return XDP_PASS;
	ct = bpf_ct_insert_entry((struct nf_conn___init *)ct);
	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}

SEC("xdp")
int bad_change_timeout_after_alloc(struct xdp_md *ctx)
{
	SETUP
	struct nf_conn___init *ci = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!ci)
		return XDP_PASS;
	bpf_ct_change_timeout((struct nf_conn *)ci, 1000);
	struct nf_conn *ct = bpf_ct_insert_entry(ci);
	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}

SEC("xdp")
int bad_set_timeout_after_insert(struct xdp_md *ctx)
{
	SETUP
	struct nf_conn___init *ci = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!ci)
		return XDP_PASS;
	struct nf_conn *ct = bpf_ct_insert_entry(ci);
	if (!ct)
		return XDP_PASS;
	bpf_ct_set_timeout((struct nf_conn___init *)ct, 1000);
	bpf_ct_release(ct);
	return XDP_PASS;
}

SEC("xdp")
int bad_status_write(struct xdp_md *ctx)
{
	SETUP
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!ct)
		return XDP_PASS;
	ct->status = 2;
	bpf_ct_release(ct);
	return XDP_PASS;
}

SEC("xdp")
int bad_use_after_release(struct xdp_md *ctx)
{
	SETUP
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!ct)
		return XDP_PASS;
	bpf_ct_release(ct);
	return ct->mark;
}

SEC("xdp")
int bad_insert_not_released(struct xdp_md *ctx)
{
	SETUP
	struct nf_conn___init *ci = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!ci)
		return XDP_PASS;
	return bpf_ct_insert_entry(ci) ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int bad_xdp_kfunc_in_tc(struct __sk_buff *skb)
{
	SETUP
	struct nf_conn *ct = bpf_xdp_ct_lookup((struct xdp_md *)skb, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (ct)
		bpf_ct_release(ct);
	return 0;
}

char _license[] SEC("license") = "GPL";
