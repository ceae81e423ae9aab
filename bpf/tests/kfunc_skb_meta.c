/* The skb metadata dynptr (bpf_dynptr_from_skb_meta) with the kernel's errors: each check
 * returns its __LINE__ when it fails, TC_ACT_OK when all pass. A BPF_PROG_TEST_RUN skb carries
 * no metadata, so the dynptr is empty and every access past its start fails. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define EINVAL 22
#define E2BIG 7
#define ERANGE 34
#define CHECK(cond) do { if (!(cond)) return __LINE__; } while (0)

extern int bpf_dynptr_from_skb_meta(struct __sk_buff *skb, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern int bpf_dynptr_adjust(const struct bpf_dynptr *p, __u32 start, __u32 end) __ksym;
extern bool bpf_dynptr_is_null(const struct bpf_dynptr *p) __ksym;
extern bool bpf_dynptr_is_rdonly(const struct bpf_dynptr *p) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __ksym;

SEC("tc")
int tc_skb_meta_dynptr(struct __sk_buff *skb)
{
	struct bpf_dynptr meta, bad, copy;
	__u32 meta_len = skb->data - skb->data_meta;
	__u8 buf[4] = {};

	CHECK(bpf_dynptr_from_skb_meta(skb, 1, &bad) == -EINVAL);
	CHECK(bpf_dynptr_is_null(&bad));
	CHECK(bpf_dynptr_from_skb_meta(skb, 0, &meta) == 0);
	CHECK(!bpf_dynptr_is_null(&meta));
	CHECK(!bpf_dynptr_is_rdonly(&meta));
	CHECK(bpf_dynptr_size(&meta) == meta_len);
	CHECK(bpf_dynptr_read(buf, 0, &meta, 0, 0) == 0);
	CHECK(bpf_dynptr_read(buf, sizeof(buf), &meta, meta_len, 0) == -E2BIG);
	CHECK(bpf_dynptr_write(&meta, meta_len, buf, sizeof(buf), 0) == -E2BIG);
	CHECK(bpf_dynptr_slice(&meta, meta_len, NULL, sizeof(buf)) == NULL);
	CHECK(bpf_dynptr_data(&meta, 0, 0) == NULL);
	CHECK(bpf_dynptr_clone(&meta, &copy) == 0);
	CHECK(bpf_dynptr_size(&copy) == meta_len);
	CHECK(bpf_dynptr_adjust(&copy, 0, meta_len + 1) == -ERANGE);
	CHECK(bpf_dynptr_adjust(&copy, 0, meta_len) == 0);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
