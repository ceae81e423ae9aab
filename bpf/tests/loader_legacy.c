/* Loader test object: maps in the legacy `maps` section (struct bpf_map_def). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def_legacy {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def_legacy SEC("maps") legacy_hash = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 64,
	.map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_map_def_legacy SEC("maps") legacy_array = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 8,
};

SEC("tc")
int legacy_prog(struct __sk_buff *skb)
{
	__u32 key = 1;
	__u32 *v = bpf_map_lookup_elem(&legacy_array, &key);
	__u64 *h = bpf_map_lookup_elem(&legacy_hash, &key);
	return (v ? *v : 0) + (h ? 1 : 0);
}

char _license[] SEC("license") = "GPL";
