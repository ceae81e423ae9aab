/* CO-RE against vmlinux.h: every field access of a kernel type is relocated, and the
 * bpf_core_* checks resolve against the kernel's BTF. Returns 0 when every check passes, else
 * the line of the first that fails. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define CHECK(cond) do { if (!(cond)) return __LINE__; } while (0)

/* A flavor of sk_buff from an imagined kernel: `mark` exists there, `no_such_field` does not. */
struct sk_buff___imagined {
	__u32 mark;
	__u64 no_such_field;
} __attribute__((preserve_access_index));

struct not_a_kernel_type {
	int x;
};

enum xdp_action___imagined { XDP_TELEPORT___imagined = 9, XDP_REDIRECT___imagined = 4 };

SEC("tc")
int core_checks(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return __LINE__;
	CHECK(skb->len == 54);
	CHECK(skb->protocol == bpf_htons(0x0800));
	CHECK(BPF_CORE_READ_BITFIELD(ip, ihl) == 5);
	CHECK(BPF_CORE_READ_BITFIELD(ip, version) == 4);
	CHECK(ip->protocol == 6);
	CHECK(bpf_core_field_exists(skb->hwtstamp));
	CHECK(bpf_core_field_size(ip->saddr) == 4);
	CHECK(bpf_core_field_offset(struct iphdr, daddr) == 16);
	CHECK(bpf_core_type_exists(struct sk_buff));
	CHECK(!bpf_core_type_exists(struct not_a_kernel_type));
	CHECK(bpf_core_type_size(struct ethhdr) == 14);
	CHECK(bpf_core_type_size(struct xdp_md) == 24);
	CHECK(bpf_core_enum_value_exists(enum xdp_action, XDP_REDIRECT));
	CHECK(bpf_core_enum_value(enum xdp_action, XDP_TX) == 3);
	CHECK(!bpf_core_enum_value_exists(enum xdp_action___imagined, XDP_TELEPORT___imagined));
	CHECK(bpf_core_enum_value(enum xdp_action___imagined, XDP_REDIRECT___imagined) == 4);
	CHECK(bpf_core_field_exists(struct sk_buff___imagined, mark));
	CHECK(!bpf_core_field_exists(struct sk_buff___imagined, no_such_field));
	/* Never reached: the relocation of the read is poisoned, and that is not an error. */
	struct sk_buff___imagined *imagined = (void *)skb;
	if (bpf_core_field_exists(struct sk_buff___imagined, no_such_field))
		return imagined->no_such_field;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
