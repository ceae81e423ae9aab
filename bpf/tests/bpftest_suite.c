/* bpfsim test: a suite in the PKTGEN/SETUP/CHECK convention (sections tc|xdp/test/<name>/<stage>),
 * written here from the convention alone. Checks report through suite_result_map in the TRF
 * protobuf layout; the program under test sits in a prog array slot named by a decl tag. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define TEST_ERROR 100
#define TEST_PASS 101
#define TEST_FAIL 102
#define TEST_SKIP 103

#define STR2(x) #x
#define STR(x) STR2(x)
#define HERE __FILE__ ":" STR(__LINE__)

struct trf_value {
	__u8 bytes[256];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct trf_value);
	__uint(max_entries, 1);
} suite_result_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} runs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 2);
} under_test SEC(".maps");

/* One TestResult with one Log line: SuiteResult.results (1) { name (1), status (2), test_log (3) { fmt (1) } }.
 * Every length is below 128, so each varint is one byte. */
#define trf_report(name, status, text)                                                  \
	({                                                                              \
		__u32 __k = 0;                                                          \
		struct trf_value *__v = bpf_map_lookup_elem(&suite_result_map, &__k);   \
		if (__v) {                                                              \
			const __u8 __nl = sizeof(name) - 1, __tl = sizeof(text) - 1;    \
			const __u8 __log = 2 + __tl, __res = 2 + __nl + 2 + 2 + __log;   \
			__v->bytes[0] = 0x0a;                                            \
			__v->bytes[1] = __res;                                           \
			__v->bytes[2] = 0x0a;                                            \
			__v->bytes[3] = __nl;                                            \
			__builtin_memcpy(&__v->bytes[4], name, sizeof(name) - 1);        \
			__v->bytes[4 + __nl] = 0x10;                                     \
			__v->bytes[5 + __nl] = (status);                                 \
			__v->bytes[6 + __nl] = 0x1a;                                     \
			__v->bytes[7 + __nl] = __log;                                    \
			__v->bytes[8 + __nl] = 0x0a;                                     \
			__v->bytes[9 + __nl] = __tl;                                     \
			__builtin_memcpy(&__v->bytes[10 + __nl], text, sizeof(text) - 1); \
		}                                                                       \
		(status);                                                               \
	})

/* The program under test: marks the packet and passes it. */
__attribute__((btf_decl_tag("tail:under_test/1")))
SEC("tc")
int mark_and_pass(struct __sk_buff *skb)
{
	skb->mark = 42;
	return TC_ACT_OK;
}

static __u64 bump_runs(void)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&runs, &key);

	if (!n)
		return 0;
	return ++*n;
}

SEC("tc/test/a_tail/pktgen")
int a_pktgen(struct __sk_buff *skb)
{
	__u16 proto = __builtin_bswap16(ETH_P_IP);

	bpf_skb_store_bytes(skb, 12, &proto, sizeof(proto), 0);
	return TEST_PASS;
}

SEC("tc/test/a_tail/setup")
int a_setup(struct __sk_buff *skb)
{
	bump_runs();
	bpf_tail_call(skb, &under_test, 1);
	return TEST_ERROR;
}

SEC("tc/test/a_tail/check")
int a_check(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u32 *status = data;
	struct ethhdr *eth = data + 4;

	if ((void *)(eth + 1) > end)
		return trf_report("packet", TEST_ERROR, "packet too short at " HERE);
	if (*status != TC_ACT_OK)
		return trf_report("setup", TEST_FAIL, "setup status wrong at " HERE);
	if (eth->h_proto != __builtin_bswap16(ETH_P_IP) || skb->mark != 42)
		return trf_report("marked", TEST_FAIL, "assert failed at " HERE);
	return trf_report("marked", TEST_PASS, "marked 42 by the tail call");
}

SEC("tc/test/b_state/check")
int b_check(struct __sk_buff *skb)
{
	/* a_tail's setup ran once before: maps keep their state across tests. */
	if (bump_runs() != 2)
		return trf_report("state", TEST_FAIL, "assert failed at " HERE);
	return TEST_PASS;
}

SEC("tc/test/c_fails/check")
int c_check(struct __sk_buff *skb)
{
	if (skb->len != 1)
		return trf_report("length", TEST_FAIL, "assert failed at " HERE);
	return TEST_PASS;
}

SEC("tc/test/d_skipped/check")
int d_check(struct __sk_buff *skb)
{
	return TEST_SKIP;
}

SEC("xdp/test/e_xdp/check")
int e_check(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;

	return len == 4096 - 256 - 320 ? TEST_PASS : TEST_FAIL;
}

char _license[] SEC("license") = "GPL";
