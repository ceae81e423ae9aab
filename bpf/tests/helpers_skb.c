/* The TC skb helpers: each program records helper results and skb fields in out[] (.bss), so the
 * VM's engines and the kernel can be compared word for word (test/helpers/skb-helpers.test.ts). */
#include "parse.h"
#include <linux/pkt_cls.h>
#include <stddef.h>
#include <linux/filter.h>

/* Newer than the uapi header Debian ships (bpf.h of 6.18). */
#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif
#define PACKET_OTHERHOST 3

__u64 out[40];

#define REC(i, v) (out[(i)] = (__u64)(long)(v))

static __always_inline void vlan_state(struct __sk_buff *skb, int i)
{
	REC(i, skb->vlan_present);
	REC(i + 1, skb->vlan_tci);
	REC(i + 2, skb->vlan_proto);
	REC(i + 3, skb->len);
	REC(i + 4, skb->protocol);
}

SEC("tc")
int tc_vlan(struct __sk_buff *skb)
{
	REC(0, bpf_skb_vlan_pop(skb));
	REC(1, bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 100));
	vlan_state(skb, 2);
	REC(7, bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021AD), 0x2005));
	vlan_state(skb, 8);
	REC(13, bpf_skb_vlan_pop(skb));
	vlan_state(skb, 14);
	REC(19, bpf_skb_vlan_push(skb, 0x1234, 7));
	vlan_state(skb, 20);
	return TC_ACT_OK;
}

/* Run on a frame with two tags (802.1ad then 802.1Q) in it. */
SEC("tc")
int tc_vlan_frame(struct __sk_buff *skb)
{
	vlan_state(skb, 0);
	REC(5, bpf_skb_vlan_pop(skb));
	vlan_state(skb, 6);
	REC(11, bpf_skb_vlan_pop(skb));
	vlan_state(skb, 12);
	REC(17, bpf_skb_vlan_pop(skb));
	vlan_state(skb, 18);
	return TC_ACT_OK;
}

SEC("tc")
int tc_room(struct __sk_buff *skb)
{
	REC(0, bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, 0));
	REC(1, skb->len);
	REC(2, bpf_skb_adjust_room(skb, -8, BPF_ADJ_ROOM_NET, 0));
	REC(3, skb->len);
	REC(4, bpf_skb_adjust_room(skb, 0x1000, BPF_ADJ_ROOM_NET, 0));
	REC(5, bpf_skb_adjust_room(skb, 4, 2, 0));
	REC(6, bpf_skb_adjust_room(skb, 4, BPF_ADJ_ROOM_NET, BPF_F_ADJ_ROOM_DECAP_L3_IPV4));
	REC(7, bpf_skb_adjust_room(skb, 4, BPF_ADJ_ROOM_NET, 1ULL << 9));
	REC(8, bpf_skb_adjust_room(skb, -20, BPF_ADJ_ROOM_NET, 0));
	REC(9, bpf_csum_level(skb, BPF_CSUM_LEVEL_INC));
	REC(10, bpf_skb_adjust_room(skb, 4, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_NO_CSUM_RESET));
	REC(11, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
	REC(12, bpf_skb_adjust_room(skb, -4, BPF_ADJ_ROOM_MAC, 0));
	REC(13, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
	/* IPv4 in IPv4 in UDP, with room for an 8-byte tunnel header. */
	REC(14, bpf_skb_adjust_room(skb, 36, BPF_ADJ_ROOM_MAC,
				    BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_UDP | BPF_F_ADJ_ROOM_ENCAP_L2(8)));
	REC(15, skb->len);
	REC(16, bpf_skb_adjust_room(skb, 20, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4));
	REC(17, bpf_skb_change_tail(skb, skb->len + 4, 0));
	REC(18, bpf_skb_adjust_room(skb, -36, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_DECAP_L3_IPV6));
	REC(19, skb->protocol);
	REC(20, skb->len);
	REC(21, bpf_skb_adjust_room(skb, -21, BPF_ADJ_ROOM_NET, 0));
	return TC_ACT_OK;
}

SEC("tc")
int tc_change(struct __sk_buff *skb)
{
	__u32 len = skb->len;

	REC(0, bpf_skb_change_tail(skb, len + 10, 0));
	REC(1, skb->len);
	REC(2, bpf_skb_change_tail(skb, 16064 + 1, 0));
	REC(3, bpf_skb_change_tail(skb, 16064, 0));
	REC(4, bpf_skb_change_tail(skb, len, 0));
	REC(5, bpf_skb_change_tail(skb, 13, 0));
	REC(6, bpf_skb_change_tail(skb, 14, 0) == 0 ? bpf_skb_change_tail(skb, len, 0) : -1000);
	REC(7, bpf_skb_change_tail(skb, len, 1));
	REC(8, bpf_skb_change_type(skb, PACKET_OTHERHOST));
	REC(9, skb->pkt_type);
	REC(10, bpf_skb_change_type(skb, 4));
	REC(11, bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0));
	REC(12, skb->protocol);
	REC(13, skb->len);
	REC(14, bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0));
	REC(15, bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 1));
	REC(16, bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0));
	REC(17, skb->len);
	REC(18, bpf_skb_change_head(skb, 14, 1));
	REC(19, bpf_skb_change_head(skb, 16064, 0));
	REC(20, bpf_skb_change_head(skb, 14, 0));
	REC(21, skb->len);
	/* The MAC header is now the 14 new bytes: 4 to 6 inserts after the old one as well. */
	REC(22, bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0));
	REC(23, skb->len);
	return TC_ACT_OK;
}

SEC("tc")
int tc_tunnel(struct __sk_buff *skb)
{
	struct bpf_tunnel_key key = {};
	__u8 opt[260] = {};
	int i;

	REC(0, bpf_skb_get_tunnel_key(skb, &key, sizeof(key), 0));
	REC(1, bpf_skb_get_tunnel_opt(skb, opt, 8));
	REC(2, bpf_skb_set_tunnel_opt(skb, opt, 8));
	key.tunnel_id = 42;
	key.remote_ipv4 = 0x0a000002;
	key.local_ipv4 = 0x0a000001;
	key.tunnel_tos = 4;
	key.tunnel_ttl = 64;
	REC(3, bpf_skb_set_tunnel_key(skb, &key, sizeof(key), 0));
	key.tunnel_label = 1;
	REC(4, bpf_skb_set_tunnel_key(skb, &key, sizeof(key), 0));
	key.tunnel_label = 0;
	REC(5, bpf_skb_set_tunnel_key(skb, &key, sizeof(key), 1 << 5));
	REC(6, bpf_skb_set_tunnel_key(skb, &key, 30, 0));
	REC(7, bpf_skb_set_tunnel_key(skb, &key, sizeof(key), BPF_F_ZERO_CSUM_TX | BPF_F_DONT_FRAGMENT | BPF_F_SEQ_NUMBER));

	struct bpf_tunnel_key got = {};
	REC(8, bpf_skb_get_tunnel_key(skb, &got, sizeof(got), BPF_F_TUNINFO_FLAGS));
	REC(9, got.tunnel_id);
	REC(10, got.remote_ipv4);
	REC(11, got.local_ipv4);
	REC(12, got.tunnel_tos | got.tunnel_ttl << 8 | (__u64)got.tunnel_flags << 16);
	REC(13, bpf_skb_get_tunnel_key(skb, &got, sizeof(got), BPF_F_TUNINFO_IPV6));
	REC(14, got.tunnel_id);
	REC(15, bpf_skb_get_tunnel_key(skb, &got, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), 0));
	REC(16, got.tunnel_id);

	REC(17, bpf_skb_get_tunnel_opt(skb, opt, 8));
	REC(18, bpf_skb_set_tunnel_opt(skb, opt, 6));
	REC(19, bpf_skb_set_tunnel_opt(skb, opt, 260));
	for (i = 0; i < 8; i++)
		opt[i] = 0xa0 + i;
	REC(20, bpf_skb_set_tunnel_opt(skb, opt, 8));
	REC(21, bpf_skb_get_tunnel_opt(skb, opt + 16, 4));
	REC(22, bpf_skb_get_tunnel_opt(skb, opt + 16, 12));
	REC(23, *(__u64 *)(opt + 16));
	REC(24, *(__u32 *)(opt + 24));
	REC(25, bpf_skb_get_tunnel_key(skb, &got, sizeof(got), BPF_F_TUNINFO_FLAGS));
	REC(26, got.tunnel_flags);

	struct bpf_tunnel_key key6 = {};
	key6.tunnel_id = 7;
	key6.remote_ipv6[0] = bpf_htonl(0xfd000000);
	key6.remote_ipv6[3] = bpf_htonl(2);
	key6.local_ipv6[0] = bpf_htonl(0xfd000000);
	key6.local_ipv6[3] = bpf_htonl(1);
	key6.tunnel_label = 0xfff12345;
	key6.tunnel_ttl = 8;
	REC(27, bpf_skb_set_tunnel_key(skb, &key6, sizeof(key6), BPF_F_TUNINFO_IPV6));
	REC(28, bpf_skb_get_tunnel_key(skb, &got, sizeof(got), 0));
	REC(29, bpf_skb_get_tunnel_key(skb, &got, sizeof(got), BPF_F_TUNINFO_IPV6));
	REC(30, got.tunnel_label);
	REC(31, bpf_ntohl(got.remote_ipv6[3]) | (__u64)bpf_ntohl(got.local_ipv6[3]) << 32);
	REC(32, bpf_skb_get_tunnel_key(skb, &got, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), BPF_F_TUNINFO_IPV6));
	REC(33, bpf_skb_get_tunnel_opt(skb, opt, 8));
	return TC_ACT_OK;
}

SEC("tc")
int tc_meta(struct __sk_buff *skb)
{
	__u32 mtu = 0;

	REC(0, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
	REC(1, bpf_csum_level(skb, BPF_CSUM_LEVEL_DEC));
	REC(2, bpf_csum_level(skb, BPF_CSUM_LEVEL_INC));
	REC(3, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
	bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
	REC(4, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
	bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
	bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
	bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
	REC(5, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
	bpf_csum_level(skb, BPF_CSUM_LEVEL_DEC);
	REC(6, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
	REC(7, bpf_csum_level(skb, BPF_CSUM_LEVEL_RESET));
	REC(8, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
	REC(9, bpf_csum_level(skb, 4));

	__u32 h1 = bpf_get_hash_recalc(skb);
	REC(10, h1 != 0);
	REC(11, bpf_get_hash_recalc(skb) == h1 && skb->hash == h1);
	bpf_set_hash(skb, 0x1234);
	REC(12, bpf_get_hash_recalc(skb));
	bpf_set_hash_invalid(skb);
	REC(13, skb->hash);
	REC(14, bpf_get_hash_recalc(skb) == h1);

	REC(15, bpf_check_mtu(skb, 0, &mtu, 0, 0));
	REC(16, mtu);
	mtu = 0;
	REC(17, bpf_check_mtu(skb, 0, &mtu, 65536 + 14 - skb->len + 1, 0));
	mtu = 1500;
	REC(18, bpf_check_mtu(skb, 0, &mtu, 0, 0));
	mtu = 7;
	REC(19, bpf_check_mtu(skb, 999, &mtu, 0, 0));
	REC(20, mtu);
	mtu = 0;
	REC(21, bpf_check_mtu(skb, 0, &mtu, 0, 2));
	REC(22, bpf_check_mtu(skb, 0, &mtu, 1, BPF_MTU_CHK_SEGS));
	REC(23, bpf_check_mtu(skb, 0, &mtu, 0, BPF_MTU_CHK_SEGS));

	REC(24, bpf_skb_cgroup_id(skb) != 0);
	REC(25, bpf_get_cgroup_classid(skb));
	return TC_ACT_OK;
}

SEC("tc")
int tc_redirect_neigh(struct __sk_buff *skb)
{
	struct bpf_redir_neigh nh = { .nh_family = 2 /* AF_INET */, .ipv4_nh = bpf_htonl(0x0a000009) };

	REC(0, bpf_redirect_neigh(5, &nh, sizeof(nh), 1));
	REC(1, bpf_redirect_neigh(5, &nh, 4, 0));
	REC(2, bpf_redirect_peer(5, 1));
	return bpf_redirect_neigh(5, &nh, sizeof(nh), 0);
}

SEC("tc")
int tc_redirect_peer(struct __sk_buff *skb)
{
	REC(0, bpf_redirect_neigh(3, NULL, 0, 0));
	return bpf_redirect_peer(6, 0);
}

/* Packet pointers taken after each helper that moves the packet see the new bytes. */
SEC("tc")
int tc_reparse(struct __sk_buff *skb)
{
	void *data, *end;

	if (bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_MAC, 0))
		return TC_ACT_SHOT;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + 30 > end)
		return TC_ACT_SHOT;
	REC(0, *(__u64 *)(data + 14));
	REC(1, bpf_ntohs(*(__u16 *)(data + 12)) | (__u64)*(__u8 *)(data + 22) << 16);
	REC(2, end - data);
	if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 5) || bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 6))
		return TC_ACT_SHOT;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + 18 > end)
		return TC_ACT_SHOT;
	REC(3, (__u64)bpf_ntohs(*(__u16 *)(data + 12)) << 16 | bpf_ntohs(*(__u16 *)(data + 14)));
	REC(4, end - data);
	if (bpf_skb_change_tail(skb, 200, 0))
		return TC_ACT_SHOT;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + 200 > end)
		return TC_ACT_SHOT;
	REC(5, *(__u8 *)(data + 199));
	REC(6, end - data);
	return TC_ACT_OK;
}

/* Run with tunnel metadata the skb arrived with (the VM's `tunnel` run option). */
SEC("tc")
int tc_tunnel_rx(struct __sk_buff *skb)
{
	struct bpf_tunnel_key key = {};
	__u8 opt[16] = {};

	REC(0, bpf_skb_get_tunnel_key(skb, &key, sizeof(key), BPF_F_TUNINFO_FLAGS));
	REC(1, key.tunnel_id);
	REC(2, key.remote_ipv4);
	REC(3, key.local_ipv4);
	REC(4, key.tunnel_ttl | (__u64)key.tunnel_flags << 16);
	REC(5, bpf_skb_get_tunnel_key(skb, &key, sizeof(key), BPF_F_TUNINFO_IPV6));
	REC(6, bpf_skb_get_tunnel_opt(skb, opt, sizeof(opt)));
	REC(7, *(__u64 *)opt);
	REC(8, bpf_skb_set_tunnel_opt(skb, opt, 4));
	key.tunnel_id = 9;
	key.remote_ipv4 = 0x0a000009;
	REC(9, bpf_skb_set_tunnel_key(skb, &key, sizeof(key), 0));
	REC(10, bpf_skb_set_tunnel_opt(skb, opt, 4));
	return TC_ACT_OK;
}

unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

/* BPF_LD_ABS relative to the network and MAC headers follows them as the helpers move them. */
SEC("tc")
int tc_ld_abs(struct __sk_buff *skb)
{
	REC(0, load_byte(skb, SKF_NET_OFF + 9));
	bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 100);
	bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 200);
	REC(1, load_half(skb, SKF_NET_OFF));
	REC(2, load_half(skb, SKF_LL_OFF + 12));
	bpf_skb_vlan_pop(skb);
	bpf_skb_vlan_pop(skb);
	REC(3, load_byte(skb, SKF_NET_OFF + 9));
	REC(4, bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_MAC, 0));
	REC(5, load_byte(skb, SKF_NET_OFF + 9));
	REC(6, bpf_skb_change_head(skb, 6, 0));
	REC(7, load_half(skb, SKF_LL_OFF + 12));
	REC(8, load_byte(skb, SKF_NET_OFF + 8 + 9));
	REC(9, bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0));
	REC(10, load_half(skb, SKF_NET_OFF + 20));
	return TC_ACT_OK;
}

/* Growth past the test_run headroom and tailroom: the kernel reallocates the head. */
SEC("tc")
int tc_grow(struct __sk_buff *skb)
{
	__u8 mark[2] = { 0xab, 0xcd };

	REC(0, bpf_skb_change_head(skb, 1000, 0));
	REC(1, skb->len);
	REC(2, bpf_skb_store_bytes(skb, 0, mark, 2, 0));
	REC(3, bpf_skb_change_tail(skb, skb->len + 3000, 0));
	REC(4, bpf_skb_store_bytes(skb, skb->len - 2, mark, 2, 0));
	/* The MAC header is the 1000 new bytes: NET mode inserts after the IPv4 header 1000 bytes on. */
	REC(5, bpf_skb_adjust_room(skb, 0xfff, BPF_ADJ_ROOM_NET, 0));
	REC(6, skb->len);
	REC(7, bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 1) | bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 2));
	REC(8, skb->len);
	REC(9, bpf_skb_change_tail(skb, 16064, 0));
	REC(10, bpf_skb_change_head(skb, 1, 0));
	REC(11, bpf_skb_adjust_room(skb, 1, BPF_ADJ_ROOM_MAC, 0));
	REC(12, bpf_skb_change_tail(skb, 12000, 0));
	REC(13, bpf_skb_change_head(skb, 4064, 0));
	REC(14, skb->len);
	return TC_ACT_OK;
}

SEC("xdp")
int xdp_mtu(struct xdp_md *ctx)
{
	__u32 mtu = 0;
	int len = ctx->data_end - ctx->data;

	REC(0, bpf_check_mtu(ctx, 0, &mtu, 0, 0));
	REC(1, mtu);
	mtu = 0;
	REC(2, bpf_check_mtu(ctx, 0, &mtu, 65536 + 14 - len + 1, 0));
	REC(3, bpf_check_mtu(ctx, 0, &mtu, 0, BPF_MTU_CHK_SEGS));
	mtu = 9000;
	REC(4, bpf_check_mtu(ctx, 1, &mtu, 0, 0));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
