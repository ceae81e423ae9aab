import { describe, expect, it } from 'vitest';
import { AsmError } from '../../src/internal/errors.js';
import { assemble } from '../../src/isa/asm.js';
import { encodeInsns } from '../../src/isa/codec.js';
import { formatInsn } from '../../src/isa/disasm.js';

const bytes = (source: string): string => Buffer.from(encodeInsns(assemble(source))).toString('hex');
const text = (source: string): string => formatInsn(assemble(source), 0);

describe('isa', () => {
  it.each([
    { name: 'mov32 imm', have: 'mov32 %r0, 0', want: 'b400000000000000' },
    { name: 'negative imm', have: 'add32 %r0, -3', want: '04000000fdffffff' },
    { name: 'mov64 reg', have: 'mov %r6, %r0', want: 'bf06000000000000' },
    { name: 'explicit 64 suffix', have: 'mul64 %r1, 7', want: '2701000007000000' },
    { name: 'sdiv', have: 'sdiv32 %r0, %r1', want: '3c10010000000000' },
    { name: 'smod imm', have: 'smod %r0, -2', want: '97000100feffffff' },
    { name: 'neg', have: 'neg %r2', want: '8702000000000000' },
    { name: 'neg32', have: 'neg32 %r2', want: '8402000000000000' },
    { name: 'movsx', have: 'movsx1632 %r4, %r3', want: 'bc34100000000000' },
    { name: 'ldxdw', have: 'ldxdw %r1, [%r10-8]', want: '79a1f8ff00000000' },
    { name: 'ldxb without offset', have: 'ldxb %r0, [%r1]', want: '7110000000000000' },
    { name: 'ldxh hex offset', have: 'ldxh %r3, [%r1+0xc]', want: '69130c0000000000' },
    { name: 'ldxsb', have: 'ldxsb %r0, [%r10-1]', want: '91a0ffff00000000' },
    { name: 'stw', have: 'stw [%r1+4], 0x11223344', want: '6201040044332211' },
    { name: 'stxb', have: 'stxb [%r10-1], %r2', want: '732affff00000000' },
    { name: 'be16', have: 'be16 %r0', want: 'dc00000010000000' },
    { name: 'le64', have: 'le64 %r3', want: 'd403000040000000' },
    { name: 'swap32', have: 'swap32 %r0', want: 'd700000020000000' },
    { name: 'bswap64', have: 'bswap64 %r0', want: 'd700000040000000' },
    { name: 'lock add', have: 'lock add [%r10-8], %r1', want: 'db1af8ff00000000' },
    { name: 'lock fetch or32', have: 'lock fetch or32 [%r10-4], %r3', want: 'c33afcff41000000' },
    { name: 'lock xchg', have: 'lock xchg [%r10-8], %r1', want: 'db1af8ffe1000000' },
    { name: 'lock cmpxchg32', have: 'lock cmpxchg32 [%r10-8], %r1', want: 'c31af8fff1000000' },
    { name: 'call helper', have: 'call 5', want: '8500000005000000' },
    { name: 'call helper, explicit', have: 'call helper 5', want: '8500000005000000' },
    { name: 'callx', have: 'call %r2', want: '8d02000000000000' },
    { name: 'call runtime (kfunc)', have: 'call runtime 7', want: '8520000007000000' },
    { name: 'jne imm relative', have: 'jne %r3, 0x81, +2', want: '5503020081000000' },
    { name: 'jsgt32 reg', have: 'jsgt32 %r1, %r2, -1', want: '6e21ffff00000000' },
    { name: 'ja relative', have: 'ja +1', want: '0500010000000000' },
    { name: 'ja32 relative', have: 'ja32 +1', want: '0600000001000000' },
    { name: 'exit', have: 'exit', want: '9500000000000000' },
    { name: 'lddw hex', have: 'lddw %r0, 0x123456789abcdef0', want: '18000000f0debc9a0000000078563412' },
    { name: 'lddw decimal', have: 'lddw %r0, 2147483648', want: '18000000000000800000000000000000' },
    { name: 'lddw negative', have: 'lddw %r1, -1', want: '18010000ffffffff00000000ffffffff' },
    { name: 'registers without %', have: 'mov r1, r2', want: 'bf21000000000000' },
  ])('assembles $name', ({ have, want }) => {
    expect(bytes(have)).toBe(want);
  });

  it('resolves labels forward and backward, for jumps, ja32 and local calls', () => {
    const insns = assemble(`
      top:
        jeq %r1, 0, done   # 0
        ja32 done          # 1
        call local fn      # 2
        ja top             # 3
      done:
        exit               # 4
      fn:
        exit               # 5
    `);
    expect(insns.map((i) => [i.off, i.imm])).toEqual([
      [3, 0],
      [0, 2],
      [0, 2],
      [-4, 0],
      [0, 0],
      [0, 0],
    ]);
  });

  it('names the first exit "exit" when no label is called that', () => {
    const insns = assemble('jne %r1, %r0, exit\nmov %r0, 1\nexit\nmov %r0, 2\nexit');
    expect(insns[0]!.off).toBe(1);
  });

  it('prefers a label called exit over the first exit', () => {
    const insns = assemble('jne %r1, %r0, exit\nexit\nexit:\nmov %r0, 2\nexit');
    expect(insns[0]!.off).toBe(1);
  });

  it('accepts a label and an instruction on one line, comments and blank lines', () => {
    const insns = assemble('# header\n\nstart: mov %r0, 1 # trailing\n  ja start\n');
    expect(insns.map((i) => i.opcode)).toEqual([0xb7, 0x05]);
    expect(insns[1]!.off).toBe(-2);
  });

  it('reads what the disassembler prints back as the same instruction', () => {
    expect(text('lock fetch add32 [%r10-4], %r1')).toBe('w1 = atomic_fetch_add((u32 *)(r10 - 0x4), w1)');
    expect(text('lock cmpxchg [%r10-8], %r1')).toBe('r0 = cmpxchg_64(r10 - 0x8, r0, r1)');
    expect(text('movsx864 %r1, %r2')).toBe('r1 = (s8)r2');
    expect(text('ldxw %r1, [%r1+4]')).toBe('r1 = *(u32 *)(r1 + 0x4)');
  });

  it.each([
    { name: 'an unknown mnemonic', have: 'mov %r0, 0\nfrob %r1', want: { code: 'asm/unknown-mnemonic', line: 2 } },
    { name: 'a missing operand', have: 'add %r0', want: { code: 'asm/bad-operands', line: 1 } },
    { name: 'an extra operand', have: 'exit %r0', want: { code: 'asm/bad-operands', line: 1 } },
    { name: 'a bad register', have: 'mov %r16, 1', want: { code: 'asm/bad-register', line: 1 } },
    { name: 'a register where a number goes', have: 'stw [%r1], %r2', want: { code: 'asm/bad-immediate', line: 1 } },
    { name: 'an immediate too large', have: 'mov %r0, 0x100000000', want: { code: 'asm/bad-immediate', line: 1 } },
    { name: 'an offset too large', have: 'ldxw %r0, [%r1+70000]', want: { code: 'asm/bad-immediate', line: 1 } },
    { name: 'a malformed memory operand', have: 'ldxw %r0, %r1', want: { code: 'asm/bad-memory-operand', line: 1 } },
    { name: 'an unknown label', have: '\n\nja nowhere', want: { code: 'asm/unknown-label', line: 3 } },
    { name: 'a duplicate label', have: 'a:\nexit\na:\nexit', want: { code: 'asm/duplicate-label', line: 3 } },
    { name: 'a bad atomic op', have: 'lock sub [%r10-8], %r1', want: { code: 'asm/bad-operands', line: 1 } },
    { name: 'a bad call mode', have: 'call far 1', want: { code: 'asm/bad-operands', line: 1 } },
    { name: 'ldxsdw', have: 'ldxsdw %r0, [%r1]', want: { code: 'asm/unknown-mnemonic', line: 1 } },
  ])('rejects $name with the line number', ({ have, want }) => {
    let caught: unknown;
    try {
      assemble(have);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AsmError);
    expect({ code: (caught as AsmError).code, line: (caught as AsmError).line }).toEqual(want);
  });

  it('rejects a label too far for a 16-bit offset', () => {
    const source = `ja far\n${'mov %r0, 0\n'.repeat(0x8000)}far:\nexit`;
    expect(() => assemble(source)).toThrow(expect.objectContaining({ code: 'asm/jump-too-far', line: 1 }));
  });
});
