#!/usr/bin/env bash
# Compiles every bpf/*.c, bpf/tests/*.c, bpf/tests/verifier/*.c (the verifier corpus) and bpf/kernel/*.c (the kernel backend's own programs) into build/bpf/ with clang-19 (-O2 -g -target bpf).
# Only objects older than their source (or any header in bpf/) are rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
arch_include="/usr/include/$(uname -m)-linux-gnu"
newest_header=$(ls -t bpf/*.h bpf/tests/verifier/*.h 2>/dev/null | head -1 || true)
# vmlinux.h for the CO-RE test programs: from this kernel's BTF, or from the BTF bpfsim ships.
if [[ ! -s build/vmlinux/vmlinux.h ]]; then
  mkdir -p build/vmlinux
  btf=/sys/kernel/btf/vmlinux
  if [[ ! -r $btf ]]; then
    btf=build/vmlinux/kernel.btf
    node -e "const m=require('fs').readFileSync('src/btf/kernel-btf-data.ts','utf8');const b=eval(m.slice(m.indexOf('=')+1));require('fs').writeFileSync('$btf',Buffer.from(b,'base64'))"
  fi
  bpftool btf dump file "$btf" format c > build/vmlinux/vmlinux.h.tmp
  mv build/vmlinux/vmlinux.h.tmp build/vmlinux/vmlinux.h
fi
build_one() {
  local src=$1 out=$2
  if [[ -f $out && $out -nt $src && ( -z $newest_header || $out -nt $newest_header ) ]]; then return 0; fi
  mkdir -p "$(dirname "$out")"
  clang-19 -O2 -g -target bpf -I"$arch_include" -Ibpf -Ibuild/vmlinux -Wall -Wno-unused-function -c "$src" -o "$out.tmp"
  mv "$out.tmp" "$out"
}
shopt -s nullglob
for src in bpf/*.c; do build_one "$src" "build/bpf/$(basename "${src%.c}").o"; done
for src in bpf/tests/*.c; do build_one "$src" "build/bpf/tests/$(basename "${src%.c}").o"; done
for src in bpf/tests/verifier/*.c; do build_one "$src" "build/bpf/tests/verifier/$(basename "${src%.c}").o"; done
for src in bpf/kernel/*.c; do build_one "$src" "build/bpf/kernel/$(basename "${src%.c}").o"; done
