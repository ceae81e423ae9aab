import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm.js';
import { alu32, alu64, call, callLocal, exit, jmp, jmp32, label, lddw, link, mem, R0, R1, R2, R10 } from '../../src/isa/builder.js';
import { BPF_ADD, BPF_FETCH } from '../../src/isa/opcodes.js';
import { validateInsns } from '../../src/isa/validate.js';

describe('isa', () => {
  it('builds the same slots as the assembler', () => {
    const built = link([
      alu64.mov.imm(R0, 0),
      alu64.add.imm(R1, 22),
      alu32.sdiv.reg(R0, R1),
      alu64.movsx(R2, R1, 16),
      alu32.be(R0, 16),
      alu64.bswap(R0, 64),
      alu64.neg(R1),
      lddw(R2, 0x1122334455667788n),
      mem.load('u32', R1, R10, -4),
      mem.loadSigned('u8', R1, R10, -1),
      mem.store('u64', R10, -8, R1),
      mem.storeImm('u16', R10, -2, 7),
      mem.atomic('u64', BPF_ADD | BPF_FETCH, R10, -8, R1),
      call(5),
      exit(),
    ]);
    const assembled = assemble(`
      mov %r0, 0
      add %r1, 22
      sdiv32 %r0, %r1
      movsx1664 %r2, %r1
      be16 %r0
      bswap64 %r0
      neg %r1
      lddw %r2, 0x1122334455667788
      ldxw %r1, [%r10-4]
      ldxsb %r1, [%r10-1]
      stxdw [%r10-8], %r1
      sth [%r10-2], 7
      lock fetch add [%r10-8], %r1
      call 5
      exit
    `);
    expect(built).toEqual(assembled);
  });

  it('resolves labels at link time, forward and backward', () => {
    const insns = link([label('top'), jmp.jeq.imm(R1, 0, 'out'), jmp32.jne.reg(R1, R2, 'top'), jmp32.gotol('out'), callLocal('out'), jmp.ja(-5), label('out'), exit()]);
    expect(insns.map((i) => [i.off, i.imm])).toEqual([
      [4, 0],
      [-2, 0],
      [0, 2],
      [0, 1],
      [-5, 0],
      [0, 0],
    ]);
    expect(() => validateInsns(insns)).not.toThrow();
  });

  it('refuses unknown and duplicate labels with a RangeError', () => {
    expect(() => link([jmp.ja('nowhere'), exit()])).toThrow(RangeError);
    expect(() => link([label('a'), label('a'), exit()])).toThrow(RangeError);
  });
});
