/* The kernel backend's own program: inserts one conntrack entry into the namespace it runs in,
 * as a case's `conntrack` field describes it (src/kernel/conntrack.ts writes the request as the
 * frame). Returns 0 when the entry is in the table, else a code saying which step failed. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct nf_conn {
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

extern struct nf_conn___init *bpf_xdp_ct_alloc(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts *, __u32) __ksym;
extern struct nf_conn *bpf_ct_insert_entry(struct nf_conn___init *) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;
extern void bpf_ct_set_timeout(struct nf_conn___init *, __u32) __ksym;
extern int bpf_ct_set_status(const struct nf_conn___init *, __u32) __ksym;

/* The request, at the start of the frame. */
struct request {
	struct bpf_sock_tuple tuple;
	__u32 ipv6;
	__u32 proto;
	__u32 zone;
	__u32 status;
	__u32 mark;
	__u32 timeout_ms;
};

enum { ALLOC_FAILED = 1, INSERT_FAILED = 3, SHORT_FRAME = 4 };

SEC("xdp")
int conntrack_insert(struct xdp_md *ctx)
{
	struct request *req = (void *)(long)ctx->data;
	struct bpf_sock_tuple tuple;
	struct bpf_ct_opts opts = { .netns_id = -1, .ct_zone_dir = 3 };
	struct nf_conn___init *init;
	struct nf_conn *ct;

	if ((void *)(req + 1) > (void *)(long)ctx->data_end)
		return SHORT_FRAME;
	__builtin_memcpy(&tuple, &req->tuple, sizeof(tuple));
	opts.l4proto = req->proto;
	opts.ct_zone_id = req->zone;
	init = bpf_xdp_ct_alloc(ctx, &tuple, req->ipv6 ? sizeof(tuple.ipv6) : sizeof(tuple.ipv4), &opts, sizeof(opts));
	if (!init)
		return ALLOC_FAILED | (-opts.error << 8);
	if (req->timeout_ms)
		bpf_ct_set_timeout(init, req->timeout_ms);
	/* The case's status holds only bits bpf_ct_set_status sets (checked when the case is read). */
	bpf_ct_set_status(init, req->status);
	((struct nf_conn *)init)->mark = req->mark;
	ct = bpf_ct_insert_entry(init);
	if (!ct)
		return INSERT_FAILED;
	bpf_ct_release(ct);
	return 0;
}

char _license[] SEC("license") = "GPL";
