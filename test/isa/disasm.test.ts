import { describe, expect, it } from 'vitest';
import { decodeInsns } from '../../src/isa/codec.js';
import { disassemble, formatInsn, instructionStarts, objdumpLabel } from '../../src/isa/disasm.js';

const hex = (s: string) => decodeInsns(Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex')));

// Expected texts are llvm-objdump-19's for the same bytes.
const table: { name: string; have: string; want: string; alu32?: string }[] = [
  { name: 'mov64 imm', have: 'b7 01 00 00 f1 00 00 00', want: 'r1 = 0xf1' },
  { name: 'mov64 negative imm', have: 'b7 01 00 00 00 00 00 80', want: 'r1 = -0x80000000' },
  { name: 'mov32 reg', have: 'bc 10 00 00 00 00 00 00', want: 'w0 = w1' },
  { name: 'add64 negative imm', have: '07 01 00 00 f8 ff ff ff', want: 'r1 += -0x8' },
  { name: 'sub32 reg', have: '1c 01 00 00 00 00 00 00', want: 'w1 -= w0' },
  { name: 'mul64', have: '2f 21 00 00 00 00 00 00', want: 'r1 *= r2' },
  { name: 'div32 imm', have: '34 01 00 00 f1 00 00 00', want: 'w1 /= 0xf1' },
  { name: 'sdiv64 reg', have: '3f 10 01 00 00 00 00 00', want: 'r0 s/= r1' },
  { name: 'sdiv32 imm', have: '34 01 01 00 08 00 00 00', want: 'w1 s/= 0x8' },
  { name: 'or', have: '47 01 00 00 f1 00 00 00', want: 'r1 |= 0xf1' },
  { name: 'and32', have: '5c 01 00 00 00 00 00 00', want: 'w1 &= w0' },
  { name: 'lsh', have: '67 01 00 00 f1 00 00 00', want: 'r1 <<= 0xf1' },
  { name: 'rsh32', have: '7c 01 00 00 00 00 00 00', want: 'w1 >>= w0' },
  { name: 'neg64', have: '87 01 00 00 00 00 00 00', want: 'r1 = -r1' },
  { name: 'neg32', have: '84 01 00 00 00 00 00 00', want: 'w1 = -w1' },
  { name: 'mod64', have: '9f 01 00 00 00 00 00 00', want: 'r1 %= r0' },
  { name: 'smod32 imm', have: '94 01 01 00 08 00 00 00', want: 'w1 s%= 0x8' },
  { name: 'xor32 negative imm', have: 'a4 01 00 00 ff ff ff ff', want: 'w1 ^= -0x1' },
  { name: 'arsh', have: 'c7 01 00 00 f1 00 00 00', want: 'r1 s>>= 0xf1' },
  { name: 'movsx64 s8', have: 'bf 21 08 00 00 00 00 00', want: 'r1 = (s8)r2' },
  { name: 'movsx64 s32', have: 'bf 21 20 00 00 00 00 00', want: 'r1 = (s32)r2' },
  { name: 'movsx32 s16', have: 'bc 21 10 00 00 00 00 00', want: 'w1 = (s16)w2' },
  { name: 'movsx32 s32 is undefined', have: 'bc 21 20 00 00 00 00 00', want: '<unknown>' },
  { name: 'le16', have: 'd4 01 00 00 10 00 00 00', want: 'r1 = le16 r1' },
  { name: 'be16', have: 'dc 01 00 00 10 00 00 00', want: 'r1 = be16 r1' },
  { name: 'bswap16', have: 'd7 00 00 00 10 00 00 00', want: 'r0 = bswap16 r0' },
  { name: 'bswap64', have: 'd7 01 00 00 40 00 00 00', want: 'r1 = bswap64 r1' },
  { name: 'le8 is undefined', have: 'd4 01 00 00 08 00 00 00', want: '<unknown>' },
  { name: 'ldxw', have: '61 11 04 00 00 00 00 00', want: 'r1 = *(u32 *)(r1 + 0x4)', alu32: 'w1 = *(u32 *)(r1 + 0x4)' },
  { name: 'ldxdw min offset', have: '79 21 00 80 00 00 00 00', want: 'r1 = *(u64 *)(r2 - 0x8000)', alu32: 'r1 = *(u64 *)(r2 - 0x8000)' },
  { name: 'ldxsb', have: '91 21 01 00 00 00 00 00', want: 'r1 = *(s8 *)(r2 + 0x1)', alu32: 'r1 = *(s8 *)(r2 + 0x1)' },
  { name: 'ldxsw', have: '81 21 03 00 00 00 00 00', want: 'r1 = *(s32 *)(r2 + 0x3)' },
  { name: 'stw imm', have: '62 0a f8 ff 68 69 20 25', want: '*(u32 *)(r10 - 0x8) = 0x25206968' },
  { name: 'stdw negative imm', have: '7a 21 fd ff fc ff ff ff', want: '*(u64 *)(r1 - 0x3) = -0x4' },
  { name: 'stxdw', have: '7b 1a f0 ff 00 00 00 00', want: '*(u64 *)(r10 - 0x10) = r1' },
  { name: 'stxb', have: '73 21 03 00 00 00 00 00', want: '*(u8 *)(r1 + 0x3) = r2', alu32: '*(u8 *)(r1 + 0x3) = w2' },
  { name: 'lock add64', have: 'db 1a f8 ff 00 00 00 00', want: 'lock *(u64 *)(r10 - 0x8) += r1' },
  { name: 'lock add32', have: 'c3 39 00 00 00 00 00 00', want: 'lock *(u32 *)(r9 + 0x0) += r3', alu32: 'lock *(u32 *)(r9 + 0x0) += w3' },
  { name: 'lock or32', have: 'c3 1a f8 ff 40 00 00 00', want: 'lock *(u32 *)(r10 - 0x8) |= w1' },
  { name: 'lock and64', have: 'db 1a f8 ff 50 00 00 00', want: 'lock *(u64 *)(r10 - 0x8) &= r1' },
  { name: 'lock xor64', have: 'db 1a f8 ff a0 00 00 00', want: 'lock *(u64 *)(r10 - 0x8) ^= r1' },
  { name: 'fetch add32', have: 'c3 1a fc ff 01 00 00 00', want: 'w1 = atomic_fetch_add((u32 *)(r10 - 0x4), w1)' },
  { name: 'fetch or64', have: 'db 1a f8 ff 41 00 00 00', want: 'r1 = atomic_fetch_or((u64 *)(r10 - 0x8), r1)' },
  { name: 'fetch xor32', have: 'c3 1a f8 ff a1 00 00 00', want: 'w1 = atomic_fetch_xor((u32 *)(r10 - 0x8), w1)' },
  { name: 'xchg64', have: 'db 1a f8 ff e1 00 00 00', want: 'r1 = xchg_64(r10 - 0x8, r1)' },
  { name: 'xchg32', have: 'c3 1a f8 ff e1 00 00 00', want: 'w1 = xchg32_32(r10 - 0x8, w1)' },
  { name: 'cmpxchg64', have: 'db 1a f8 ff f1 00 00 00', want: 'r0 = cmpxchg_64(r10 - 0x8, r0, r1)' },
  { name: 'cmpxchg32', have: 'c3 1a f8 ff f1 00 00 00', want: 'w0 = cmpxchg32_32(r10 - 0x8, w0, w1)' },
  { name: 'undefined atomic', have: 'db 1a f8 ff 31 00 00 00', want: '<unknown>' },
  { name: 'lddw', have: '18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00', want: 'r1 = 0x0 ll' },
  { name: 'lddw negative', have: '18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff', want: 'r1 = -0x1 ll' },
  { name: 'lddw high half', have: '18 01 00 00 05 00 00 00 00 00 00 00 07 00 00 00', want: 'r1 = 0x700000005 ll' },
  { name: 'lddw map fd', have: '18 11 00 00 05 00 00 00 00 00 00 00 00 00 00 00', want: 'ld_pseudo\tr1, 0x1, 0x5' },
  { name: 'lddw map value', have: '18 21 00 00 fb ff ff ff 00 00 00 00 01 00 00 00', want: 'ld_pseudo\tr1, 0x2, 0xfffffffb' },
  { name: 'lddw without its second slot', have: '18 01 00 00 00 00 00 00', want: '<unknown>' },
  { name: 'ld_abs', have: '20 00 00 00 04 00 00 00', want: 'r0 = *(u32 *)skb[0x4]' },
  { name: 'ld_ind', have: '48 20 00 00 00 00 00 00', want: 'r0 = *(u16 *)skb[r2]' },
  { name: 'goto', have: '05 00 03 00 00 00 00 00', want: 'goto +0x3' },
  { name: 'goto back', have: '05 00 fd ff 00 00 00 00', want: 'goto -0x3' },
  { name: 'gotol', have: '06 00 00 00 05 00 00 00', want: 'gotol +0x5' },
  { name: 'jeq imm', have: '15 01 01 00 00 00 00 00', want: 'if r1 == 0x0 goto +0x1' },
  { name: 'jgt reg', have: '2d 32 05 00 00 00 00 00', want: 'if r2 > r3 goto +0x5' },
  { name: 'jset32 negative imm', have: '46 01 fd ff fc ff ff ff', want: 'if w1 & -0x4 goto -0x3' },
  { name: 'jsle32 reg', have: 'de 21 02 00 00 00 00 00', want: 'if w1 s<= w2 goto +0x2' },
  { name: 'jslt', have: 'c5 06 07 00 65 00 00 00', want: 'if r6 s< 0x65 goto +0x7' },
  { name: 'jlt', have: 'ad 21 03 00 00 00 00 00', want: 'if r1 < r2 goto +0x3' },
  { name: 'jle', have: 'b5 01 01 00 08 00 00 00', want: 'if r1 <= 0x8 goto +0x1' },
  { name: 'jne', have: '55 01 00 00 f1 00 00 00', want: 'if r1 != 0xf1 goto +0x0' },
  { name: 'jsge', have: '75 01 00 00 fb ff ff ff', want: 'if r1 s>= -0x5 goto +0x0' },
  { name: 'jsgt', have: '6d 21 00 00 00 00 00 00', want: 'if r1 s> r2 goto +0x0' },
  { name: 'jge', have: '3e 21 00 00 00 00 00 00', want: 'if w1 >= w2 goto +0x0' },
  { name: 'helper call', have: '85 00 00 00 01 00 00 00', want: 'call 0x1' },
  { name: 'unrelocated local call', have: '85 10 00 00 ff ff ff ff', want: 'call -0x1' },
  { name: 'kfunc call', have: '85 20 00 00 30 00 00 00', want: 'call 0x30' },
  { name: 'callx', have: '8d 02 00 00 00 00 00 00', want: 'callx r2' },
  { name: 'exit', have: '95 00 00 00 00 00 00 00', want: 'exit' },
  { name: 'exit with a register', have: '95 01 00 00 00 00 00 00', want: '<unknown>' },
  { name: 'may_goto', have: 'e5 00 03 00 00 00 00 00', want: 'may_goto +0x3' },
  { name: 'opcode 0', have: '00 00 00 00 00 00 00 00', want: '<unknown>' },
  { name: 'neg with a source register', have: '8f 01 00 00 00 00 00 00', want: '<unknown>' },
  { name: 'bswap from a register', have: 'df 01 00 00 10 00 00 00', want: '<unknown>' },
];

describe('isa', () => {
  it.each(table)('formats $name as llvm-objdump does', ({ have, want, alu32 }) => {
    const insns = hex(have);
    expect(formatInsn(insns, 0)).toBe(want);
    if (alu32) expect(formatInsn(insns, 0, { alu32: true })).toBe(alu32);
  });

  it('appends the label of a jump target in angle brackets', () => {
    const insns = hex('05 00 01 00 00 00 00 00  95 00 00 00 00 00 00 00  95 00 00 00 00 00 00 00');
    expect(formatInsn(insns, 0, { label: (pc) => `L${pc}` })).toBe('goto +0x1 <L2>');
    expect(formatInsn(insns, 0, { label: () => undefined })).toBe('goto +0x1');
  });

  it('never labels calls, as llvm-objdump does not', () => {
    const insns = hex('85 10 00 00 00 00 00 00  95 00 00 00 00 00 00 00');
    expect(formatInsn(insns, 0, { label: () => 'x' })).toBe('call 0x0');
  });

  it('names targets by the nearest symbol before them and the distance in bytes', () => {
    const label = objdumpLabel([
      { name: 'g', pc: 9 },
      { name: 'f', pc: 0 },
    ]);
    expect(label(0)).toBe('f');
    expect(label(2)).toBe('f+0x10');
    expect(label(9)).toBe('g');
    expect(label(16)).toBe('g+0x38');
    expect(objdumpLabel([{ name: 'f', pc: 3 }])(1)).toBeUndefined();
  });

  it('lists lddw as one line numbered by its first slot', () => {
    const insns = hex('18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00  95 00 00 00 00 00 00 00');
    expect(instructionStarts(insns)).toEqual([0, 2]);
    expect(disassemble(insns)).toEqual(['       0:\tr1 = 0x0 ll', '       2:\texit']);
  });

  it('refuses a pc outside the program with a RangeError', () => {
    expect(() => formatInsn(hex('95 00 00 00 00 00 00 00'), 1)).toThrow(RangeError);
  });
});
