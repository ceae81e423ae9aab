// fast-check arbitraries for valid eBPF instructions and programs (RFC 9669).
import fc from 'fast-check';
import type { Insn } from '../../src/isa/insn.js';
import { ATOMIC_OPS, BPF_CMPXCHG, BPF_FETCH } from '../../src/isa/opcodes.js';

const readReg = fc.integer({ min: 0, max: 10 });
const writeReg = fc.integer({ min: 0, max: 9 });
const imm32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const off16 = fc.integer({ min: -0x8000, max: 0x7fff });

/** A slot whose jump field is patched once the program length is known. */
export interface Draft {
  slots: Insn[];
  /** Which field of slots[0] holds a branch target, if any. */
  branch?: 'off' | 'imm';
}

const i = (opcode: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ opcode, dst, src, off, imm });

const aluOps = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
const jmpOps = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];

const alu: fc.Arbitrary<Draft> = fc
  .record({ cls: fc.constantFrom(0x04, 0x07), op: fc.constantFrom(...aluOps), x: fc.boolean(), dst: writeReg, src: readReg, imm: imm32, signed: fc.boolean(), sx: fc.constantFrom(0, 8, 16, 32) })
  .map(({ cls, op, x, dst, src, imm, signed, sx }) => {
    const off = op === 0x30 || op === 0x90 ? (signed ? 1 : 0) : op === 0xb0 && x ? (cls === 0x04 && sx === 32 ? 0 : sx) : 0;
    return { slots: [x ? i(cls | 0x08 | op, dst, src, off) : i(cls | op, dst, 0, off, imm)] };
  });

const neg = fc.record({ cls: fc.constantFrom(0x04, 0x07), dst: writeReg }).map(({ cls, dst }) => ({ slots: [i(cls | 0x80, dst)] }));

const end = fc
  .record({ opcode: fc.constantFrom(0xd4, 0xdc, 0xd7), dst: writeReg, width: fc.constantFrom(16, 32, 64) })
  .map(({ opcode, dst, width }) => ({ slots: [i(opcode, dst, 0, 0, width)] }));

const ldx = fc
  .record({ sx: fc.boolean(), size: fc.constantFrom(0x00, 0x08, 0x10, 0x18), dst: writeReg, src: readReg, off: off16 })
  .map(({ sx, size, dst, src, off }) => ({ slots: [i(0x01 | (sx && size !== 0x18 ? 0x80 : 0x60) | size, dst, src, off)] }));

const st = fc
  .record({ size: fc.constantFrom(0x00, 0x08, 0x10, 0x18), dst: readReg, off: off16, imm: imm32 })
  .map(({ size, dst, off, imm }) => ({ slots: [i(0x62 | size, dst, 0, off, imm)] }));

const stx = fc
  .record({ size: fc.constantFrom(0x00, 0x08, 0x10, 0x18), dst: readReg, src: readReg, off: off16 })
  .map(({ size, dst, src, off }) => ({ slots: [i(0x63 | size, dst, src, off)] }));

const atomic = fc
  .record({ dw: fc.boolean(), op: fc.constantFrom(...ATOMIC_OPS), dst: readReg, src: readReg, off: off16 })
  .map(({ dw, op, dst, src, off }) => {
    const writesSrc = (op & BPF_FETCH) !== 0 && op !== BPF_CMPXCHG;
    return { slots: [i(dw ? 0xdb : 0xc3, dst, writesSrc ? Math.min(src, 9) : src, off, op)] };
  });

const lddw = fc
  .record({ dst: writeReg, src: fc.integer({ min: 0, max: 6 }), lo: imm32, hi: imm32 })
  .map(({ dst, src, lo, hi }) => ({ slots: [i(0x18, dst, src, 0, lo), i(0, 0, 0, 0, hi)] }));

const jcond: fc.Arbitrary<Draft> = fc
  .record({ cls: fc.constantFrom(0x05, 0x06), op: fc.constantFrom(...jmpOps), x: fc.boolean(), dst: readReg, src: readReg, imm: imm32 })
  .map(({ cls, op, x, dst, src, imm }) => ({ slots: [x ? i(cls | 0x08 | op, dst, src) : i(cls | op, dst, 0, 0, imm)], branch: 'off' as const }));

const ja: fc.Arbitrary<Draft> = fc.boolean().map((long) => ({ slots: [i(long ? 0x06 : 0x05)], branch: long ? ('imm' as const) : ('off' as const) }));

const call: fc.Arbitrary<Draft> = fc.oneof(
  fc.record({ src: fc.constantFrom(0, 2), imm: fc.integer({ min: 0, max: 0xffff }) }).map(({ src, imm }) => ({ slots: [i(0x85, 0, src, 0, imm)] })),
  fc.constant<Draft>({ slots: [i(0x85, 0, 1)], branch: 'imm' }),
  readReg.map((dst) => ({ slots: [i(0x8d, dst)] })),
);

const exit = fc.constant<Draft>({ slots: [i(0x95)] });

/** One valid instruction of any kind, branches not yet aimed. */
export const arbDraft: fc.Arbitrary<Draft> = fc.oneof(alu, neg, end, ldx, st, stx, atomic, lddw, jcond, ja, call, exit);

/**
 * A valid program: random instructions, branches aimed at random instruction starts (never
 * the second half of an lddw), ending with exit.
 */
export function arbProgram(maxLength = 40): fc.Arbitrary<Insn[]> {
  return fc
    .tuple(fc.array(arbDraft, { minLength: 0, maxLength }), fc.array(fc.nat(), { minLength: maxLength + 1, maxLength: maxLength + 1 }))
    .map(([drafts, picks]) => {
      const all: Draft[] = [...drafts, { slots: [i(0x95)] }];
      const starts: number[] = [];
      const slots: Insn[] = [];
      const branches: { pc: number; field: 'off' | 'imm' }[] = [];
      for (const d of all) {
        starts.push(slots.length);
        if (d.branch) branches.push({ pc: slots.length, field: d.branch });
        slots.push(...d.slots.map((s) => ({ ...s })));
      }
      branches.forEach(({ pc, field }, n) => {
        const target = starts[picks[n % picks.length]! % starts.length]!;
        slots[pc]![field] = target - pc - 1;
      });
      return slots;
    });
}
