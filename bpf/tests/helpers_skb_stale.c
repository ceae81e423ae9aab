/* Packet pointers kept across a helper that changes packet data are invalid afterwards: the
 * verifier refuses each of these (bpf_helper_changes_pkt_data, clear_all_pkt_pointers). */
#include "parse.h"
#include <linux/pkt_cls.h>

#define STALE_AFTER(name, call)                                        \
	SEC("tc")                                                      \
	int name(struct __sk_buff *skb)                                \
	{                                                              \
		void *data = (void *)(long)skb->data;                  \
		void *end = (void *)(long)skb->data_end;               \
		if (data + 14 > end)                                   \
			return TC_ACT_OK;                              \
		call;                                                  \
		return *(__u8 *)data;                                  \
	}

STALE_AFTER(stale_vlan_push, bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 1))
STALE_AFTER(stale_vlan_pop, bpf_skb_vlan_pop(skb))
STALE_AFTER(stale_adjust_room, bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, 0))
STALE_AFTER(stale_change_head, bpf_skb_change_head(skb, 14, 0))
STALE_AFTER(stale_change_tail, bpf_skb_change_tail(skb, 100, 0))
STALE_AFTER(stale_change_proto, bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0))

/* Helpers that leave the packet where it was keep the pointers valid. */
STALE_AFTER(kept_csum_level, bpf_csum_level(skb, BPF_CSUM_LEVEL_INC))
STALE_AFTER(kept_change_type, bpf_skb_change_type(skb, 0))
STALE_AFTER(kept_hash_recalc, bpf_get_hash_recalc(skb))

char LICENSE[] SEC("license") = "GPL";
