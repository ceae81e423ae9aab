/**
 * Tristate numbers (kernel/bpf/tnum.c): a 64-bit value whose bits are each known 0, known 1 or
 * unknown. `value` holds the known ones, `mask` the unknown ones; a bit is never set in both.
 * All arithmetic is modulo 2^64 on BigInt.
 */

export const U64 = (1n << 64n) - 1n;
export const U32 = 0xffff_ffffn;

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

/** A 64-bit BigInt reduced to its unsigned value. */
export function u64(x: bigint): bigint {
  return x & U64;
}

/** The unsigned 64-bit `x` read as signed. */
export function s64(x: bigint): bigint {
  return BigInt.asIntN(64, x);
}

export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: U64 };

export function tnumConst(value: bigint): Tnum {
  return { value: u64(value), mask: 0n };
}

/** fls64: the 1-based position of the highest set bit, 0 for 0. */
function fls64(x: bigint): number {
  const hi = Number(x >> 32n);
  return hi ? 64 - Math.clz32(hi) : 32 - Math.clz32(Number(x & U32));
}

/** tnum_range: the tnum covering [min, max] (unsigned). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = fls64(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: min & ~delta & U64, mask: delta };
}

export function tnumLshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: u64(a.value << s), mask: u64(a.mask << s) };
}

export function tnumRshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: a.value >> s, mask: a.mask >> s };
}

/** tnum_arshift: arithmetic right shift at width 32 or 64. */
export function tnumArshift(a: Tnum, shift: number, width: 32 | 64): Tnum {
  const s = BigInt(shift);
  if (width === 32) {
    return { value: BigInt.asUintN(32, BigInt.asIntN(32, a.value) >> s), mask: BigInt.asUintN(32, BigInt.asIntN(32, a.mask) >> s) };
  }
  return { value: u64(s64(a.value) >> s), mask: u64(s64(a.mask) >> s) };
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64, mask: mu };
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64, mask: mu };
}

export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(tnumConst(0n), a);
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64 };
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64 };
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/** tnum_mul as kernel 6.x computes it (half-multiply with accumulated uncertainty). */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  let accV = u64(a.value * b.value);
  let accM: Tnum = { value: 0n, mask: 0n };
  let x = a;
  let y = b;
  while (x.value !== 0n || x.mask !== 0n) {
    if ((x.value & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: y.mask });
    else if ((x.mask & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: y.value | y.mask });
    x = tnumRshift(x, 1);
    y = tnumLshift(y, 1);
  }
  accV = u64(accV);
  return tnumAdd(tnumConst(accV), accM);
}

export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/** tnum_cast: keep the low `size` bytes. */
const SIZE_MASKS = [0n, 0xffn, 0xffffn, 0xff_ffffn, U32, 0xff_ffff_ffffn, 0xffff_ffff_ffffn, 0xff_ffff_ffff_ffffn, U64];

export function tnumCast(a: Tnum, size: number): Tnum {
  const m = size >= 8 ? U64 : SIZE_MASKS[size]!;
  return { value: a.value & m, mask: a.mask & m };
}

export function tnumIsConst(a: Tnum): boolean {
  return a.mask === 0n;
}

export function tnumEqualsConst(a: Tnum, b: bigint): boolean {
  return a.mask === 0n && a.value === u64(b);
}

export function tnumIsUnknown(a: Tnum): boolean {
  return a.mask === U64;
}

/** tnum_in: every value of `b` is a value of `a`. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if ((b.mask & ~a.mask & U64) !== 0n) return false;
  return (b.value & ~a.mask & U64) === a.value;
}

export function tnumSubreg(a: Tnum): Tnum {
  return tnumCast(a, 4);
}

export function tnumClearSubreg(a: Tnum): Tnum {
  return tnumLshift(tnumRshift(a, 32), 32);
}

export function tnumWithSubreg(reg: Tnum, subreg: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
}

export function tnumConstSubreg(a: Tnum, value: bigint): Tnum {
  return tnumWithSubreg(a, tnumConst(value & U32));
}

export function tnumSubregIsConst(a: Tnum): boolean {
  return (a.mask & U32) === 0n;
}

export function tnumEquals(a: Tnum, b: Tnum): boolean {
  return a.value === b.value && a.mask === b.mask;
}

/** tnum_strn: `(0x0; 0xff)`, as the kernel's log prints a tnum. */
export function tnumStr(a: Tnum): string {
  return `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
}
