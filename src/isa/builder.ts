import type { Insn } from './insn.js';
import {
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_B,
  BPF_DW,
  BPF_END,
  BPF_H,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_NEG,
  BPF_ST,
  BPF_STX,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_W,
  BPF_X,
  OP,
} from './opcodes.js';

/** Registers r0..r10 by name (RFC 9669 §2.3). */
export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;

/** A branch target: a label name, resolved by {@link link}, or a relative offset in instructions. */
export type Target = string | number;

/** One built instruction (one or two slots), with a label reference still to resolve. */
export interface Built {
  readonly slots: readonly Insn[];
  readonly ref?: { label: string; field: 'off' | 'imm' };
}

/** A label definition in a builder program: the next instruction's index gets `name`. */
export interface Label {
  readonly label: string;
}

const make = (opcode: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ opcode, dst, src, off, imm });

function branch(slot: Insn, field: 'off' | 'imm', target: Target): Built {
  if (typeof target === 'number') return { slots: [{ ...slot, [field]: target }] };
  return { slots: [slot], ref: { label: target, field } };
}

type AluOp = { imm(dst: number, imm: number): Built; reg(dst: number, src: number): Built };

function aluClass(cls: number): Record<'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'or' | 'and' | 'lsh' | 'rsh' | 'mod' | 'smod' | 'xor' | 'mov' | 'arsh', AluOp> & {
  neg(dst: number): Built;
  movsx(dst: number, src: number, bits: 8 | 16 | 32): Built;
} {
  const op = (code: number, off = 0): AluOp => ({
    imm: (dst, imm) => ({ slots: [make(cls | BPF_K | code, dst, 0, off, imm)] }),
    reg: (dst, src) => ({ slots: [make(cls | BPF_X | code, dst, src, off)] }),
  });
  return {
    add: op(0x00),
    sub: op(0x10),
    mul: op(0x20),
    div: op(0x30),
    sdiv: op(0x30, 1),
    or: op(0x40),
    and: op(0x50),
    lsh: op(0x60),
    rsh: op(0x70),
    mod: op(0x90),
    smod: op(0x90, 1),
    xor: op(0xa0),
    mov: op(0xb0),
    arsh: op(0xc0),
    neg: (dst) => ({ slots: [make(cls | BPF_NEG, dst)] }),
    movsx: (dst, src, bits) => ({ slots: [make(cls | BPF_X | 0xb0, dst, src, bits)] }),
  };
}

/**
 * 64-bit arithmetic (BPF_ALU64, RFC 9669 §4.1): `alu64.add.imm(R1, 22)`, `alu64.mov.reg(R0, R1)`,
 * `alu64.sdiv.imm(R0, 3)`, `alu64.neg(R1)`, `alu64.movsx(R1, R2, 8)`, `alu64.bswap(R1, 16)`.
 */
export const alu64 = { ...aluClass(BPF_ALU64), bswap: (dst: number, bits: 16 | 32 | 64): Built => ({ slots: [make(OP.BSWAP, dst, 0, 0, bits)] }) };

/** 32-bit arithmetic (BPF_ALU): as {@link alu64}, plus `alu32.le(R1, 16)` and `alu32.be(R1, 32)`. */
export const alu32 = {
  ...aluClass(BPF_ALU),
  le: (dst: number, bits: 16 | 32 | 64): Built => ({ slots: [make(BPF_ALU | BPF_END | BPF_TO_LE, dst, 0, 0, bits)] }),
  be: (dst: number, bits: 16 | 32 | 64): Built => ({ slots: [make(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, bits)] }),
};

type JmpOp = { imm(dst: number, imm: number, target: Target): Built; reg(dst: number, src: number, target: Target): Built };

function jmpClass(cls: number): Record<'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'jlt' | 'jle' | 'jslt' | 'jsle', JmpOp> {
  const op = (code: number): JmpOp => ({
    imm: (dst, imm, target) => branch(make(cls | BPF_K | code, dst, 0, 0, imm), 'off', target),
    reg: (dst, src, target) => branch(make(cls | BPF_X | code, dst, src), 'off', target),
  });
  return { jeq: op(0x10), jgt: op(0x20), jge: op(0x30), jset: op(0x40), jne: op(0x50), jsgt: op(0x60), jsge: op(0x70), jlt: op(0xa0), jle: op(0xb0), jslt: op(0xc0), jsle: op(0xd0) };
}

/** 64-bit compares and control flow (BPF_JMP, RFC 9669 §4.3): `jmp.jeq.imm(R1, 0, 'out')`, `jmp.ja('top')`. */
export const jmp = { ...jmpClass(BPF_JMP), ja: (target: Target): Built => branch(make(OP.JA), 'off', target) };

/** 32-bit compares (BPF_JMP32) and `jmp32.gotol(target)`, the jump with a 32-bit offset. */
export const jmp32 = { ...jmpClass(BPF_JMP32), gotol: (target: Target): Built => branch(make(OP.JA32), 'imm', target) };

/** `call(BPF_FUNC_map_lookup_elem)`: a helper call by id. */
export function call(helperId: number): Built {
  return { slots: [make(OP.CALL, 0, 0, 0, helperId)] };
}

/** A BPF-to-BPF call (src BPF_PSEUDO_CALL) to a label or relative offset. */
export function callLocal(target: Target): Built {
  return branch(make(OP.CALL, 0, 1), 'imm', target);
}

/** `exit`: return r0. */
export function exit(): Built {
  return { slots: [make(OP.EXIT)] };
}

/** `lddw dst, value`: a 64-bit immediate in two slots (RFC 9669 §5.4), with an optional pseudo source. */
export function lddw(dst: number, value: bigint | number, pseudoSrc = 0): Built {
  const v = BigInt.asUintN(64, BigInt(value));
  return { slots: [make(OP.LDDW, dst, pseudoSrc, 0, Number(BigInt.asIntN(32, v))), make(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n)))] };
}

const SIZE = { u8: BPF_B, u16: BPF_H, u32: BPF_W, u64: BPF_DW } as const;
/** An access size: `u8`, `u16`, `u32`, `u64`. */
export type Size = keyof typeof SIZE;

/** Memory access (RFC 9669 §5): `mem.load('u32', R1, R1, 4)` is `r1 = *(u32 *)(r1 + 0x4)`. */
export const mem = {
  load: (size: Size, dst: number, src: number, off: number): Built => ({ slots: [make(BPF_LDX | BPF_MEM | SIZE[size], dst, src, off)] }),
  /** Sign-extending load (`u8` → s8, ...; not u64). */
  loadSigned: (size: Exclude<Size, 'u64'>, dst: number, src: number, off: number): Built => ({ slots: [make(BPF_LDX | BPF_MEMSX | SIZE[size], dst, src, off)] }),
  store: (size: Size, dst: number, off: number, src: number): Built => ({ slots: [make(BPF_STX | BPF_MEM | SIZE[size], dst, src, off)] }),
  storeImm: (size: Size, dst: number, off: number, imm: number): Built => ({ slots: [make(BPF_ST | BPF_MEM | SIZE[size], dst, 0, off, imm)] }),
  /** An atomic operation (imm is BPF_ADD | BPF_FETCH, BPF_XCHG, ...) on a `u32` or `u64`. */
  atomic: (size: 'u32' | 'u64', op: number, dst: number, off: number, src: number): Built => ({ slots: [make(BPF_STX | BPF_ATOMIC | SIZE[size], dst, src, off, op)] }),
};

/** A label for {@link link}: `label('out')` names the instruction that follows. */
export function label(name: string): Label {
  return { label: name };
}

/**
 * Lays out built instructions and labels into slots, resolving every label reference to a
 * relative offset. An unknown or duplicate label is a RangeError (a mistake in the caller's
 * program text, not bad input).
 */
export function link(items: readonly (Built | Label)[]): Insn[] {
  const slots: Insn[] = [];
  const labels = new Map<string, number>();
  const refs: { pc: number; label: string; field: 'off' | 'imm' }[] = [];
  for (const item of items) {
    if ('label' in item) {
      if (labels.has(item.label)) throw new RangeError(`link: label '${item.label}' is defined twice`);
      labels.set(item.label, slots.length);
      continue;
    }
    if (item.ref) refs.push({ pc: slots.length, ...item.ref });
    for (const s of item.slots) slots.push({ ...s });
  }
  for (const ref of refs) {
    const target = labels.get(ref.label);
    if (target === undefined) throw new RangeError(`link: unknown label '${ref.label}'`);
    slots[ref.pc]![ref.field] = target - ref.pc - 1;
  }
  return slots;
}
