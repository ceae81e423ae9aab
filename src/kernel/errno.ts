/**
 * Errno names for the negative return codes of libbpf and the bpf(2) syscall, as
 * include/uapi/asm-generic/errno-base.h spells them.
 */
import { constants as osConstants } from 'node:os';

/** `EINVAL` for 22 or -22; libbpf's own codes (4000+) and unknown numbers print as `errno N`. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  for (const [name, v] of Object.entries(osConstants.errno)) if (v === n) return name;
  return `errno ${n}`;
}
