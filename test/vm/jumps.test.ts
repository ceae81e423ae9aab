import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm.js';
import { jmpRef } from '../../src/vm/alu.js';
import { engines } from './engines.js';
import { TestMachine, insn, lddw } from './harness.js';

const M64 = (1n << 64n) - 1n;

/** `r1 = a; r2 = b; if <cond> goto yes; r0 = 0; exit; yes: r0 = 1; exit` */
function branch(a: bigint, b: bigint, cond: string): string {
  return `lddw %r1, 0x${a.toString(16)}\nlddw %r2, 0x${b.toString(16)}\n${cond} yes\nmov %r0, 0\nexit\nyes:\nmov %r0, 1\nexit`;
}

const cases: { name: string; cond: string; have: [bigint, bigint]; want: boolean }[] = [
  { name: 'jeq on equal 64-bit values', cond: 'jeq %r1, %r2,', have: [0x1_0000_0005n, 0x1_0000_0005n], want: true },
  { name: 'jeq compares high halves', cond: 'jeq %r1, %r2,', have: [0x1_0000_0005n, 5n], want: false },
  { name: 'jeq32 compares low halves only', cond: 'jeq32 %r1, %r2,', have: [0x1_0000_0005n, 5n], want: true },
  { name: 'jeq with imm -1 sign-extends', cond: 'jeq %r1, -1,', have: [M64, 0n], want: true },
  { name: 'jeq32 with imm -1 compares 32 bits', cond: 'jeq32 %r1, -1,', have: [0xffff_ffffn, 0n], want: true },
  { name: 'jne', cond: 'jne %r1, %r2,', have: [1n, 2n], want: true },
  { name: 'jne32 ignores high halves', cond: 'jne32 %r1, %r2,', have: [0x2_0000_0001n, 1n], want: false },
  { name: 'jgt is unsigned', cond: 'jgt %r1, %r2,', have: [M64, 1n], want: true },
  { name: 'jgt compares high halves first', cond: 'jgt %r1, %r2,', have: [0x1_0000_0000n, 0xffff_ffffn], want: true },
  { name: 'jgt is strict', cond: 'jgt %r1, 7,', have: [7n, 0n], want: false },
  { name: 'jge on equal values', cond: 'jge %r1, %r2,', have: [7n, 7n], want: true },
  { name: 'jlt is unsigned', cond: 'jlt %r1, %r2,', have: [1n, M64], want: true },
  { name: 'jle on equal values', cond: 'jle %r1, 9,', have: [9n, 0n], want: true },
  { name: 'jsgt is signed', cond: 'jsgt %r1, %r2,', have: [M64, 1n], want: false },
  { name: 'jsgt with negative operands', cond: 'jsgt %r1, -5,', have: [M64 - 1n, 0n], want: true },
  { name: 'jsge on equal negatives', cond: 'jsge %r1, %r2,', have: [M64, M64], want: true },
  { name: 'jslt is signed', cond: 'jslt %r1, %r2,', have: [M64, 0n], want: true },
  { name: 'jslt compares low halves unsigned within one high half', cond: 'jslt %r1, %r2,', have: [0xffff_ffff_0000_0001n, 0xffff_ffff_8000_0000n], want: true },
  { name: 'jsle with imm', cond: 'jsle %r1, -1,', have: [1n << 63n, 0n], want: true },
  { name: 'jset on a common high bit', cond: 'jset %r1, %r2,', have: [0x1_0000_0000n, 0x3_0000_0000n], want: true },
  { name: 'jset with no common bit', cond: 'jset %r1, 2,', have: [5n, 0n], want: false },
  { name: 'jset32 ignores high halves', cond: 'jset32 %r1, %r2,', have: [0x1_0000_0000n, 0x1_0000_0000n], want: false },
  { name: 'jgt32 is unsigned on 32 bits', cond: 'jgt32 %r1, %r2,', have: [0xffff_ffffn, 1n], want: true },
  { name: 'jsgt32 is signed on 32 bits', cond: 'jsgt32 %r1, %r2,', have: [0xffff_ffffn, 1n], want: false },
  { name: 'jsgt32 ignores the 64-bit sign', cond: 'jsgt32 %r1, 0,', have: [0x8000_0000_0000_0001n, 0n], want: true },
  { name: 'jslt32 with imm', cond: 'jslt32 %r1, -1,', have: [0x8000_0000n, 0n], want: true },
  { name: 'jsle32', cond: 'jsle32 %r1, %r2,', have: [0x1_8000_0000n, 0x7fff_ffffn], want: true },
  { name: 'jsge32', cond: 'jsge32 %r1, %r2,', have: [5n, 0xffff_fffbn], want: true },
  { name: 'jge32', cond: 'jge32 %r1, %r2,', have: [5n, 0xffff_fffbn], want: false },
  { name: 'jlt32', cond: 'jlt32 %r1, 6,', have: [0x7_0000_0005n, 0n], want: true },
  { name: 'jle32', cond: 'jle32 %r1, %r2,', have: [0x7_0000_0006n, 5n], want: false },
];

const condOpcodes: number[] = [];
for (const cls of [0x05, 0x06]) {
  for (const op of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) condOpcodes.push(cls | op, cls | 0x08 | op);
}

describe('vm', () => {
  describe('jmpRef', () => {
    it.each(cases)('decides $name', ({ cond, have, want }) => {
      const [i] = assemble(`${cond} 0`);
      expect(jmpRef(i!.opcode, i!.imm, have[0], have[1])).toBe(want);
    });
  });

  describe.each(engines)('$name engine: jumps', ({ engine }) => {
    it.each(cases)('decides $name', ({ cond, have, want }) => {
      expect(new TestMachine().run(engine, branch(have[0], have[1], cond))).toBe(want ? 1n : 0n);
    });

    it('agrees with jmpRef on every conditional jump', () => {
      const m = new TestMachine();
      const edge = fc.oneof(fc.constantFrom(0n, 1n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n, 1n << 63n, M64), fc.bigInt({ min: 0n, max: M64 }));
      fc.assert(
        fc.property(fc.constantFrom(...condOpcodes), edge, edge, fc.integer({ min: -2147483648, max: 2147483647 }), fc.boolean(), (opcode, a, b, k, sameValue) => {
          const bb = sameValue ? a : b;
          const isX = (opcode & 0x08) !== 0;
          const j = insn(opcode, 1, isX ? 2 : 0, 2, isX ? 0 : k);
          const prog = [...lddw(1, a), ...lddw(2, bb), j, insn(0xb7, 0, 0, 0, 0), insn(0x95), insn(0xb7, 0, 0, 0, 1), insn(0x95)];
          expect(m.run(engine, prog)).toBe(jmpRef(opcode, j.imm, a, bb) ? 1n : 0n);
        }),
        { numRuns: 500 },
      );
    });

    it('jumps backwards and forwards with ja', () => {
      const src = 'mov %r0, 1\nja fwd\nback:\nadd %r0, 10\nexit\nfwd:\nadd %r0, 100\nja back';
      expect(new TestMachine().run(engine, src)).toBe(111n);
    });

    it('jumps with the 32-bit offset of gotol (JMP32 | JA)', () => {
      // ja32 +1 skips one instruction; its offset lives in imm.
      const prog = [insn(0xb7, 0, 0, 0, 1), insn(0x06, 0, 0, 0, 1), insn(0xb7, 0, 0, 0, 2), insn(0x95)];
      expect(new TestMachine().run(engine, prog)).toBe(1n);
    });

    it('runs a bounded loop', () => {
      const src = 'mov %r0, 0\nmov %r1, 100\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit';
      expect(new TestMachine().run(engine, src)).toBe(5050n);
    });
  });
});
