// `kernel-verify-time --raw FILE...`: each FILE holds raw XDP instructions (8 bytes each,
// no maps), loaded with bpf_prog_load. Otherwise each argument is an object: loads each program alone with the kernel log at level 4 (BPF_LOG_STATS only,
// so no log text is written during verification) and prints, per program, the kernel's own
// "verification time N usec" and "processed N insns". Used by scripts/bench-verifier.ts; run as
// root inside `unshare --mount --net` with a bpffs mounted.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char log_buf[1 << 16];

static void report(const char *file, const char *name, int rc) {
  long usec = -1, insns = -1;
  const char *t = strstr(log_buf, "verification time ");
  const char *n = strstr(log_buf, "processed ");
  if (t) sscanf(t, "verification time %ld", &usec);
  if (n) sscanf(n, "processed %ld", &insns);
  printf("%s\t%s\t%d\t%ld\t%ld\n", file, name, rc, usec, insns);
}

static int load_raw(const char *file) {
  static struct bpf_insn insns[1 << 20];
  FILE *f = fopen(file, "rb");
  if (!f) return -1;
  size_t cnt = fread(insns, sizeof insns[0], sizeof insns / sizeof insns[0], f);
  fclose(f);
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = 4, .log_buf = log_buf, .log_size = sizeof log_buf);
  log_buf[0] = 0;
  int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "raw", "GPL", insns, cnt, &opts);
  report(file, "raw", fd < 0 ? fd : 0);
  return 0;
}

int main(int argc, char **argv) {
  libbpf_set_print(NULL);
  if (argc > 1 && strcmp(argv[1], "--raw") == 0) {
    for (int i = 2; i < argc; i++) load_raw(argv[i]);
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    struct bpf_object *names = bpf_object__open_file(argv[i], NULL);
    if (!names) continue;
    struct bpf_program *np;
    bpf_object__for_each_program(np, names) {
      const char *want = bpf_program__name(np);
      struct bpf_object *obj = bpf_object__open_file(argv[i], NULL);
      if (!obj) continue;
      struct bpf_program *p;
      bpf_object__for_each_program(p, obj) {
        int mine = strcmp(bpf_program__name(p), want) == 0;
        bpf_program__set_autoload(p, mine);
        if (mine) {
          log_buf[0] = 0;
          bpf_program__set_log_level(p, 4);
          bpf_program__set_log_buf(p, log_buf, sizeof log_buf);
        }
      }
      report(argv[i], want, bpf_object__load(obj));
      bpf_object__close(obj);
    }
    bpf_object__close(names);
  }
  return 0;
}
