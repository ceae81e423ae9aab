/* BPF_F_LOCK and copies of values that hold a bpf_spin_lock: tc_lock_update returns the __LINE__ of
 * the first check that fails, 0 when all pass, and leaves values whose lock bytes it wrote as 0xff
 * (copies skip the lock, so the maps read back with the lock zero). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define EINVAL 22
#define EEXIST 17
#define ENOENT 2
#define CHECK(cond) do { if (!(cond)) return __LINE__; } while (0)

struct locked {
	__u32 a;
	struct bpf_spin_lock lock;
	__u64 b;
};

struct plain {
	__u32 a;
	__u32 lock;
	__u64 b;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct locked);
} locked_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct locked);
} locked_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct plain);
} plain_array SEC(".maps");

SEC("tc")
int tc_lock_update(struct __sk_buff *skb)
{
	__u32 k0 = 0, k1 = 1, k9 = 9;
	struct plain v = { .a = 1, .lock = 0xffffffff, .b = 2 };
	long err;

	/* struct plain has the layout of struct locked: a value whose lock bytes are all ones. */
	CHECK(bpf_map_update_elem(&locked_array, &k0, &v, BPF_F_LOCK) == 0);
	v.a = 3;
	CHECK(bpf_map_update_elem(&locked_array, &k1, &v, BPF_ANY) == 0);
	CHECK(bpf_map_update_elem(&locked_array, &k0, &v, BPF_F_LOCK | BPF_NOEXIST) == -EEXIST);
	CHECK(bpf_map_update_elem(&locked_array, &k0, &v, BPF_F_LOCK | BPF_EXIST) == 0);
	CHECK(bpf_map_update_elem(&locked_array, &k0, &v, 8) == -EINVAL);
	CHECK(bpf_map_update_elem(&plain_array, &k0, &v, BPF_F_LOCK) == -EINVAL);
	CHECK(bpf_map_update_elem(&plain_array, &k0, &v, BPF_ANY) == 0);

	v.a = 5;
	CHECK(bpf_map_update_elem(&locked_hash, &k9, &v, BPF_F_LOCK | BPF_EXIST) == -ENOENT);
	CHECK(bpf_map_update_elem(&locked_hash, &k9, &v, BPF_F_LOCK) == 0);
	v.a = 6;
	CHECK(bpf_map_update_elem(&locked_hash, &k9, &v, BPF_F_LOCK | BPF_NOEXIST) == -EEXIST);
	CHECK(bpf_map_update_elem(&locked_hash, &k9, &v, BPF_F_LOCK | BPF_EXIST) == 0);
	CHECK(bpf_map_update_elem(&locked_hash, &k1, &v, BPF_NOEXIST) == 0);
	CHECK(bpf_map_update_elem(&locked_hash, &k0, &v, BPF_F_LOCK | 3) == -EINVAL);

	struct locked *l = bpf_map_lookup_elem(&locked_hash, &k9);
	CHECK(l);
	bpf_spin_lock(&l->lock);
	l->b += 10;
	bpf_spin_unlock(&l->lock);
	return 0;
}

char _license[] SEC("license") = "GPL";
