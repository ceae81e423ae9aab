import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IsaError } from '../../src/internal/errors.js';
import { decodeInsns, encodeInsns, lddwImm } from '../../src/isa/codec.js';
import { validateInsns } from '../../src/isa/validate.js';
import { arbProgram } from './arbitrary.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('isa', () => {
  it.each([
    // r1 = *(u32 *)(r1 + 0x4)
    { name: 'ldxw', have: '61 11 04 00 00 00 00 00', want: { opcode: 0x61, dst: 1, src: 1, off: 4, imm: 0 } },
    // r1 += -0x8
    { name: 'negative imm', have: '07 01 00 00 f8 ff ff ff', want: { opcode: 0x07, dst: 1, src: 0, off: 0, imm: -8 } },
    // *(u64 *)(r10 - 0x10) = r1
    { name: 'negative off, src in the high nibble', have: '7b 1a f0 ff 00 00 00 00', want: { opcode: 0x7b, dst: 10, src: 1, off: -16, imm: 0 } },
    // call 0x6
    { name: 'helper call', have: '85 00 00 00 06 00 00 00', want: { opcode: 0x85, dst: 0, src: 0, off: 0, imm: 6 } },
    // fake register r15 in both nibbles (the validator refuses it, the codec keeps it)
    { name: 'nibbles', have: 'bf ff 00 00 00 00 00 00', want: { opcode: 0xbf, dst: 15, src: 15, off: 0, imm: 0 } },
  ])('decodes $name', ({ have, want }) => {
    expect(decodeInsns(hex(have))).toEqual([want]);
    expect(encodeInsns([want])).toEqual(hex(have));
  });

  it('decodes lddw into two slots holding one 64-bit immediate', () => {
    // r0 = 0x1122334455667788 ll
    const insns = decodeInsns(hex('18 00 00 00 88 77 66 55  00 00 00 00 44 33 22 11'));
    expect(insns).toHaveLength(2);
    expect(insns[1]!.opcode).toBe(0);
    expect(lddwImm(insns, 0)).toBe(0x1122334455667788n);
  });

  it.each([1, 7, 9, 15])('rejects %i bytes as truncated', (len) => {
    const err = (() => {
      try {
        decodeInsns(new Uint8Array(len));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(IsaError);
    expect((err as IsaError).code).toBe('isa/truncated');
  });

  it('decodes an empty buffer into no instructions', () => {
    expect(decodeInsns(new Uint8Array(0))).toEqual([]);
  });

  it('decodes a view into a larger buffer at its own offset', () => {
    const buf = hex('ff ff ff ff ff ff ff ff 95 00 00 00 00 00 00 00');
    expect(decodeInsns(buf.subarray(8))).toEqual([{ opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]);
  });

  it('encodes unsigned spellings of off and imm like their signed values', () => {
    const a = encodeInsns([{ opcode: 0x07, dst: 1, src: 0, off: 0xfff8, imm: 0xfffffff8 }]);
    const b = encodeInsns([{ opcode: 0x07, dst: 1, src: 0, off: -8, imm: -8 }]);
    expect(a).toEqual(b);
  });

  it.each([
    { name: 'dst', have: { opcode: 0x07, dst: 16, src: 0, off: 0, imm: 0 } },
    { name: 'opcode', have: { opcode: 256, dst: 0, src: 0, off: 0, imm: 0 } },
    { name: 'off', have: { opcode: 0x07, dst: 0, src: 0, off: 0x10000, imm: 0 } },
    { name: 'imm', have: { opcode: 0x07, dst: 0, src: 0, off: 0, imm: 2 ** 32 } },
    { name: 'fractional imm', have: { opcode: 0x07, dst: 0, src: 0, off: 0, imm: 1.5 } },
  ])('refuses to encode an out-of-range $name with a RangeError', ({ have }) => {
    expect(() => encodeInsns([have])).toThrow(RangeError);
  });

  it('round-trips random valid programs exactly, and validates them', () => {
    fc.assert(
      fc.property(arbProgram(), (insns) => {
        const bytes = encodeInsns(insns);
        expect(decodeInsns(bytes)).toEqual(insns);
        expect(encodeInsns(decodeInsns(bytes))).toEqual(bytes);
        validateInsns(insns);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips random bytes exactly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }).map((b) => b.subarray(0, b.length - (b.length % 8))), (bytes) => {
        expect(encodeInsns(decodeInsns(bytes))).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });
});
