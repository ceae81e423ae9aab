#!/usr/bin/env bash
# Installs what bpfsim needs and builds it. Idempotent and quiet when everything is in place:
# Debian packages (clang-19, llvm-19, libbpf, bpftool, tshark, iproute2), npm packages,
# the TypeScript build in dist/, and the example BPF objects in build/bpf/.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(clang-19 llvm-19 libbpf-dev libbpf1 linux-libc-dev bpftool tshark iproute2)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | "${sudo_cmd[@]}" debconf-set-selections
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

lock_stamp=node_modules/.package-lock.json
if [[ ! -f $lock_stamp || package-lock.json -nt $lock_stamp ]]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

if [[ ! -f dist/.stamp ]] || [[ -n $(find src tsconfig.json tsconfig.build.json -newer dist/.stamp -print -quit) ]]; then
  echo "setup: building dist/" >&2
  rm -rf dist
  npx --no-install tsc -p tsconfig.build.json
  chmod +x dist/cli/main.js
  touch dist/.stamp
fi

bash scripts/build-bpf.sh
