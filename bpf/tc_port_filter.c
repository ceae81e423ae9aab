/* TC ingress port filter: TCP or UDP packets to a blocked destination port are shot; the
 * block list is a hash keyed by protocol and port, and each block is marked on the skb. */
#include "parse.h"
#include <linux/pkt_cls.h>

struct port_key {
	__u8 proto;
	__u8 pad;
	__be16 port;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct port_key);
	__type(value, __u64);
} blocked_ports SEC(".maps");

/* Mark put on packets that were inspected and allowed, for later stages. */
const volatile __u32 inspected_mark = 0x5eed;

SEC("tc")
int tc_port_filter(struct __sk_buff *skb)
{
	struct ipv4_l4 pkt;
	if (parse_ipv4_l4((void *)(long)skb->data, (void *)(long)skb->data_end, &pkt))
		return TC_ACT_OK;
	ipv4_t *ip = pkt.ip;
	__be16 dport = pkt.dport;

	struct port_key key = { .proto = ip->protocol, .pad = 0, .port = dport };
	__u64 *drops = bpf_map_lookup_elem(&blocked_ports, &key);
	if (drops) {
		__sync_fetch_and_add(drops, 1);
		return TC_ACT_SHOT;
	}
	skb->mark = inspected_mark;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
