// SPDX-License-Identifier: GPL-2.0
/* A stateful IPv4 firewall on the kernel's own connection tracking, through the conntrack kfuncs.
 *
 * A TCP or UDP packet whose flow the conntrack table knows passes: a reply (the entry matched in
 * its reply direction) marks the connection SEEN_REPLY and, once both sides spoke, refreshes its
 * timeout to `established_ms`; every packet counts in the entry's mark. A packet of an unknown
 * flow from the inside network (`inside_net`/`inside_mask`) opens one: it is allocated with
 * `new_flow_ms`, a mark of 1, and inserted. Any other unknown flow is unsolicited and dropped.
 * Other traffic (ARP, IPv6, ICMP, fragments after the first) passes. `stats` counts each verdict.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* The fields the firewall reads and writes; CO-RE places them as the running kernel's nf_conn has them. */
struct nf_conn {
	unsigned long status;
	unsigned int mark;
} __attribute__((preserve_access_index));
struct nf_conn___init {
	unsigned long unused;
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
extern int bpf_ct_change_status(struct nf_conn *, __u32) __ksym;

#define IPS_SEEN_REPLY 0x2
#define IP_CT_DIR_REPLY 1
#define BPF_F_CURRENT_NETNS (-1)
#define IP_OFFSET_MASK 0x1fff

/* The inside network, in network byte order (default 10.1.0.0/16). */
const volatile __be32 inside_net = __bpf_constant_htonl(0x0a010000);
const volatile __be32 inside_mask = __bpf_constant_htonl(0xffff0000);
/* Timeouts, ms: of a flow just opened, and of one both sides have spoken on. */
const volatile __u32 new_flow_ms = 30000;
const volatile __u32 established_ms = 300000;

enum verdict { PASS_OTHER, PASS_KNOWN, PASS_OPENED, DROP_UNSOLICITED, VERDICTS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VERDICTS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline int count(enum verdict v)
{
	__u32 key = v;
	__u64 *n = bpf_map_lookup_elem(&stats, &key);

	if (n)
		*n += 1;
	return v == DROP_UNSOLICITED ? XDP_DROP : XDP_PASS;
}

/* A known flow: note the reply, keep an established connection alive, count the packet. */
static __always_inline void track(struct nf_conn *ct, __u8 dir)
{
	__u32 status = ct->status;

	if (dir == IP_CT_DIR_REPLY && !(status & IPS_SEEN_REPLY)) {
		bpf_ct_change_status(ct, status | IPS_SEEN_REPLY);
		bpf_ct_change_timeout(ct, established_ms);
	}
	ct->mark += 1;
}

/* An unknown flow from the inside: into the table, or 0 when the kernel would not take it. */
static __always_inline int open_flow(struct xdp_md *ctx, struct bpf_sock_tuple *tuple, struct bpf_ct_opts *opts)
{
	struct nf_conn___init *fresh = bpf_xdp_ct_alloc(ctx, tuple, sizeof(tuple->ipv4), opts, sizeof(*opts));
	struct nf_conn *ct;

	if (!fresh)
		return 0;
	bpf_ct_set_timeout(fresh, new_flow_ms);
	((struct nf_conn *)fresh)->mark = 1;
	ct = bpf_ct_insert_entry(fresh);
	if (!ct)
		return 0;
	bpf_ct_release(ct);
	return 1;
}

SEC("xdp")
int xdp_ct_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct bpf_sock_tuple tuple = {};
	struct bpf_ct_opts opts = { .netns_id = BPF_F_CURRENT_NETNS };
	struct nf_conn *ct;
	__be16 *ports;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return count(PASS_OTHER);
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return count(PASS_OTHER);
	if (ip->frag_off & bpf_htons(IP_OFFSET_MASK))
		return count(PASS_OTHER);
	ports = (void *)ip + ip->ihl * 4;
	if ((void *)(ports + 2) > data_end)
		return count(PASS_OTHER);

	tuple.ipv4.saddr = ip->saddr;
	tuple.ipv4.daddr = ip->daddr;
	tuple.ipv4.sport = ports[0];
	tuple.ipv4.dport = ports[1];
	opts.l4proto = ip->protocol;

	ct = bpf_xdp_ct_lookup(ctx, &tuple, sizeof(tuple.ipv4), &opts, sizeof(opts));
	if (ct) {
		track(ct, opts.dir);
		bpf_ct_release(ct);
		return count(PASS_KNOWN);
	}
	if ((ip->saddr & inside_mask) == inside_net && open_flow(ctx, &tuple, &opts))
		return count(PASS_OPENED);
	return count(DROP_UNSOLICITED);
}

char _license[] SEC("license") = "GPL";
