/* Asks this machine's kernel which context accesses and helpers a program type may use: loads a
 * one-instruction load (r) or store (w) at every __sk_buff/xdp_md offset and size, or a call of
 * every helper id, and prints what the verifier accepted. Made test/helpers/fixtures/ctx-access-6.18.txt
 * and the allowed-helper lists of src/helpers/registry.ts. As root, in a private namespace:
 *   gcc -o /tmp/probe scripts/probe-ctx-helpers.c && unshare --mount --net /tmp/probe 1 ctx
 * (1 = BPF_PROG_TYPE_SOCKET_FILTER; `helpers` instead of `ctx` prints the allowed helper ids). */
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
static char log[65536];
static int load(int type, struct bpf_insn *insns, int n, int want_log) {
  union bpf_attr a; memset(&a, 0, sizeof a);
  a.prog_type = type; a.insns = (unsigned long)insns; a.insn_cnt = n;
  a.license = (unsigned long)"GPL";
  log[0] = 0;
  if (want_log) { a.log_buf = (unsigned long)log; a.log_size = sizeof log; a.log_level = 1; }
  int fd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
  if (fd >= 0) close(fd);
  return fd >= 0;
}
int main(int argc, char **argv) {
  int type = atoi(argv[1]);
  if (argc > 2 && !strcmp(argv[2], "ctx")) {
    int sizes[] = {1, 2, 4, 8}; int szc[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
    for (int off = 0; off < 192; off++) for (int s = 0; s < 4; s++) {
      struct bpf_insn r[] = {
        {.code = BPF_LDX | BPF_MEM | szc[s], .dst_reg = 0, .src_reg = 1, .off = off},
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT}};
      struct bpf_insn w[] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 2, .imm = 0},
        {.code = BPF_STX | BPF_MEM | szc[s], .dst_reg = 1, .src_reg = 2, .off = off},
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT}};
      int rr = load(type, r, 3, 0), ww = load(type, w, 4, 0);
      if (rr || ww) printf("%d %d %d %s%s\n", type, off, sizes[s], rr ? "r" : "", ww ? "w" : "");
    }
  } else if (argc > 2 && !strcmp(argv[2], "helpers")) {
    for (int id = 1; id < 260; id++) {
      struct bpf_insn p[] = {
        {.code = BPF_JMP | BPF_CALL, .imm = id},
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT}};
      load(type, p, 3, 1);
      if (strstr(log, "invalid func unknown")) break;
      if (!strstr(log, "cannot use helper") && !strstr(log, "unknown func")) printf("%d,", id);
    }
    printf("\n");
  }
}
