import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm.js';
import { aluRef } from '../../src/vm/alu.js';
import { engines } from './engines.js';
import { TestMachine, insn, lddw, withOperands } from './harness.js';

const M64 = (1n << 64n) - 1n;
const INT64_MIN = 1n << 63n;
const neg = (v: bigint): bigint => BigInt.asUintN(64, v);

/** One ALU instruction on r1 (= dst) with r2 (= src) as the operand; `want` is r1 afterwards. */
const cases: { name: string; op: string; have: [bigint, bigint]; want: bigint }[] = [
  { name: 'add64 wraps around', op: 'add %r1, %r2', have: [M64, 1n], want: 0n },
  { name: 'add64 carries into the high half', op: 'add %r1, %r2', have: [0xffffffffn, 1n], want: 0x1_0000_0000n },
  { name: 'add64 sign-extends a negative imm', op: 'add %r1, -1', have: [0n, 0n], want: M64 },
  { name: 'add32 wraps and clears the high half', op: 'add32 %r1, %r2', have: [0x5_ffff_ffffn, 1n], want: 0n },
  { name: 'add32 with imm -1 stays 32-bit', op: 'add32 %r1, -1', have: [0n, 0n], want: 0xffffffffn },
  { name: 'sub64 borrows from the high half', op: 'sub %r1, %r2', have: [0x1_0000_0000n, 1n], want: 0xffffffffn },
  { name: 'sub64 below zero wraps', op: 'sub %r1, 1', have: [0n, 0n], want: M64 },
  { name: 'sub32 below zero wraps to 32 bits', op: 'sub32 %r1, %r2', have: [0n, 1n], want: 0xffffffffn },
  { name: 'mul64 of -1 by -1 is 1', op: 'mul %r1, %r2', have: [M64, M64], want: 1n },
  { name: 'mul64 crosses halves', op: 'mul %r1, %r2', have: [0x1_0000_0001n, 0x1_0000_0001n], want: 0x2_0000_0001n },
  { name: 'mul64 keeps the low 64 bits', op: 'mul %r1, %r2', have: [0x1_2345_6789n, 0xabcd_ef01_2345n], want: (0x1_2345_6789n * 0xabcd_ef01_2345n) & M64 },
  { name: 'mul64 INT_MIN by -1 is INT_MIN', op: 'mul %r1, -1', have: [INT64_MIN, 0n], want: INT64_MIN },
  { name: 'mul32 overflows to zero', op: 'mul32 %r1, %r2', have: [0x10000n, 0x10000n], want: 0n },
  { name: 'mul32 of -1 by -1 is 1', op: 'mul32 %r1, -1', have: [M64, 0n], want: 1n },
  { name: 'div64 truncates', op: 'div %r1, %r2', have: [10n, 3n], want: 3n },
  { name: 'div64 by zero is zero', op: 'div %r1, %r2', have: [M64, 0n], want: 0n },
  { name: 'div64 is unsigned', op: 'div %r1, 2', have: [M64, 0n], want: M64 >> 1n },
  { name: 'div64 by imm -1 divides by 2^64-1', op: 'div %r1, -1', have: [5n, 0n], want: 0n },
  { name: 'div64 of two 64-bit values', op: 'div %r1, %r2', have: [0xffff_0000_0000_0000n, 0x1_0000_0000n], want: 0xffff_0000n },
  { name: 'div32 by zero is zero', op: 'div32 %r1, %r2', have: [0xffffffffn, 0x1_0000_0000n], want: 0n },
  { name: 'div32 ignores the high halves', op: 'div32 %r1, 2', have: [0x1_0000_0008n, 0n], want: 4n },
  { name: 'div32 by imm -1 divides by 0xffffffff', op: 'div32 %r1, -1', have: [0xffffffffn, 0n], want: 1n },
  { name: 'sdiv64 truncates toward zero', op: 'sdiv %r1, 2', have: [neg(-7n), 0n], want: neg(-3n) },
  { name: 'sdiv64 by a negative divisor', op: 'sdiv %r1, %r2', have: [7n, neg(-2n)], want: neg(-3n) },
  { name: 'sdiv64 INT_MIN by -1 is INT_MIN', op: 'sdiv %r1, -1', have: [INT64_MIN, 0n], want: INT64_MIN },
  { name: 'sdiv64 by zero is zero', op: 'sdiv %r1, %r2', have: [neg(-7n), 0n], want: 0n },
  { name: 'sdiv32 INT_MIN by -1 is INT_MIN', op: 'sdiv32 %r1, -1', have: [0x8000_0000n, 0n], want: 0x8000_0000n },
  { name: 'sdiv32 truncates toward zero', op: 'sdiv32 %r1, 2', have: [0xffff_fff9n, 0n], want: 0xffff_fffdn },
  { name: 'sdiv32 by zero is zero', op: 'sdiv32 %r1, %r2', have: [0xffff_fff9n, 0n], want: 0n },
  { name: 'mod64 of small values', op: 'mod %r1, %r2', have: [10n, 3n], want: 1n },
  { name: 'mod64 by zero keeps the dividend', op: 'mod %r1, %r2', have: [0x1234_5678_9abc_def0n, 0n], want: 0x1234_5678_9abc_def0n },
  { name: 'mod64 of 64-bit values', op: 'mod %r1, %r2', have: [M64, 0x1_0000_0000n], want: 0xffff_ffffn },
  { name: 'mod32 by zero truncates the dividend', op: 'mod32 %r1, %r2', have: [0x1_0000_0007n, 0n], want: 7n },
  { name: 'mod32 ignores the high halves', op: 'mod32 %r1, 3', have: [0x1_0000_000an, 0n], want: 1n },
  { name: 'smod64 takes the sign of the dividend', op: 'smod %r1, 2', have: [neg(-7n), 0n], want: M64 },
  { name: 'smod64 by a negative divisor', op: 'smod %r1, -2', have: [7n, 0n], want: 1n },
  { name: 'smod64 INT_MIN by -1 is zero', op: 'smod %r1, %r2', have: [INT64_MIN, M64], want: 0n },
  { name: 'smod64 by zero keeps the dividend', op: 'smod %r1, %r2', have: [neg(-7n), 0n], want: neg(-7n) },
  { name: 'smod32 by zero truncates the dividend', op: 'smod32 %r1, %r2', have: [neg(-7n), 0n], want: 0xffff_fff9n },
  { name: 'smod32 INT_MIN by -1 is zero', op: 'smod32 %r1, -1', have: [0x8000_0000n, 0n], want: 0n },
  { name: 'or64', op: 'or %r1, %r2', have: [0xf0f0_0000_0000_0000n, 0x0f0fn], want: 0xf0f0_0000_0000_0f0fn },
  { name: 'or32 clears the high half', op: 'or32 %r1, 1', have: [0xffff_0000_0000_0000n, 0n], want: 1n },
  { name: 'and64 with imm sign-extends', op: 'and %r1, -16', have: [M64, 0n], want: neg(-16n) },
  { name: 'and32', op: 'and32 %r1, %r2', have: [M64, 0x1_0000_00ffn], want: 0xffn },
  { name: 'xor64', op: 'xor %r1, %r2', have: [M64, 0xffff_0000_ffffn], want: 0xffff_ffff_0000_ffff_0000n & M64 },
  { name: 'xor32', op: 'xor32 %r1, -1', have: [0x1_0000_0000n, 0n], want: 0xffff_ffffn },
  { name: 'lsh64 by 63', op: 'lsh %r1, 63', have: [1n, 0n], want: INT64_MIN },
  { name: 'lsh64 by 32 moves the low half up', op: 'lsh %r1, %r2', have: [0x8000_0001n, 32n], want: 0x8000_0001_0000_0000n },
  { name: 'lsh64 masks the amount to 6 bits', op: 'lsh %r1, %r2', have: [3n, 65n], want: 6n },
  { name: 'lsh64 by 64 is a shift by 0', op: 'lsh %r1, %r2', have: [3n, 64n], want: 3n },
  { name: 'lsh64 by a register with high bits set', op: 'lsh %r1, %r2', have: [1n, 0xffff_ffff_0000_0021n], want: 1n << 33n },
  { name: 'lsh32 masks the amount to 5 bits', op: 'lsh32 %r1, %r2', have: [0x1_0000_0003n, 33n], want: 6n },
  { name: 'lsh32 by 31', op: 'lsh32 %r1, 31', have: [1n, 0n], want: 0x8000_0000n },
  { name: 'rsh64 is logical', op: 'rsh %r1, 63', have: [INT64_MIN, 0n], want: 1n },
  { name: 'rsh64 by 33 crosses halves', op: 'rsh %r1, %r2', have: [0x8000_0000_0000_0000n, 33n], want: 0x4000_0000n },
  { name: 'rsh64 by 4 moves bits between halves', op: 'rsh %r1, 4', have: [0x1_2345_6789n, 0n], want: 0x1234_5678n },
  { name: 'rsh32 ignores the high half', op: 'rsh32 %r1, %r2', have: [0xffff_ffff_8000_0000n, 31n], want: 1n },
  { name: 'rsh32 masks the amount', op: 'rsh32 %r1, %r2', have: [0x10n, 36n], want: 1n },
  { name: 'arsh64 fills with the sign', op: 'arsh %r1, 63', have: [INT64_MIN, 0n], want: M64 },
  { name: 'arsh64 by 32', op: 'arsh %r1, %r2', have: [INT64_MIN, 32n], want: 0xffff_ffff_8000_0000n },
  { name: 'arsh64 by 4 crosses halves', op: 'arsh %r1, 4', have: [0x8000_0001_0000_0000n, 0n], want: 0xf800_0000_1000_0000n },
  { name: 'arsh64 of a positive value', op: 'arsh %r1, %r2', have: [0x7fff_ffff_ffff_ffffn, 62n], want: 1n },
  { name: 'arsh32 fills with bit 31 and zero-extends', op: 'arsh32 %r1, 31', have: [0x8000_0000n, 0n], want: 0xffff_ffffn },
  { name: 'arsh32 masks the amount', op: 'arsh32 %r1, %r2', have: [0x8000_0000n, 0x3fn], want: 0xffff_ffffn },
  { name: 'neg64 of 1', op: 'neg %r1', have: [1n, 0n], want: M64 },
  { name: 'neg64 of INT_MIN is INT_MIN', op: 'neg %r1', have: [INT64_MIN, 0n], want: INT64_MIN },
  { name: 'neg64 of 0 is 0', op: 'neg %r1', have: [0n, 0n], want: 0n },
  { name: 'neg64 of a high-half value', op: 'neg %r1', have: [0x1_0000_0000n, 0n], want: 0xffff_ffff_0000_0000n },
  { name: 'neg32 of INT_MIN is INT_MIN', op: 'neg32 %r1', have: [0x8000_0000n, 0n], want: 0x8000_0000n },
  { name: 'neg32 zero-extends', op: 'neg32 %r1', have: [0x5_0000_0001n, 0n], want: 0xffff_ffffn },
  { name: 'mov64 of imm -1', op: 'mov %r1, -1', have: [0n, 0n], want: M64 },
  { name: 'mov32 of imm -1 zero-extends', op: 'mov32 %r1, -1', have: [M64, 0n], want: 0xffff_ffffn },
  { name: 'mov32 of a register truncates', op: 'mov32 %r1, %r2', have: [0n, M64], want: 0xffff_ffffn },
  { name: 'movsx864', op: 'movsx864 %r1, %r2', have: [0n, 0x1_0000_0080n], want: neg(-128n) },
  { name: 'movsx1664 of a positive value', op: 'movsx1664 %r1, %r2', have: [0n, 0xffff_7fffn], want: 0x7fffn },
  { name: 'movsx3264', op: 'movsx3264 %r1, %r2', have: [0n, 0x8000_0000n], want: 0xffff_ffff_8000_0000n },
  { name: 'movsx832 zero-extends past 32 bits', op: 'movsx832 %r1, %r2', have: [0n, 0xffn], want: 0xffff_ffffn },
  { name: 'movsx1632', op: 'movsx1632 %r1, %r2', have: [0n, 0x8000n], want: 0xffff_8000n },
  { name: 'le16 truncates', op: 'le16 %r1', have: [0x1122_3344_5566_7788n, 0n], want: 0x7788n },
  { name: 'le32 truncates', op: 'le32 %r1', have: [0x1122_3344_5566_7788n, 0n], want: 0x5566_7788n },
  { name: 'le64 keeps the value', op: 'le64 %r1', have: [0x1122_3344_5566_7788n, 0n], want: 0x1122_3344_5566_7788n },
  { name: 'be16 swaps and truncates', op: 'be16 %r1', have: [0x1122_3344_5566_7788n, 0n], want: 0x8877n },
  { name: 'be32 swaps and truncates', op: 'be32 %r1', have: [0x1122_3344_5566_7788n, 0n], want: 0x8877_6655n },
  { name: 'be64 swaps', op: 'be64 %r1', have: [0x1122_3344_5566_7788n, 0n], want: 0x8877_6655_4433_2211n },
  { name: 'bswap16', op: 'bswap16 %r1', have: [0x1122_3344_5566_7788n, 0n], want: 0x8877n },
  { name: 'bswap32', op: 'bswap32 %r1', have: [0x1122_3344_5566_7788n, 0n], want: 0x8877_6655n },
  { name: 'bswap64', op: 'bswap64 %r1', have: [0x1122_3344_5566_7788n, 0n], want: 0x8877_6655_4433_2211n },
];

describe('vm', () => {
  describe('aluRef', () => {
    it.each(cases)('computes $name', ({ op, have, want }) => {
      const [i] = assemble(op);
      expect(aluRef(i!.opcode, i!.off, i!.imm, have[0], have[1])).toBe(want);
    });
  });

  describe.each(engines)('$name engine: ALU', ({ engine }) => {
    it.each(cases)('computes $name', ({ op, have, want }) => {
      const m = new TestMachine();
      expect(m.run(engine, withOperands(have[0], have[1], assemble(op)))).toBe(want);
    });

    // Every ALU opcode with both operand forms, against the BigInt statement of the RFC.
    const aluOpcodes: { opcode: number; offs: number[] }[] = [];
    for (const cls of [0x04, 0x07]) {
      for (const op of [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0]) {
        const signed = op === 0x30 || op === 0x90 ? [0, 1] : [0];
        aluOpcodes.push({ opcode: cls | op, offs: signed });
        aluOpcodes.push({ opcode: cls | 0x08 | op, offs: op === 0xb0 ? (cls === 0x07 ? [0, 8, 16, 32] : [0, 8, 16]) : signed });
      }
      aluOpcodes.push({ opcode: cls | 0x80, offs: [0] });
    }
    const edge = fc.oneof(
      fc.constantFrom(0n, 1n, 2n, 31n, 32n, 63n, 64n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n, INT64_MIN, M64, M64 - 1n),
      fc.bigInt({ min: 0n, max: M64 }),
    );
    const imm = fc.oneof(fc.constantFrom(0, 1, -1, 31, 32, 63, 64, -2147483648, 2147483647), fc.integer({ min: -2147483648, max: 2147483647 }));

    it('agrees with aluRef on every ALU opcode and edge operands', () => {
      const m = new TestMachine();
      fc.assert(
        fc.property(fc.constantFrom(...aluOpcodes), fc.nat(3), edge, edge, imm, ({ opcode, offs }, offPick, a, b, k) => {
          const off = offs[offPick % offs.length]!;
          const isX = (opcode & 0x08) !== 0;
          const neg = (opcode & 0xf0) === 0x80;
          const op = insn(opcode, 1, isX ? 2 : 0, off, isX || neg ? 0 : k);
          const got = m.run(engine, withOperands(a, b, [op]));
          expect(got).toBe(aluRef(opcode, off, op.imm, a, b));
        }),
        { numRuns: 600 },
      );
    });

    it('agrees with aluRef on byte swaps of every width', () => {
      const m = new TestMachine();
      fc.assert(
        fc.property(fc.constantFrom(0xd4, 0xdc, 0xd7), fc.constantFrom(16, 32, 64), edge, (opcode, width, a) => {
          const got = m.run(engine, withOperands(a, 0n, [insn(opcode, 1, 0, 0, width)]));
          expect(got).toBe(aluRef(opcode, 0, width, a, 0n));
        }),
        { numRuns: 100 },
      );
    });

    it('loads a 64-bit immediate with lddw', () => {
      const m = new TestMachine();
      expect(m.run(engine, [...lddw(0, 0x8000_0000_0000_0001n), insn(0x95)])).toBe(0x8000_0000_0000_0001n);
    });
  });
});
