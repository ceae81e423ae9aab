/* Dynptrs over XDP frames, skbs, ring buffer samples and local memory, with the kernel's errors: each check returns its __LINE__
 * when it fails, XDP_PASS / TC_ACT_OK when all pass. The rewritten packet and the ring buffer
 * records are compared through the run result. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define EINVAL 22
#define E2BIG 7
#define ERANGE 34
#define EAGAIN 11
#define CHECK(cond) do { if (!(cond)) return __LINE__; } while (0)

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern int bpf_dynptr_from_skb(struct __sk_buff *s, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern int bpf_dynptr_adjust(const struct bpf_dynptr *p, __u32 start, __u32 end) __ksym;
extern bool bpf_dynptr_is_null(const struct bpf_dynptr *p) __ksym;
extern bool bpf_dynptr_is_rdonly(const struct bpf_dynptr *p) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __ksym;
extern int bpf_xdp_pull_data(struct xdp_md *x, __u32 len) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[16]);
} scratch SEC(".maps");

SEC("xdp")
int xdp_dynptr(struct xdp_md *ctx)
{
	struct bpf_dynptr ptr, bad, clone;
	__u8 buf[20] = {};
	__u32 len = ctx->data_end - ctx->data;

	CHECK(bpf_dynptr_from_xdp(ctx, 1, &bad) == -EINVAL);
	CHECK(bpf_dynptr_is_null(&bad));
	CHECK(bpf_dynptr_size(&bad) == (__u32)-EINVAL);
	CHECK(bpf_dynptr_adjust(&bad, 0, 0) == -EINVAL);
	CHECK(bpf_dynptr_from_xdp(ctx, 0, &ptr) == 0);
	CHECK(!bpf_dynptr_is_null(&ptr) && !bpf_dynptr_is_rdonly(&ptr));
	CHECK(bpf_dynptr_size(&ptr) == len);

	struct ethhdr *eth = bpf_dynptr_slice(&ptr, 0, buf, sizeof(*eth));
	CHECK(eth && eth->h_proto == bpf_htons(ETH_P_IP));
	CHECK(!bpf_dynptr_slice(&ptr, len - 4, buf, 8));

	CHECK(bpf_dynptr_read(buf, 4, &ptr, 26, 0) == 0 && buf[0] == 10 && buf[3] == 1);
	CHECK(bpf_dynptr_read(buf, 4, &ptr, 26, 1) == -EINVAL);
	CHECK(bpf_dynptr_read(buf, 8, &ptr, len - 4, 0) == -E2BIG);

	CHECK(bpf_dynptr_clone(&ptr, &clone) == 0);
	CHECK(bpf_dynptr_adjust(&clone, 4, 2) == -EINVAL);
	CHECK(bpf_dynptr_adjust(&clone, 0, len + 1) == -ERANGE);
	CHECK(bpf_dynptr_adjust(&clone, sizeof(struct ethhdr), len) == 0);
	CHECK(bpf_dynptr_size(&clone) == len - sizeof(struct ethhdr) && bpf_dynptr_size(&ptr) == len);

	struct iphdr *iph = bpf_dynptr_slice(&clone, 0, buf, sizeof(*iph));
	CHECK(iph && iph->version == 4);
	__u8 tos = 0x2c;
	CHECK(bpf_dynptr_write(&clone, 1, &tos, 1, 0) == 0);
	__u8 ttl = 9;
	CHECK(bpf_dynptr_write(&clone, 8, &ttl, 1, 0) == 0);
	CHECK(bpf_dynptr_write(&clone, 8, &ttl, 1, 1) == -EINVAL);
	CHECK(bpf_dynptr_write(&clone, len, &ttl, 1, 0) == -E2BIG);

	return XDP_PASS;
}

SEC("tc")
int tc_dynptr(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr, bad;
	__u8 buf[20] = {};

	CHECK(bpf_dynptr_from_skb(skb, 2, &bad) == -EINVAL && bpf_dynptr_is_null(&bad));
	CHECK(bpf_dynptr_from_skb(skb, 0, &ptr) == 0);
	CHECK(bpf_dynptr_size(&ptr) == skb->len && !bpf_dynptr_is_rdonly(&ptr));
	struct iphdr *iph = bpf_dynptr_slice(&ptr, sizeof(struct ethhdr), buf, sizeof(*iph));
	CHECK(iph && iph->protocol == 6);
	__u8 ttl = 3;
	CHECK(bpf_dynptr_write(&ptr, sizeof(struct ethhdr) + 8, &ttl, 1, 0) == 0);
	__u16 port = bpf_htons(8080);
	CHECK(bpf_dynptr_write(&ptr, 36, &port, sizeof(port), 0) == 0);
	CHECK(bpf_dynptr_write(&ptr, 36, &port, sizeof(port), 0x100) == -EINVAL);
	CHECK(bpf_dynptr_read(buf, 2, &ptr, 36, 0) == 0 && buf[0] == 0x1f && buf[1] == 0x90);
	CHECK(bpf_dynptr_data(&ptr, 0, 4) == 0);
	return TC_ACT_OK;
}

SEC("socket")
int socket_dynptr(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	__u8 byte = 0;

	CHECK(bpf_dynptr_from_skb(skb, 0, &ptr) == 0);
	CHECK(bpf_dynptr_is_rdonly(&ptr));
	CHECK(bpf_dynptr_size(&ptr) == skb->len);
	CHECK(bpf_dynptr_write(&ptr, 0, &byte, 1, 0) == -EINVAL);
	__u8 *first = bpf_dynptr_slice(&ptr, 0, 0, 1);
	CHECK(first && *first == 0x45);
	return skb->len;
}

SEC("xdp")
int xdp_ringbuf_dynptr(struct xdp_md *ctx)
{
	struct bpf_dynptr d, e, f;
	__u64 seq = 0x1122334455667788;
	int line = 0;

	int err = bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d);
	if (err || bpf_dynptr_write(&d, 0, &seq, sizeof(seq), 0) || bpf_dynptr_size(&d) != 8)
		line = __LINE__;
	bpf_ringbuf_submit_dynptr(&d, 0);

	err = bpf_ringbuf_reserve_dynptr(&rb, 8, 1, &e);
	bpf_ringbuf_discard_dynptr(&e, 0);
	CHECK(err == -EINVAL);
	err = bpf_ringbuf_reserve_dynptr(&rb, 8192, 0, &e);
	bpf_ringbuf_discard_dynptr(&e, 0);
	CHECK(err == -EINVAL);

	bpf_ringbuf_reserve_dynptr(&rb, 4, 0, &f);
	__u8 *p = bpf_dynptr_data(&f, 0, 4);
	if (p) {
		p[0] = 0xab;
		p[3] = 0xcd;
	} else {
		line = __LINE__;
	}
	if (bpf_dynptr_data(&f, 2, 4))
		line = __LINE__;
	bpf_ringbuf_submit_dynptr(&f, 0);
	return line ? line : XDP_PASS;
}

SEC("tc")
int tc_local_dynptr(struct __sk_buff *skb)
{
	struct bpf_dynptr local;
	__u8 out[4] = {};
	__u32 word = 0xdeadbeef;
	__u32 zero = 0;
	__u8 *mem = bpf_map_lookup_elem(&scratch, &zero);

	CHECK(mem);
	CHECK(bpf_dynptr_from_mem(mem, 16, 1, &local) == -EINVAL);
	CHECK(bpf_dynptr_from_mem(mem, 16, 0, &local) == 0);
	CHECK(bpf_dynptr_write(&local, 12, &word, 4, 0) == 0);
	CHECK(bpf_dynptr_write(&local, 13, &word, 4, 0) == -E2BIG);
	CHECK(bpf_dynptr_read(out, 4, &local, 12, 0) == 0 && out[0] == 0xef);
	CHECK(mem[15] == 0xde);
	__u8 *p = bpf_dynptr_data(&local, 4, 4);
	CHECK(p && p[0] == 0);
	return TC_ACT_OK;
}

SEC("xdp")
int xdp_unsimulated(struct xdp_md *ctx)
{
	return bpf_xdp_pull_data(ctx, 0) ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
