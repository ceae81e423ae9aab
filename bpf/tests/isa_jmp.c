/* Every jump kind (64- and 32-bit compares, signed and unsigned, immediate and register),
 * BPF-to-BPF calls, helper calls and a loop, for the disassembler's comparison with llvm-objdump. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef unsigned long long u64;
typedef long long s64;
typedef unsigned int u32;
typedef int s32;

volatile u64 out;

static __attribute__((noinline)) u64 cmp64(u64 a, u64 b)
{
	u64 r = 0;
	if (a == b) r += 1;
	if (a != 7) r += 2;
	if (a > b) r += 3;
	if (a >= 100) r += 4;
	if (a < b) r += 5;
	if (a <= 1000) r += 6;
	if ((s64)a > (s64)b) r += 7;
	if ((s64)a >= -5) r += 8;
	if ((s64)a < (s64)b) r += 9;
	if ((s64)a <= -50) r += 10;
	if (a & 0x40) r += 11;
	if (a & b) r += 12;
	return r;
}

static __attribute__((noinline)) u32 cmp32(u32 a, u32 b)
{
	u32 r = 0;
	if (a == b) r += 1;
	if (a != 9) r += 2;
	if (a > b) r += 3;
	if (a >= 200) r += 4;
	if (a < b) r += 5;
	if (a <= 2000) r += 6;
	if ((s32)a > (s32)b) r += 7;
	if ((s32)a >= -6) r += 8;
	if ((s32)a < (s32)b) r += 9;
	if ((s32)a <= -60) r += 10;
	return r;
}

static __attribute__((noinline)) int sum(const unsigned char *p, const unsigned char *end)
{
	int s = 0;
	for (int i = 0; i < 64; i++) {
		if (p + i + 1 > end)
			break;
		s += p[i];
	}
	return s;
}

SEC("xdp")
int isa_jmp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	if (data + 16 > end)
		return XDP_ABORTED;
	u64 a = *(u64 *)data, b = *(u64 *)(data + 8);
	out = cmp64(a, b);
	out = cmp32(a, b);
	out = sum(data, end);
	out = bpf_ktime_get_ns();
	out = bpf_get_prandom_u32();
	return out & 1 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
