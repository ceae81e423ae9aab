/* TC stateful policy: a connection may start only towards an allowed port; once it has, both
 * directions pass and the flow table (LRU) remembers when each was last seen. The flow key is
 * zeroed in full before it is filled, so its padding never reaches the map. */
#include "parse.h"
#include <linux/pkt_cls.h>

struct flow {
	__be32 src;
	__be32 dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
};

struct flow_info {
	__u64 last_seen;
	__u64 packets;
	__u8 initiator;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow);
	__type(value, struct flow_info);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} open_ports SEC(".maps");

static __always_inline void flow_of(struct flow *f, ipv4_t *ip, __be16 sport, __be16 dport, int reverse)
{
	__builtin_memset(f, 0, sizeof(*f));
	f->proto = ip->protocol;
	f->src = reverse ? ip->daddr : ip->saddr;
	f->dst = reverse ? ip->saddr : ip->daddr;
	f->sport = reverse ? dport : sport;
	f->dport = reverse ? sport : dport;
}

SEC("tc")
int tc_stateful(struct __sk_buff *skb)
{
	struct ipv4_l4 pkt;
	if (parse_ipv4_l4((void *)(long)skb->data, (void *)(long)skb->data_end, &pkt))
		return TC_ACT_OK;
	ipv4_t *ip = pkt.ip;
	__be16 sport = pkt.sport, dport = pkt.dport;

	struct flow key;
	flow_of(&key, ip, sport, dport, 0);
	__u64 now = bpf_ktime_get_ns();
	struct flow_info *known = bpf_map_lookup_elem(&flows, &key);
	if (known) {
		known->last_seen = now;
		known->packets += 1;
		return TC_ACT_OK;
	}

	__u32 port = bpf_ntohs(dport);
	__u8 *open = bpf_map_lookup_elem(&open_ports, &port);
	if (!open || !*open)
		return TC_ACT_SHOT;

	struct flow_info info = { .last_seen = now, .packets = 1, .initiator = 1 };
	if (bpf_map_update_elem(&flows, &key, &info, BPF_NOEXIST))
		return TC_ACT_SHOT;
	struct flow reply;
	flow_of(&reply, ip, sport, dport, 1);
	info.packets = 0;
	info.initiator = 0;
	bpf_map_update_elem(&flows, &reply, &info, BPF_ANY);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
