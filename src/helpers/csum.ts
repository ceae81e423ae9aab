/**
 * Internet checksum arithmetic exactly as this machine's x86-64 kernel does it
 * (arch/x86/lib/csum-partial_64.c, arch/x86/include/asm/checksum_64.h, include/net/checksum.h),
 * including which of the two ones'-complement zeros (0 or all ones) each operation leaves.
 * A 32-bit partial sum is a `__wsum`, a 16-bit folded checksum a `__sum16`, both as raw
 * little-endian loads of the bytes (the kernel never byte-swaps them).
 */

const M32 = 0x1_0000_0000;

/**
 * csum_partial(buff, len, sum): the little-endian 64-bit words of `bytes` (the tail zero-padded)
 * added to `seed` with end-around carry, folded to 32 bits. Carries make the result depend only
 * on the total: 0 when everything is zero, else 1 + (total - 1) mod (2^32 - 1).
 */
export function csumPartial(bytes: Uint8Array, seed: number): number {
  return csumPartialAt(bytes, 0, bytes.length, seed);
}

/** {@link csumPartial} of the `len` bytes at `off` in `bytes`, read in place (the helpers' path: no view, no copy). */
export function csumPartialAt(bytes: Uint8Array, off: number, len: number, seed: number): number {
  let total = seed >>> 0;
  const full = off + (len & ~3);
  for (let i = off; i < full; i += 4) total += (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0;
  let tail = 0;
  for (let i = off + len - 1; i >= full; i--) tail = tail * 256 + bytes[i]!;
  total += tail;
  return total === 0 ? 0 : ((total - 1) % 0xffff_ffff) + 1;
}

/** csum_add: 32-bit addition with end-around carry (addl; adcl $0). */
export function csumAdd(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return s >= M32 ? s - M32 + 1 : s;
}

/** csum_sub: csum_add(a, ~b). */
export function csumSub(a: number, b: number): number {
  return csumAdd(a, ~b >>> 0);
}

/** csum_fold (x86): the 32-bit sum folded to 16 bits and complemented. */
export function csumFold(sum: number): number {
  const s = sum >>> 0;
  let t = ((s & 0xffff0000) >>> 0) + ((s << 16) >>> 0);
  const carry = t >= M32 ? 1 : 0;
  t = ((t % M32) + 0xffff + carry) % M32;
  return (~t >>> 16) & 0xffff;
}

/** csum_from32to16: a 32-bit sum folded to 16 bits, not complemented (lib/checksum.c). */
export function csumFrom32To16(sum: number): number {
  const s = sum >>> 0;
  const rot = ((s >>> 16) | (s << 16)) >>> 0;
  return (((s + rot) % M32) >>> 16) & 0xffff;
}

/** csum16_add: 16-bit addition with end-around carry. */
export function csum16Add(csum: number, addend: number): number {
  const res = (csum + addend) & 0xffff;
  return (res + (res < (addend & 0xffff) ? 1 : 0)) & 0xffff;
}

/** csum_replace2: the __sum16 `sum` after a 16-bit field changes from `from` to `to` (RFC 1624 eqn 3). */
export function csumReplace2(sum: number, from: number, to: number): number {
  const sub = csum16Add(~sum & 0xffff, ~from & 0xffff);
  return ~csum16Add(sub, to & 0xffff) & 0xffff;
}

/** csum_replace4: the __sum16 `sum` after a 32-bit field changes from `from` to `to`. */
export function csumReplace4(sum: number, from: number, to: number): number {
  const tmp = csumSub(~(sum & 0xffff) >>> 0, from >>> 0);
  return csumFold(csumAdd(tmp, to >>> 0));
}

/** csum_replace_by_diff: the __sum16 `sum` after adding the 32-bit difference `diff`. */
export function csumReplaceByDiff(sum: number, diff: number): number {
  return csumFold(csumAdd(diff >>> 0, ~(sum & 0xffff) >>> 0));
}

/**
 * bpf_csum_diff as Linux 6.18 computes it (net/core/filter.c since "bpf_csum_diff: optimize and
 * homogenize for all archs"): the difference between `from` and `to` added to `seed`, folded to
 * 16 bits with csum_from32to16. Verified against this machine's kernel (test/helpers/csum.test.ts).
 */
export function bpfCsumDiff(from: Uint8Array, to: Uint8Array, seed: number): number {
  return bpfCsumDiffAt(from, 0, from.length, to, 0, to.length, seed);
}

/** {@link bpfCsumDiff} of `fromLen` bytes at `fromOff` in `fromBytes` and `toLen` bytes at `toOff` in `toBytes`, read in place. */
export function bpfCsumDiffAt(fromBytes: Uint8Array, fromOff: number, fromLen: number, toBytes: Uint8Array, toOff: number, toLen: number, seed: number): number {
  let ret = seed >>> 0;
  if (fromLen && toLen) ret = csumSub(csumPartialAt(toBytes, toOff, toLen, ret), csumPartialAt(fromBytes, fromOff, fromLen, 0));
  else if (toLen) ret = csumPartialAt(toBytes, toOff, toLen, ret);
  else if (fromLen) ret = ~csumPartialAt(fromBytes, fromOff, fromLen, ~ret >>> 0) >>> 0;
  return csumFrom32To16(ret);
}
