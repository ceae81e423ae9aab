/* CO-RE against vmlinux.h over the types of the conntrack kfuncs (struct nf_conn, a local
 * flavor of struct bpf_ct_opts) and union tcp_word_hdr: these relocations resolve against the
 * BTF bpfsim ships, as against the kernel's. A TCP frame returns its flag word (doff, flags and
 * window, host order); any other IPv4 frame looks its flow up in conntrack. */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct bpf_ct_opts___flavor {
	s32 netns_id;
	s32 error;
	u8 l4proto;
	u8 dir;
	u8 reserved[2];
} __attribute__((preserve_access_index));

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *bpf_tuple, __u32 len_tuple,
					 struct bpf_ct_opts___flavor *opts, __u32 len_opts) __ksym;
extern void bpf_ct_release(struct nf_conn *ct) __ksym;

SEC("xdp")
int conntrack_or_flags(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct tcphdr *tcp = (void *)(ip + 1);
	struct bpf_ct_opts___flavor opts = { .netns_id = -1, .l4proto = IPPROTO_UDP };
	struct bpf_sock_tuple tuple = {};
	struct nf_conn *ct;
	__u32 status;

	if ((void *)(tcp + 1) > data_end)
		return XDP_ABORTED;
	if (ip->protocol == IPPROTO_TCP)
		return bpf_ntohl(((union tcp_word_hdr *)tcp)->words[3]);
	tuple.ipv4.saddr = ip->saddr;
	tuple.ipv4.daddr = ip->daddr;
	ct = bpf_xdp_ct_lookup(ctx, &tuple, sizeof(tuple.ipv4), &opts, sizeof(opts));
	if (!ct)
		return opts.error == -2 ? XDP_PASS : XDP_DROP;
	status = ct->status;
	bpf_ct_release(ct);
	return status & IPS_CONFIRMED ? XDP_TX : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
