import { describe, expect, it } from 'vitest';
import * as ops from '../../src/isa/opcodes.js';
import { Opcode } from '../../src/isa/opcodes.js';

describe('isa', () => {
  it.each([
    { name: 'ldxw', have: 0x61, want: { class: ops.BPF_LDX, size: ops.BPF_W, sizeBytes: 4, mode: ops.BPF_MEM, source: -1, op: -1, text: 'ldx.mem.w' } },
    { name: 'ldxsb', have: 0x91, want: { class: ops.BPF_LDX, size: ops.BPF_B, sizeBytes: 1, mode: ops.BPF_MEMSX, source: -1, op: -1, text: 'ldx.memsx.b' } },
    { name: 'lddw', have: 0x18, want: { class: ops.BPF_LD, size: ops.BPF_DW, sizeBytes: 8, mode: ops.BPF_IMM, source: -1, op: -1, text: 'ld.imm.dw' } },
    { name: 'atomic dw', have: 0xdb, want: { class: ops.BPF_STX, size: ops.BPF_DW, sizeBytes: 8, mode: ops.BPF_ATOMIC, source: -1, op: -1, text: 'stx.atomic.dw' } },
    { name: 'add64 reg', have: 0x0f, want: { class: ops.BPF_ALU64, size: -1, sizeBytes: -1, mode: -1, source: ops.BPF_X, op: ops.BPF_ADD, text: 'alu64.add.x' } },
    { name: 'be', have: 0xdc, want: { class: ops.BPF_ALU, size: -1, sizeBytes: -1, mode: -1, source: ops.BPF_TO_BE, op: ops.BPF_END, text: 'alu.end.x' } },
    { name: 'jeq32 imm', have: 0x16, want: { class: ops.BPF_JMP32, size: -1, sizeBytes: -1, mode: -1, source: ops.BPF_K, op: ops.BPF_JEQ, text: 'jmp32.jeq.k' } },
    { name: 'call', have: 0x85, want: { class: ops.BPF_JMP, size: -1, sizeBytes: -1, mode: -1, source: ops.BPF_K, op: ops.BPF_CALL, text: 'jmp.call.k' } },
    { name: 'exit', have: 0x95, want: { class: ops.BPF_JMP, size: -1, sizeBytes: -1, mode: -1, source: ops.BPF_K, op: ops.BPF_EXIT, text: 'jmp.exit.k' } },
  ])('splits $name into its fields', ({ have, want }) => {
    const op = new Opcode(have);
    expect({ class: op.class, size: op.size, sizeBytes: op.sizeBytes, mode: op.mode, source: op.source, op: op.op, text: op.toString() }).toEqual(want);
  });

  it('spells whole opcodes as bpf.h composes them', () => {
    expect(ops.OP.LDDW).toBe(0x18);
    expect(ops.OP.CALL).toBe(0x85);
    expect(ops.OP.CALLX).toBe(0x8d);
    expect(ops.OP.EXIT).toBe(0x95);
    expect(ops.OP.JA32).toBe(0x06);
    expect(ops.OP.LE).toBe(0xd4);
    expect(ops.OP.BE).toBe(0xdc);
    expect(ops.OP.BSWAP).toBe(0xd7);
    expect(ops.OP.ATOMIC_W).toBe(0xc3);
    expect(ops.OP.ATOMIC_DW).toBe(0xdb);
    expect(ops.BPF_XCHG).toBe(0xe1);
    expect(ops.BPF_CMPXCHG).toBe(0xf1);
    expect(ops.ATOMIC_OPS).toHaveLength(10);
  });

  it('classifies every opcode into exactly one of load/store, alu and jump', () => {
    for (let raw = 0; raw < 256; raw++) {
      const op = new Opcode(raw);
      expect([op.isLoadStore, op.isAlu, op.isJump].filter(Boolean)).toHaveLength(1);
    }
  });

  it.each([-1, 256, 1.5])('refuses opcode %s with a RangeError', (raw) => {
    expect(() => new Opcode(raw)).toThrow(RangeError);
  });
});
