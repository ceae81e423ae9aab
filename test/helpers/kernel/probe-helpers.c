/*
 * Asks this kernel's verifier, for each helper id and program type given on the command line,
 * what it says about a program that only calls the helper, loaded with a non-GPL license:
 * "not-allowed" (program of this type cannot use helper), "gpl" (GPL-restricted), "unknown"
 * (invalid func) or "ok" (the verifier went on to check the arguments). One line per pair:
 * "<prog type> <helper id> <verdict>". The program is never attached or run.
 */
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char log_buf[65536];

static const char *probe(int type, int id)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = id },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = 3;
	attr.license = (unsigned long)"Proprietary";
	attr.log_buf = (unsigned long)log_buf;
	attr.log_size = sizeof(log_buf);
	attr.log_level = 1;
	log_buf[0] = 0;
	fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd >= 0) {
		close(fd);
		return "ok";
	}
	if (strstr(log_buf, "cannot use helper"))
		return "not-allowed";
	if (strstr(log_buf, "GPL-restricted"))
		return "gpl";
	if (strstr(log_buf, "invalid func"))
		return "unknown";
	return "ok";
}

int main(int argc, char **argv)
{
	int max = argc > 1 ? atoi(argv[1]) : 0;

	for (int a = 2; a < argc; a++)
		for (int id = 1; id <= max; id++)
			printf("%s %d %s\n", argv[a], id, probe(atoi(argv[a]), id));
	return 0;
}
