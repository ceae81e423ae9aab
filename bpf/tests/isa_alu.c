/* Every arithmetic instruction kind, for the disassembler's comparison with llvm-objdump.
 * Values come from the packet so that nothing folds away at -O2; built with -mcpu=v1..v4
 * (v3 adds 32-bit subregisters and JMP32, v4 sdiv/smod, movsx, sign-extending loads, bswap). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef unsigned long long u64;
typedef long long s64;
typedef unsigned int u32;
typedef int s32;

volatile u64 sink64;
volatile u32 sink32;

static __always_inline void mix64(u64 a, u64 b)
{
	sink64 = a + b;
	sink64 = a - b;
	sink64 = a * b;
	sink64 = a / (b | 1);
	sink64 = a % (b | 1);
	sink64 = a | b;
	sink64 = a & b;
	sink64 = a ^ b;
	sink64 = a << (b & 63);
	sink64 = a >> (b & 63);
	sink64 = (s64)a >> (b & 63);
	sink64 = a + 0x12345;
	sink64 = a * 7;
	sink64 = a / 3;
	sink64 = a % 5;
	sink64 = a << 9;
	sink64 = a >> 11;
	sink64 = (s64)a >> 13;
	sink64 = a ^ -2;
	sink64 = -a;
	sink64 = a & 0xffffff;
	sink64 = a | 0x800;
}

static __always_inline void mix32(u32 a, u32 b)
{
	sink32 = a + b;
	sink32 = a - b;
	sink32 = a * b;
	sink32 = a / (b | 1);
	sink32 = a % (b | 1);
	sink32 = a | b;
	sink32 = a & b;
	sink32 = a ^ b;
	sink32 = a << (b & 31);
	sink32 = a >> (b & 31);
	sink32 = (s32)a >> (b & 31);
	sink32 = a - 77;
	sink32 = a * 9;
	sink32 = a / 6;
	sink32 = a % 10;
	sink32 = -a;
}

static __always_inline void signed_ops(s64 a, s64 b, s32 c, s32 d)
{
	/* Signed division is an error before v4; sign extension is shifts before v4. */
#if __BPF_CPU_VERSION__ >= 4
	sink64 = a / (b | 1);
	sink64 = a % (b | 1);
	sink64 = a / -3;
	sink64 = a % 7;
	sink32 = c / (d | 1);
	sink32 = c % (d | 1);
	sink32 = c / -5;
#endif
	sink64 = (s64)(signed char)a;
	sink64 = (s64)(short)b;
	sink64 = (s64)(int)a;
	sink32 = (s32)(signed char)c;
	sink32 = (s32)(short)d;
}

SEC("xdp")
int isa_alu(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	if (data + 32 > end)
		return XDP_PASS;
	u64 a = *(u64 *)data;
	u64 b = *(u64 *)(data + 8);
	u32 c = *(u32 *)(data + 16);
	u32 d = *(u32 *)(data + 20);
	mix64(a, b);
	mix32(c, d);
	signed_ops(a, b, c, d);
	sink64 = __builtin_bswap64(a);
	sink32 = __builtin_bswap32(c);
	sink32 = __builtin_bswap16(d);
	sink64 = *(signed char *)(data + 24) + *(short *)(data + 26) + (s64)*(int *)(data + 28);
	sink64 = 0x1122334455667788ULL ^ a;
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
