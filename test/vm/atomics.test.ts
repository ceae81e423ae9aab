import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atomicRef } from '../../src/vm/alu.js';
import { engines } from './engines.js';
import { TestMachine, insn, lddw } from './harness.js';

const M64 = (1n << 64n) - 1n;
const OPS = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];

/**
 * Stores `mem` at r10-8, sets r0 and r2, runs the atomic `imm` with src r2 on [r10-8], then
 * returns (memory, r2, r0) through three runs of the same prologue: r0 = the wanted one.
 */
function atomicProgram(width: 32 | 64, imm: number, mem: bigint, src: bigint, r0: bigint, result: 'mem' | 'src' | 'r0'): ReturnType<typeof insn>[] {
  const out =
    result === 'mem' ? [insn(0x79, 0, 10, -8)] : result === 'src' ? [insn(0xbf, 0, 2)] : [];
  return [
    ...lddw(1, mem),
    insn(0x7b, 10, 1, -8),
    ...lddw(2, src),
    ...lddw(0, r0),
    insn(width === 64 ? 0xdb : 0xc3, 10, 2, -8, imm),
    ...out,
    insn(0x95),
  ];
}

describe('vm', () => {
  describe('atomicRef', () => {
    it.each([
      { name: 'add', imm: 0x00, width: 64 as const, have: [5n, 7n, 0n], want: { mem: 12n, reg: null } },
      { name: 'fetch add32 wraps and returns the old value', imm: 0x01, width: 32 as const, have: [0xffff_ffffn, 2n, 0n], want: { mem: 1n, reg: 0xffff_ffffn } },
      { name: 'xchg', imm: 0xe1, width: 64 as const, have: [1n, 2n, 0n], want: { mem: 2n, reg: 1n } },
      { name: 'cmpxchg that matches', imm: 0xf1, width: 64 as const, have: [9n, 4n, 9n], want: { mem: 4n, reg: 9n } },
      { name: 'cmpxchg32 compares low halves', imm: 0xf1, width: 32 as const, have: [9n, 4n, 0x1_0000_0009n], want: { mem: 4n, reg: 9n } },
      { name: 'cmpxchg that differs', imm: 0xf1, width: 64 as const, have: [9n, 4n, 8n], want: { mem: 9n, reg: 9n } },
    ])('computes $name', ({ imm, width, have, want }) => {
      expect(atomicRef(imm, width, have[0]!, have[1]!, have[2]!)).toEqual(want);
    });
  });

  describe.each(engines)('$name engine: atomics', ({ engine }) => {
    it.each([
      { name: 'lock add', imm: 0x00, width: 64 as const, have: [0xffff_ffffn, 1n, 0n], result: 'mem' as const, want: 0x1_0000_0000n },
      { name: 'lock add32 wraps in 32 bits', imm: 0x00, width: 32 as const, have: [0x5_ffff_ffffn, 1n, 0n], result: 'mem' as const, want: 0x5_0000_0000n },
      { name: 'lock or', imm: 0x40, width: 64 as const, have: [0xf0n, 0x0f_0000_0000n, 0n], result: 'mem' as const, want: 0x0f_0000_00f0n },
      { name: 'lock and32 keeps the upper word', imm: 0x50, width: 32 as const, have: [0x7_0000_00ffn, 0x0fn, 0n], result: 'mem' as const, want: 0x7_0000_000fn },
      { name: 'lock xor', imm: 0xa0, width: 64 as const, have: [M64, 0xffn, 0n], result: 'mem' as const, want: M64 - 0xffn },
      { name: 'fetch add leaves the old value in src', imm: 0x01, width: 64 as const, have: [10n, 5n, 0n], result: 'src' as const, want: 10n },
      { name: 'fetch or32 zero-extends the old value', imm: 0x41, width: 32 as const, have: [0x9_8000_0000n, M64, 0n], result: 'src' as const, want: 0x8000_0000n },
      { name: 'fetch and', imm: 0x51, width: 64 as const, have: [0xf0n, 0x30n, 0n], result: 'mem' as const, want: 0x30n },
      { name: 'fetch xor32', imm: 0xa1, width: 32 as const, have: [0xffn, 0x0fn, 0n], result: 'src' as const, want: 0xffn },
      { name: 'xchg swaps', imm: 0xe1, width: 64 as const, have: [1n, 2n, 0n], result: 'src' as const, want: 1n },
      { name: 'xchg32 stores the low half', imm: 0xe1, width: 32 as const, have: [0x3_0000_0001n, 0x7_0000_0002n, 0n], result: 'mem' as const, want: 0x3_0000_0002n },
      { name: 'cmpxchg stores when r0 matches', imm: 0xf1, width: 64 as const, have: [9n, 4n, 9n], result: 'mem' as const, want: 4n },
      { name: 'cmpxchg leaves memory when r0 differs', imm: 0xf1, width: 64 as const, have: [9n, 4n, 8n], result: 'mem' as const, want: 9n },
      { name: 'cmpxchg loads the old value into r0', imm: 0xf1, width: 64 as const, have: [9n, 4n, 8n], result: 'r0' as const, want: 9n },
      { name: 'cmpxchg32 compares only the low half of r0', imm: 0xf1, width: 32 as const, have: [9n, 4n, 0x1_0000_0009n], result: 'mem' as const, want: 4n },
      { name: 'cmpxchg32 zero-extends r0', imm: 0xf1, width: 32 as const, have: [0xffff_fff9n, 4n, M64], result: 'r0' as const, want: 0xffff_fff9n },
    ])('runs $name', ({ imm, width, have, result, want }) => {
      expect(new TestMachine().run(engine, atomicProgram(width, imm, have[0]!, have[1]!, have[2]!, result))).toBe(want);
    });

    it('agrees with atomicRef on every atomic operation', () => {
      const m = new TestMachine();
      const v = fc.oneof(fc.constantFrom(0n, 1n, 0xffff_ffffn, 1n << 63n, M64), fc.bigInt({ min: 0n, max: M64 }));
      fc.assert(
        fc.property(fc.constantFrom(...OPS), fc.constantFrom(32 as const, 64 as const), v, v, v, fc.boolean(), (imm, width, mem, src, r0, match) => {
          const r0v = match ? mem : r0;
          const ref = atomicRef(imm, width, mem, src, r0v);
          const mask = width === 64 ? M64 : ((M64 >> 32n) << 32n);
          const memAfter = m.run(engine, atomicProgram(width, imm, mem, src, r0v, 'mem'));
          // Memory beyond the operand width keeps its bytes.
          expect(memAfter).toBe(width === 64 ? ref.mem : (mem & mask) | ref.mem);
          const want = imm === 0xf1 ? ref.reg : (ref.reg ?? src);
          expect(m.run(engine, atomicProgram(width, imm, mem, src, r0v, imm === 0xf1 ? 'r0' : 'src'))).toBe(want);
        }),
        { numRuns: 300 },
      );
    });
  });
});
