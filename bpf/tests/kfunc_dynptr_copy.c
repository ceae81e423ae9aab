/* bpf_dynptr_copy and bpf_dynptr_memset over skb, xdp (with fragments), local and read-only
 * dynptrs, with the kernel's errors: each check returns its __LINE__ when it fails, XDP_PASS /
 * TC_ACT_OK (socket: skb->len) when all pass. The rewritten packets are compared through the run result. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define EINVAL 22
#define E2BIG 7
#define EFAULT 14
#define CHECK(cond) do { if (!(cond)) return __LINE__; } while (0)

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern int bpf_dynptr_from_skb(struct __sk_buff *s, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_copy(struct bpf_dynptr *dst_ptr, __u32 dst_off, struct bpf_dynptr *src_ptr, __u32 src_off, __u32 size) __ksym;
extern int bpf_dynptr_memset(struct bpf_dynptr *p, __u32 offset, __u32 size, __u8 val) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[16]);
} scratch SEC(".maps");

static __u8 *scratch_value(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch, &zero);
}

SEC("tc")
int tc_dynptr_copy(struct __sk_buff *skb)
{
	struct bpf_dynptr pkt, local, bad;
	__u8 *mem = scratch_value();
	__u32 len = skb->len;

	CHECK(mem);
	CHECK(bpf_dynptr_from_mem(mem, 16, 0, &local) == 0);
	CHECK(bpf_dynptr_from_skb(skb, 0, &pkt) == 0);
	CHECK(bpf_dynptr_from_skb(skb, 2, &bad) == -EINVAL);

	CHECK(bpf_dynptr_memset(&local, 0, 16, 0xaa) == 0 && mem[0] == 0xaa && mem[15] == 0xaa);
	CHECK(bpf_dynptr_memset(&local, 10, 8, 1) == -E2BIG && mem[10] == 0xaa);
	CHECK(bpf_dynptr_memset(&local, 17, 0, 1) == -E2BIG);
	CHECK(bpf_dynptr_memset(&local, 16, 0, 1) == 0);
	CHECK(bpf_dynptr_memset(&local, 4, 4, 7) == 0 && mem[4] == 7 && mem[7] == 7 && mem[8] == 0xaa);

	/* IPv4 source and destination into the local dynptr, then the source over the destination. */
	CHECK(bpf_dynptr_copy(&local, 8, &pkt, 26, 8) == 0 && mem[8] == 10 && mem[15] == 2);
	CHECK(bpf_dynptr_copy(&pkt, 30, &local, 8, 4) == 0);
	/* Overlapping copies inside the packet move as memmove does. */
	CHECK(bpf_dynptr_copy(&pkt, 0, &pkt, 3, 6) == 0);
	CHECK(bpf_dynptr_copy(&pkt, 42, &pkt, 40, 6) == 0);
	CHECK(bpf_dynptr_memset(&pkt, len - 2, 2, 0xee) == 0);
	CHECK(bpf_dynptr_memset(&pkt, len - 1, 2, 0xee) == -E2BIG);

	CHECK(bpf_dynptr_copy(&local, 12, &pkt, 0, 8) == -E2BIG);
	CHECK(bpf_dynptr_copy(&local, 0, &pkt, len - 4, 8) == -E2BIG);
	CHECK(bpf_dynptr_copy(&pkt, len, &local, 0, 1) == -E2BIG);
	CHECK(bpf_dynptr_copy(&bad, 0, &local, 0, 4) == -EINVAL);
	CHECK(bpf_dynptr_copy(&local, 0, &bad, 0, 4) == -EINVAL);
	CHECK(bpf_dynptr_copy(&bad, 0, &bad, 0, 4) == -E2BIG);
	CHECK(bpf_dynptr_copy(&bad, 0, &bad, 0, 0) == 0);
	CHECK(bpf_dynptr_copy(&local, 0, &local, 0, 0) == 0);
	CHECK(bpf_dynptr_memset(&bad, 0, 4, 0) == -E2BIG);
	CHECK(bpf_dynptr_memset(&bad, 0, 0, 0) == 0);
	return TC_ACT_OK;
}

SEC("socket")
int socket_dynptr_copy(struct __sk_buff *skb)
{
	struct bpf_dynptr pkt, local;
	__u8 *mem = scratch_value();

	CHECK(mem);
	CHECK(bpf_dynptr_from_mem(mem, 16, 0, &local) == 0);
	CHECK(bpf_dynptr_from_skb(skb, 0, &pkt) == 0);
	CHECK(bpf_dynptr_memset(&pkt, 0, 1, 0) == -EINVAL);
	CHECK(bpf_dynptr_memset(&pkt, skb->len + 10, 1, 0) == -EINVAL);
	CHECK(bpf_dynptr_copy(&pkt, 0, &local, 0, 4) == -EINVAL);
	CHECK(bpf_dynptr_copy(&pkt, 0, &pkt, 4, 4) == -EINVAL);
	CHECK(bpf_dynptr_copy(&pkt, skb->len, &local, 0, 4) == -EINVAL);
	CHECK(bpf_dynptr_copy(&local, 0, &pkt, 0, 4) == 0 && mem[0] == 0x45);
	CHECK(bpf_dynptr_copy(&local, 0, &pkt, skb->len - 2, 4) == -E2BIG);
	return skb->len;
}

/* On a fragmented frame (9000 bytes: 3520 linear, then 4096 and 1384 in fragments), copies and
 * fills that cross buffer boundaries go through the kernel's bounce buffer. */
SEC("xdp.frags")
int xdp_dynptr_copy_frags(struct xdp_md *ctx)
{
	struct bpf_dynptr ptr;
	__u8 *mem = scratch_value();
	__u8 b[4] = {};

	CHECK(mem);
	CHECK(bpf_dynptr_from_xdp(ctx, 0, &ptr) == 0);
	__u32 len = bpf_dynptr_size(&ptr);
	if (len > 0x10000 + 8) {
		CHECK(bpf_dynptr_memset(&ptr, 0x10000, 8, 1) == -EFAULT);
		CHECK(bpf_dynptr_memset(&ptr, 0xff00, 8, 1) == 0);
		return XDP_PASS;
	}
	/* Source across the linear part's end into the linear part: a read into the destination slice. */
	CHECK(bpf_dynptr_copy(&ptr, 100, &ptr, 3400, 300) == 0);
	/* A linear source written across the boundary. */
	CHECK(bpf_dynptr_copy(&ptr, 3500, &ptr, 14, 40) == 0);
	/* Both across boundaries (linear/first fragment to first/second fragment), 256-byte chunks. */
	CHECK(bpf_dynptr_copy(&ptr, 7500, &ptr, 3300, 600) == 0);
	CHECK(bpf_dynptr_memset(&ptr, 7600, 40, 0x5a) == 0);
	CHECK(bpf_dynptr_memset(&ptr, 3510, 20, 0xa5) == 0);
	CHECK(bpf_dynptr_memset(&ptr, len - 10, 11, 0) == -E2BIG);
	CHECK(bpf_dynptr_copy(&ptr, len - 100, &ptr, 3400, 200) == -E2BIG);
	CHECK(bpf_dynptr_read(b, 4, &ptr, 7614, 0) == 0 && b[0] == 0x5a && b[3] == 0x5a);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
