/* Loader test object: drops traffic (by skb mark) of queues loader_pin_a.c counted more than twice, through
 * the map both pin by name; its own map `private_a` has the other object's name but is not pinned. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct seen {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct seen);
	__uint(max_entries, 16);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pin_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} private_a SEC(".maps");

SEC("tc")
int pin_police(struct __sk_buff *skb)
{
	__u32 key = skb->mark, zero = 0;
	struct seen *s = bpf_map_lookup_elem(&pin_counts, &key);
	__u32 *mine = bpf_map_lookup_elem(&private_a, &zero);

	if (mine)
		(*mine)++;
	return s && s->packets > 2 ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
