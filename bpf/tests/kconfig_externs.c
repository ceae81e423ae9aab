/* Kconfig externs and a weak ksym, as libbpf resolves them: every value is copied into .bss so
 * that a test can read what the program saw. */
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

/* libbpf 1.3 bpf_helpers.h; Debian 12 has libbpf 1.1. */
#ifndef bpf_ksym_exists
#define bpf_ksym_exists(sym) (!!(sym))
#endif

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_BPFSIM_TEST_NUM __kconfig __weak;
extern enum libbpf_tristate CONFIG_BPFSIM_TEST_TRI __kconfig __weak;
extern bool CONFIG_BPFSIM_TEST_BOOL __kconfig __weak;
extern char CONFIG_BPFSIM_TEST_CHAR __kconfig __weak;
extern const void bpf_bpfsim_no_such_symbol __ksym __weak;

struct seen {
	__u32 kernel_version;
	__s32 num;
	__u32 tri;
	__u8 flag;
	__u8 letter;
	__u8 ksym_exists;
	__u8 pad;
} seen;

SEC("xdp")
int kconfig_externs(struct xdp_md *ctx)
{
	seen.kernel_version = LINUX_KERNEL_VERSION;
	seen.num = CONFIG_BPFSIM_TEST_NUM;
	seen.tri = CONFIG_BPFSIM_TEST_TRI;
	seen.flag = CONFIG_BPFSIM_TEST_BOOL;
	seen.letter = CONFIG_BPFSIM_TEST_CHAR;
	seen.ksym_exists = bpf_ksym_exists(&bpf_bpfsim_no_such_symbol);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
