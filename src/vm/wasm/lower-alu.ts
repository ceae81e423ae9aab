import type { Insn } from '../../isa/insn.js';
import { FuncBody, I32, I64, Op } from './encoder.js';
import { L_T, L_T32, regLocal } from './locals.js';

// Module-level rather than closures: lowering runs once per instruction, and a closure per call
// costs (notably under tsx, which names every closure it creates).
function operand64(f: FuncBody, x: boolean, s: number, imm: number): void {
  if (x) f.get(s);
  else f.i64(imm);
}

function operand32(f: FuncBody, x: boolean, s: number, imm: number): void {
  if (x) f.get(s).op(Op.i32_wrap_i64);
  else f.i32(imm);
}

/**
 * Lowers one ALU or ALU64 instruction (RFC 9669 §4.1, §4.2) to WebAssembly. 32-bit operations work
 * on wrapped i32 values and zero-extend the result. WebAssembly traps where eBPF defines a result
 * (division by zero, INT_MIN / -1), so those cases are tested first: x / 0 = 0, x % 0 = x,
 * INT_MIN / -1 = INT_MIN; INT_MIN % -1 is already 0 in WebAssembly. Shift counts are masked by
 * WebAssembly exactly as eBPF masks them (width − 1).
 */
export function lowerAlu(f: FuncBody, insn: Insn): void {
  const is64 = (insn.opcode & 7) === 7;
  const op = insn.opcode & 0xf0;
  const x = (insn.opcode & 8) !== 0;
  const d = regLocal(insn.dst);
  const s = regLocal(insn.src);
  if (op === 0xd0) return lowerEnd(f, insn, d);
  if (is64) {
    switch (op) {
      case 0xb0:
        if (x && insn.off === 8) f.get(s).op(Op.i64_extend8_s);
        else if (x && insn.off === 16) f.get(s).op(Op.i64_extend16_s);
        else if (x && insn.off === 32) f.get(s).op(Op.i64_extend32_s);
        else operand64(f, x, s, insn.imm);
        f.set(d);
        return;
      case 0x80:
        f.i64(0).get(d).op(Op.i64_sub).set(d);
        return;
      case 0x30:
      case 0x90:
        return divide64(f, insn, d, s, x);
    }
    f.get(d);
    operand64(f, x, s, insn.imm);
    f.op(BIN64[op]!).set(d);
    return;
  }
  switch (op) {
    case 0xb0:
      if (x && insn.off === 8) f.get(s).op(Op.i32_wrap_i64).op(Op.i32_extend8_s);
      else if (x && insn.off === 16) f.get(s).op(Op.i32_wrap_i64).op(Op.i32_extend16_s);
      else operand32(f, x, s, insn.imm);
      f.op(Op.i64_extend_i32_u).set(d);
      return;
    case 0x80:
      f.i32(0).get(d).op(Op.i32_wrap_i64).op(Op.i32_sub).op(Op.i64_extend_i32_u).set(d);
      return;
    case 0x30:
    case 0x90:
      return divide32(f, insn, d, s, x);
  }
  f.get(d).op(Op.i32_wrap_i64);
  operand32(f, x, s, insn.imm);
  f.op(BIN32[op]!).op(Op.i64_extend_i32_u).set(d);
}

const BIN64: Record<number, number> = {
  0x00: Op.i64_add, 0x10: Op.i64_sub, 0x20: Op.i64_mul, 0x40: Op.i64_or, 0x50: Op.i64_and,
  0x60: Op.i64_shl, 0x70: Op.i64_shr_u, 0xa0: Op.i64_xor, 0xc0: Op.i64_shr_s,
};
const BIN32: Record<number, number> = {
  0x00: Op.i32_add, 0x10: Op.i32_sub, 0x20: Op.i32_mul, 0x40: Op.i32_or, 0x50: Op.i32_and,
  0x60: Op.i32_shl, 0x70: Op.i32_shr_u, 0xa0: Op.i32_xor, 0xc0: Op.i32_shr_s,
};

function divide64(f: FuncBody, insn: Insn, d: number, s: number, x: boolean): void {
  const mod = (insn.opcode & 0xf0) === 0x90;
  const signed = insn.off === 1;
  if (!x) {
    const imm = insn.imm;
    if (imm === 0) {
      if (!mod) f.i64(0).set(d);
      return;
    }
    if (signed && imm === -1) {
      if (mod) f.i64(0).set(d);
      else f.i64(0).get(d).op(Op.i64_sub).set(d);
      return;
    }
    f.get(d).i64(imm).op(mod ? (signed ? Op.i64_rem_s : Op.i64_rem_u) : signed ? Op.i64_div_s : Op.i64_div_u).set(d);
    return;
  }
  f.get(s).tee(L_T).op(Op.i64_eqz).if(I64);
  if (mod) f.get(d);
  else f.i64(0);
  f.op(Op.else);
  if (signed && !mod) {
    f.get(L_T).i64(-1).op(Op.i64_eq).if(I64);
    f.i64(0).get(d).op(Op.i64_sub);
    f.op(Op.else);
    f.get(d).get(L_T).op(Op.i64_div_s);
    f.end();
  } else {
    f.get(d).get(L_T).op(mod ? (signed ? Op.i64_rem_s : Op.i64_rem_u) : Op.i64_div_u);
  }
  f.end().set(d);
}

function divide32(f: FuncBody, insn: Insn, d: number, s: number, x: boolean): void {
  const mod = (insn.opcode & 0xf0) === 0x90;
  const signed = insn.off === 1;
  if (!x) {
    const imm = insn.imm | 0;
    if (imm === 0) {
      // x / 0 = 0; x % 0 leaves the low 32 bits of x, zero-extended.
      if (mod) f.get(d).op(Op.i32_wrap_i64).op(Op.i64_extend_i32_u).set(d);
      else f.i64(0).set(d);
      return;
    }
    if (signed && imm === -1) {
      if (mod) f.i64(0).set(d);
      else f.i32(0).get(d).op(Op.i32_wrap_i64).op(Op.i32_sub).op(Op.i64_extend_i32_u).set(d);
      return;
    }
    f.get(d).op(Op.i32_wrap_i64).i32(imm);
    f.op(mod ? (signed ? Op.i32_rem_s : Op.i32_rem_u) : signed ? Op.i32_div_s : Op.i32_div_u);
    f.op(Op.i64_extend_i32_u).set(d);
    return;
  }
  f.get(s).op(Op.i32_wrap_i64).tee(L_T32).op(Op.i32_eqz).if(I32);
  if (mod) f.get(d).op(Op.i32_wrap_i64);
  else f.i32(0);
  f.op(Op.else);
  if (signed && !mod) {
    f.get(L_T32).i32(-1).op(Op.i32_eq).if(I32);
    f.i32(0).get(d).op(Op.i32_wrap_i64).op(Op.i32_sub);
    f.op(Op.else);
    f.get(d).op(Op.i32_wrap_i64).get(L_T32).op(Op.i32_div_s);
    f.end();
  } else {
    f.get(d).op(Op.i32_wrap_i64).get(L_T32).op(mod ? (signed ? Op.i32_rem_s : Op.i32_rem_u) : Op.i32_div_u);
  }
  f.end().op(Op.i64_extend_i32_u).set(d);
}

/** Byte-swaps the i32 on the stack (uses L_T32). */
function bswap32(f: FuncBody): void {
  f.tee(L_T32).i32(8).op(Op.i32_rotr).i32(0xff00ff00 | 0).op(Op.i32_and);
  f.get(L_T32).i32(8).op(Op.i32_rotl).i32(0x00ff00ff).op(Op.i32_and);
  f.op(Op.i32_or);
}

/** BPF_END (RFC 9669 §4.2): to-le truncates, to-be and ALU64 bswap swap the low `imm` bits. */
function lowerEnd(f: FuncBody, insn: Insn, d: number): void {
  const swap = (insn.opcode & 7) === 7 || (insn.opcode & 8) !== 0;
  const width = insn.imm;
  if (!swap) {
    if (width === 16) f.get(d).i64(0xffff).op(Op.i64_and).set(d);
    else if (width === 32) f.get(d).op(Op.i32_wrap_i64).op(Op.i64_extend_i32_u).set(d);
    return;
  }
  if (width === 16) {
    f.get(d).op(Op.i32_wrap_i64).tee(L_T32).i32(8).op(Op.i32_shl).i32(0xff00).op(Op.i32_and);
    f.get(L_T32).i32(8).op(Op.i32_shr_u).i32(0xff).op(Op.i32_and).op(Op.i32_or);
    f.op(Op.i64_extend_i32_u).set(d);
  } else if (width === 32) {
    f.get(d).op(Op.i32_wrap_i64);
    bswap32(f);
    f.op(Op.i64_extend_i32_u).set(d);
  } else {
    f.get(d).tee(L_T).op(Op.i32_wrap_i64);
    bswap32(f);
    f.op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl);
    f.get(L_T).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
    bswap32(f);
    f.op(Op.i64_extend_i32_u).op(Op.i64_or).set(d);
  }
}
