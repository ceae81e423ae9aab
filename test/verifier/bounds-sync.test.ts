/**
 * reg_bounds_sync has a number path for registers whose 64-bit bounds and tnum lie in [0, 2^31)
 * (src/verifier/reg.ts): on random registers around that range, including inconsistent ones (a
 * dead branch's), it must leave exactly what the BigInt path leaves.
 */
import { describe, expect, it } from 'vitest';
import { copyReg, newReg, regBoundsSync, regBoundsSyncBig, type Reg } from '../../src/verifier/reg.js';

/** A deterministic generator (xorshift32), so that a failure repeats. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

const INTERESTING = [0n, 1n, 2n, 7n, 0xffn, 0x100n, 0x7fffn, 0xffffn, 0x7fff_fffen, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n, (1n << 63n) - 1n, -1n, -(1n << 31n), -(1n << 63n), (1n << 64n) - 1n];

function pick(rnd: () => number, small: boolean): bigint {
  if (small || rnd() < 0.6) return BigInt(Math.floor(rnd() * (rnd() < 0.5 ? 0x100 : 0x8000_0000)));
  return INTERESTING[Math.floor(rnd() * INTERESTING.length)]!;
}

function randomReg(rnd: () => number): Reg {
  const r = newReg();
  r.type = 'scalar';
  const small = rnd() < 0.8;
  const a = pick(rnd, small);
  const b = pick(rnd, small);
  const [lo, hi] = rnd() < 0.9 ? (a <= b ? [a, b] : [b, a]) : [a, b];
  r.umin = lo & ((1n << 64n) - 1n);
  r.umax = hi & ((1n << 64n) - 1n);
  r.smin = rnd() < 0.7 ? BigInt.asIntN(64, lo) : BigInt.asIntN(64, pick(rnd, small));
  r.smax = rnd() < 0.7 ? BigInt.asIntN(64, hi) : BigInt.asIntN(64, pick(rnd, small));
  const c = pick(rnd, true) & 0xffff_ffffn;
  const d = pick(rnd, true) & 0xffff_ffffn;
  r.u32min = rnd() < 0.5 ? 0n : c < d ? c : d;
  r.u32max = rnd() < 0.5 ? 0xffff_ffffn : c < d ? d : c;
  r.s32min = rnd() < 0.5 ? -(1n << 31n) : BigInt.asIntN(32, r.u32min);
  r.s32max = rnd() < 0.5 ? (1n << 31n) - 1n : BigInt.asIntN(32, r.u32max);
  const mask = rnd() < 0.3 ? 0n : pick(rnd, small) & ((1n << 64n) - 1n);
  const value = pick(rnd, small) & ~mask & ((1n << 64n) - 1n);
  r.var = { value, mask };
  return r;
}

describe('reg_bounds_sync on numbers', () => {
  it('leaves what the BigInt path leaves on 200,000 random registers', () => {
    const rnd = random(0x5eed);
    let mismatches = 0;
    let first = '';
    for (let i = 0; i < 200_000; i++) {
      const r = randomReg(rnd);
      const fast = copyReg(r);
      const big = copyReg(r);
      regBoundsSync(fast);
      regBoundsSyncBig(big);
      if (JSON.stringify(fast, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) !== JSON.stringify(big, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) {
        mismatches++;
        first ||= JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      }
    }
    expect([mismatches, first]).toEqual([0, '']);
  });
});
