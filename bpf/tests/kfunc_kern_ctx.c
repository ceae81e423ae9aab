/* bpf_cast_to_kern_ctx and bpf_rdonly_cast: the kernel objects behind the context read through
 * BTF pointers. The kernel structs are declared here with the fields read (CO-RE relocates them
 * against the kernel's BTF). Each program stores what it read in `seen` and returns 0; the
 * kernel's pointers differ from the VM's, so only differences of pointers are stored. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

struct xdp_rxq_info {
	__u32 queue_index;
	__u32 frag_size;
} __attribute__((preserve_access_index));

struct xdp_buff {
	void *data;
	void *data_end;
	void *data_meta;
	void *data_hard_start;
	struct xdp_rxq_info *rxq;
	__u32 frame_sz;
	__u32 flags;
} __attribute__((preserve_access_index));

struct sk_buff {
	unsigned int len;
	unsigned int data_len;
	__u16 queue_mapping;
	__u16 tc_index;
	__u32 priority;
	int skb_iif;
	__u32 hash;
	__u16 vlan_tci;
	__u32 mark;
	__be16 protocol;
	__u16 transport_header;
	__u16 network_header;
	__u16 mac_header;
	unsigned int tail;
	unsigned char *head;
	unsigned char *data;
	unsigned int truesize;
} __attribute__((preserve_access_index));

struct ethhdr___kern {
	unsigned char h_dest[6];
	unsigned char h_source[6];
	__be16 h_proto;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static __always_inline void put(__u32 slot, __u64 value)
{
	bpf_map_update_elem(&seen, &slot, &value, BPF_ANY);
}

SEC("xdp")
int xdp_kern_ctx(struct xdp_md *ctx)
{
	struct xdp_buff *kctx = bpf_cast_to_kern_ctx(ctx);

	put(0, kctx->data_end - kctx->data);
	put(1, kctx->data - kctx->data_meta);
	put(2, kctx->data - kctx->data_hard_start);
	put(3, kctx->frame_sz);
	put(4, kctx->flags);
	put(5, kctx->rxq->queue_index);
	put(6, kctx->rxq->frag_size);
	/* The same frame the context shows. */
	put(7, (__u64)kctx->data_end - (__u64)kctx->data == ctx->data_end - ctx->data);
	/* A pointer member read through bpf_rdonly_cast's pointer is a pointer too. */
	struct xdp_buff *ro = bpf_rdonly_cast(kctx, bpf_core_type_id_kernel(struct xdp_buff));
	put(8, ro->rxq->frag_size);
	return XDP_PASS;
}

SEC("tc")
int tc_kern_ctx(struct __sk_buff *skb)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	struct ethhdr___kern *eth;
	struct sk_buff *ro;
	__u64 headroom;

	skb->mark = 0x5eed;
	skb->priority = 7;
	put(0, kskb->len);
	put(1, kskb->data_len);
	put(2, kskb->hash);
	put(3, kskb->mark);
	put(4, kskb->priority);
	put(5, bpf_ntohs(kskb->protocol));
	put(6, kskb->network_header - kskb->mac_header);
	put(7, kskb->transport_header);
	/* head and data are pointers to the verifier: subtract them first, alone. */
	headroom = kskb->data - kskb->head;
	asm volatile("" : "+r"(headroom));
	put(8, kskb->tail - headroom);
	put(9, kskb->queue_mapping | (__u64)kskb->tc_index << 16 | (__u64)kskb->vlan_tci << 32);
	put(10, kskb->skb_iif);
	put(11, headroom - kskb->mac_header);
	ro = bpf_rdonly_cast(kskb, bpf_core_type_id_kernel(struct sk_buff));
	put(12, ro->len == skb->len);
	eth = bpf_rdonly_cast((void *)(long)skb->data, bpf_core_type_id_kernel(struct ethhdr___kern));
	put(13, bpf_ntohs(eth->h_proto));
	return TC_ACT_OK;
}

/* Reads sk_buff::truesize, which bpfsim does not simulate: a run faults naming it. */
SEC("tc")
int tc_kern_ctx_unsimulated(struct __sk_buff *skb)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);

	return kskb->truesize > 0 ? TC_ACT_OK : TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
