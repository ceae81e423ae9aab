/* An XDP flow logger: IPv4 TCP and UDP flows are counted in an LRU hash, and a record goes to
 * user space through a ring buffer when a flow starts and when a TCP flow ends (FIN or RST),
 * with its packet and byte counts. Every packet passes. The records are read from TypeScript
 * as they come (BpfObject.events). */
#include "parse.h"

struct flow_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
	__u64 first_seen;
};

enum flow_event_kind { FLOW_START = 1, FLOW_END = 2 };

struct flow_event {
	struct flow_key key;
	__u64 packets;
	__u64 bytes;
	__u64 duration_ns;
	__u32 kind;
	__u32 tcp_flags;
};

/* The record type, named for readers (bpf2go's -type). */
struct flow_event *unused_flow_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} flow_events SEC(".maps");

/* Records the ring buffer had no room for. */
__u64 lost_events;

static __always_inline void emit(const struct flow_key *key, const struct flow_stats *st, __u32 kind, __u32 tcp_flags, __u64 now)
{
	struct flow_event *e = bpf_ringbuf_reserve(&flow_events, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		return;
	}
	e->key = *key;
	e->packets = st->packets;
	e->bytes = st->bytes;
	e->duration_ns = now - st->first_seen;
	e->kind = kind;
	e->tcp_flags = tcp_flags;
	bpf_ringbuf_submit(e, 0);
}

SEC("xdp")
int xdp_flow_log(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct flow_key key = {};
	__u32 tcp_flags = 0;
	eth_t *eth = take_eth_t(&c);
	ipv4_t *ip;

	if (!eth || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = take_ipv4_t(&c);
	if (!ip || skip_ipv4_options(&c, ip) < 0)
		return XDP_PASS;
	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	key.proto = ip->protocol;
	if (ip->protocol == IPPROTO_TCP) {
		tcp_t *tcp = take_tcp_t(&c);
		if (!tcp)
			return XDP_PASS;
		key.sport = tcp->source;
		key.dport = tcp->dest;
		tcp_flags = ((__u8 *)tcp)[13];
	} else if (ip->protocol == IPPROTO_UDP) {
		udp_t *udp = take_udp_t(&c);
		if (!udp)
			return XDP_PASS;
		key.sport = udp->source;
		key.dport = udp->dest;
	} else {
		return XDP_PASS;
	}

	__u64 now = bpf_ktime_get_ns();
	__u64 len = ctx->data_end - ctx->data;
	struct flow_stats *st = bpf_map_lookup_elem(&flows, &key);
	if (!st) {
		struct flow_stats fresh = { .packets = 1, .bytes = len, .first_seen = now };
		bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST);
		emit(&key, &fresh, FLOW_START, tcp_flags, now);
		return XDP_PASS;
	}
	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, len);
	/* FIN (0x01) or RST (0x04): the flow ends. */
	if (tcp_flags & 0x05) {
		emit(&key, st, FLOW_END, tcp_flags, now);
		bpf_map_delete_elem(&flows, &key);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
