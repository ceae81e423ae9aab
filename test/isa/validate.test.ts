import { describe, expect, it } from 'vitest';
import { IsaError } from '../../src/internal/errors.js';
import { assemble } from '../../src/isa/asm.js';
import type { Insn } from '../../src/isa/insn.js';
import { INSN_RULES, isLddw, validateInsns } from '../../src/isa/validate.js';

// A known-good program; each negative case changes one thing in it.
const good = `
  mov %r0, 0          # 0
  lddw %r1, 0x1122334455667788  # 1, 2
  jeq %r1, 0, out     # 3
  ldxw %r2, [%r10-4]  # 4
  lock fetch add [%r10-8], %r2  # 5
  call 1              # 6
  call local out      # 7
  be16 %r0            # 8
out:
  exit                # 9
`;

function codeOf(fn: () => void): { code: string; pc: number | undefined } | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IsaError);
    return { code: (err as IsaError).code, pc: (err as IsaError).pc };
  }
  return undefined;
}

function mutate(pc: number, change: Partial<Insn>): Insn[] {
  const insns = assemble(good);
  insns[pc] = { ...insns[pc]!, ...change };
  return insns;
}

describe('isa', () => {
  it('accepts the known-good program', () => {
    expect(() => validateInsns(assemble(good))).not.toThrow();
  });

  it('accepts the legacy packet loads BPF_LD | BPF_ABS and BPF_IND of 1, 2 and 4 bytes', () => {
    for (const opcode of [0x20, 0x28, 0x30, 0x40, 0x48, 0x50]) expect(() => validateInsns(mutate(0, { opcode, imm: 12 }))).not.toThrow();
  });

  it.each([
    { name: 'an unknown opcode', have: mutate(0, { opcode: 0x8f }), want: { code: 'isa/unknown-opcode', pc: 0 } },
    { name: 'an 8-byte legacy packet load', have: mutate(0, { opcode: 0x38 }), want: { code: 'isa/unknown-opcode', pc: 0 } },
    { name: 'a lone second lddw slot', have: mutate(0, { opcode: 0, imm: 0 }), want: { code: 'isa/unknown-opcode', pc: 0 } },
    { name: 'register r11', have: mutate(4, { src: 11 }), want: { code: 'isa/bad-register', pc: 4 } },
    { name: 'a write to r10', have: mutate(0, { dst: 10 }), want: { code: 'isa/bad-register', pc: 0 } },
    { name: 'a load into r10', have: mutate(4, { dst: 10 }), want: { code: 'isa/bad-register', pc: 4 } },
    { name: 'a fetch into r10', have: mutate(5, { src: 10 }), want: { code: 'isa/bad-register', pc: 5 } },
    { name: 'lddw into r10', have: mutate(1, { dst: 10 }), want: { code: 'isa/bad-register', pc: 1 } },
    { name: 'a source register on an imm op', have: mutate(0, { src: 1 }), want: { code: 'isa/reserved-field', pc: 0 } },
    { name: 'an offset on mov', have: mutate(0, { off: 1 }), want: { code: 'isa/reserved-field', pc: 0 } },
    { name: 'an imm on ldx', have: mutate(4, { imm: 1 }), want: { code: 'isa/reserved-field', pc: 4 } },
    { name: 'a register on exit', have: mutate(9, { dst: 1 }), want: { code: 'isa/reserved-field', pc: 9 } },
    { name: 'a byte swap of 8 bits', have: mutate(8, { imm: 8 }), want: { code: 'isa/reserved-field', pc: 8 } },
    { name: 'call source 3', have: mutate(6, { src: 3 }), want: { code: 'isa/reserved-field', pc: 6 } },
    { name: 'an undefined atomic op', have: mutate(5, { imm: 0x31 }), want: { code: 'isa/bad-atomic-op', pc: 5 } },
    { name: 'lddw pseudo source 7', have: mutate(1, { src: 7 }), want: { code: 'isa/bad-lddw-src', pc: 1 } },
    { name: 'a second lddw slot with an opcode', have: mutate(2, { opcode: 0x07 }), want: { code: 'isa/incomplete-lddw', pc: 2 } },
    { name: 'a jump past the end', have: mutate(3, { off: 6 }), want: { code: 'isa/jump-out-of-range', pc: 3 } },
    { name: 'a jump before the start', have: mutate(3, { off: -5 }), want: { code: 'isa/jump-out-of-range', pc: 3 } },
    { name: 'a jump into lddw', have: mutate(3, { off: -2 }), want: { code: 'isa/jump-into-lddw', pc: 3 } },
    { name: 'a local call past the end', have: mutate(7, { imm: 2 }), want: { code: 'isa/jump-out-of-range', pc: 7 } },
    { name: 'a local call into lddw', have: mutate(7, { imm: -6 }), want: { code: 'isa/jump-into-lddw', pc: 7 } },
    { name: 'a last instruction that falls through', have: mutate(9, { opcode: 0xb7 }), want: { code: 'isa/falls-off-end', pc: 9 } },
  ])('rejects $name', ({ have, want }) => {
    expect(codeOf(() => validateInsns(have))).toEqual(want);
  });

  it('rejects lddw as the last slot as incomplete', () => {
    const insns = assemble('exit\nlddw %r0, 1').slice(0, 2);
    expect(codeOf(() => validateInsns(insns))).toEqual({ code: 'isa/incomplete-lddw', pc: 1 });
  });

  it('rejects an empty program', () => {
    expect(codeOf(() => validateInsns([]))?.code).toBe('isa/empty-program');
  });

  it('ends every message with the instruction index context', () => {
    try {
      validateInsns(mutate(4, { src: 12 }));
    } catch (err) {
      expect((err as IsaError).message.startsWith('insn 4: ')).toBe(true);
    }
    expect.assertions(1);
  });

  it.each([
    { name: 'gotol', have: 'ja32 end\nmov %r0, 1\nend:\nexit' },
    { name: 'ja as the last instruction', have: 'mov %r0, 0\nexit\nja -2' },
    { name: 'callx', have: 'mov %r2, 5\ncall %r2\nexit' },
    { name: 'movsx into 64 bits from 32', have: 'movsx3264 %r1, %r2\nexit' },
    { name: 'sdiv and smod by immediate zero', have: 'sdiv32 %r0, 0\nsmod %r0, 0\nexit' },
    { name: 'a store based on r10', have: 'stdw [%r10-8], 1\nstxdw [%r10-16], %r10\nexit' },
    { name: 'cmpxchg with source r10', have: 'lock cmpxchg [%r10-8], %r10\nexit' },
    { name: 'lddw of zero', have: 'lddw %r0, 0\nexit' },
  ])('accepts $name', ({ have }) => {
    expect(() => validateInsns(assemble(have))).not.toThrow();
  });

  it('accepts lddw with each pseudo source 0..6', () => {
    for (let src = 0; src <= 6; src++) {
      const insns = assemble('lddw %r1, 0\nexit');
      insns[0]!.src = src;
      expect(() => validateInsns(insns)).not.toThrow();
    }
  });

  it('knows the instruction set of RFC 9669 and nothing beyond it but callx', () => {
    const opcodes = [...INSN_RULES.keys()];
    expect(opcodes).toContain(0x18);
    expect(opcodes).toContain(0x8d);
    expect(opcodes).not.toContain(0xe5); // may_goto
    expect(opcodes).not.toContain(0x99); // ldxsdw
    expect(opcodes.length).toBe(new Set(opcodes).size);
  });

  it('recognises lddw by its opcode', () => {
    expect(isLddw({ opcode: 0x18, dst: 0, src: 0, off: 0, imm: 0 })).toBe(true);
    expect(isLddw({ opcode: 0x00, dst: 0, src: 0, off: 0, imm: 0 })).toBe(false);
  });
});
