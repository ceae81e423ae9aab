/* Ring buffer and perf event array records, with the kernel's errors: each check returns its
 * __LINE__ when it fails, XDP_PASS / TC_ACT_OK when all pass. The records themselves are compared
 * through the run result's `events`. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define EINVAL 22
#define EAGAIN 11
#define EFAULT 14
#define E2BIG 7

struct flow_event {
	__u32 saddr;
	__u16 len;
	__u8 proto;
	__u8 flags;
	__u64 seq;
};

/* Puts the record type into BTF for readers (the bpf2go `-type` convention). */
struct flow_event *unused_flow_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

SEC("xdp")
int xdp_events(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 small[5] = { 1, 2, 3, 4, 5 };

	struct flow_event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return __LINE__;
	e->saddr = 0x0a000001;
	e->len = (__u16)(data_end - data);
	e->proto = 6;
	e->flags = 0;
	e->seq = 0x1122334455667788ULL;
	bpf_ringbuf_submit(e, 0);

	struct flow_event *d = bpf_ringbuf_reserve(&rb, sizeof(*d), 0);
	if (!d)
		return __LINE__;
	d->seq = 1;
	bpf_ringbuf_discard(d, BPF_RB_NO_WAKEUP);

	if (bpf_ringbuf_output(&rb, small, sizeof(small), 0))
		return __LINE__;
	if (bpf_ringbuf_output(&rb, small, sizeof(small), 4) != -EINVAL)
		return __LINE__;
	if (bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) != 64)
		return __LINE__;
	if (bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE) != 4096)
		return __LINE__;
	if (bpf_ringbuf_query(&rb, BPF_RB_PROD_POS) != 64 || bpf_ringbuf_query(&rb, BPF_RB_CONS_POS) != 0)
		return __LINE__;

	/* Flags, a record larger than the ring, then one that fills it up to the consumer. */
	void *r = bpf_ringbuf_reserve(&rb, 8, 1);
	if (r) {
		bpf_ringbuf_discard(r, 0);
		return __LINE__;
	}
	r = bpf_ringbuf_reserve(&rb, 4096, 0);
	if (r) {
		bpf_ringbuf_discard(r, 0);
		return __LINE__;
	}
	__u8 *big = bpf_ringbuf_reserve(&rb, 4016, 0);
	if (!big)
		return __LINE__;
	big[0] = 0xbb;
	bpf_ringbuf_discard(big, 0);
	if (bpf_ringbuf_output(&rb, small, sizeof(small), 0) != -EAGAIN)
		return __LINE__;

	/* The event followed by the Ethernet header: 5 + 14 bytes, read back padded to 20. */
	if (bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU | (14ULL << 32), small, sizeof(small)))
		return __LINE__;
	if (bpf_perf_event_output(ctx, &perf, 0x7fffffffULL, small, sizeof(small)) != -E2BIG)
		return __LINE__;
	if (bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU | (1ULL << 52), small, sizeof(small)) != -EINVAL)
		return __LINE__;
	if (bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU | (4000ULL << 32), small, sizeof(small)) != -EFAULT)
		return __LINE__;
	return XDP_PASS;
}

SEC("tc")
int tc_events(struct __sk_buff *skb)
{
	__u64 stamp = 0xabcdef;

	if (bpf_perf_event_output(skb, &perf, BPF_F_CURRENT_CPU | (20ULL << 32), &stamp, sizeof(stamp)))
		return __LINE__;
	if (bpf_perf_event_output(skb, &perf, BPF_F_CURRENT_CPU | ((__u64)(skb->len + 1) << 32), &stamp, sizeof(stamp)) != -EFAULT)
		return __LINE__;
	if (bpf_ringbuf_output(&rb, &stamp, 3, BPF_RB_FORCE_WAKEUP))
		return __LINE__;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
