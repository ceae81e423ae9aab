import { readFileSync } from 'node:fs';
import { BtfError } from '../internal/errors.js';
import { Btf } from './btf.js';
import { KERNEL_BTF_BASE64 } from './kernel-btf-data.js';

let shipped: Btf | undefined;
const byPath = new Map<string, Btf>();

/**
 * The BTF of the kernel bpfsim simulates when the user gives none: the types it models (the
 * contexts, sk_buff, xdp_buff, the packet headers, the helper structs and enums), cut from
 * Linux 6.18's vmlinux BTF by scripts/make-kernel-btf.ts. Decoded once.
 */
export function defaultKernelBtf(): Btf {
  shipped ??= Btf.decode(Buffer.from(KERNEL_BTF_BASE64, 'base64'));
  return shipped;
}

/**
 * A kernel's BTF from a file in the raw format of /sys/kernel/btf/vmlinux (or `bpftool btf dump
 * file ... format raw`), decoded once per path: a vmlinux holds some 100,000 types. An unreadable
 * file is a BtfError `btf/unreadable`.
 */
export function readKernelBtf(path: string): Btf {
  let btf = byPath.get(path);
  if (btf) return btf;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new BtfError('btf/unreadable', `kernel BTF '${path}': cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  btf = Btf.decode(bytes);
  byPath.set(path, btf);
  return btf;
}
