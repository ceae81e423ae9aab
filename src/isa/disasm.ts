import { lddwImm } from './codec.js';
import type { Insn } from './insn.js';
import {
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
  BPF_IND,
  BPF_JA,
  BPF_JCOND,
  BPF_JMP,
  BPF_JMP32,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOD,
  BPF_MOV,
  BPF_NEG,
  BPF_ST,
  BPF_W,
  BPF_X,
  BPF_XCHG,
  OP,
  SIZE_BYTES,
} from './opcodes.js';

/** Options of {@link formatInsn} and {@link disassemble}. */
export interface FormatOptions {
  /**
   * The text inside `<...>` after a jump, for its target instruction index: llvm-objdump prints
   * `<sym+0xOFF>`, see {@link objdumpLabel}. Default: no label.
   */
  label?: (targetPc: number) => string | undefined;
  /**
   * Print as `llvm-objdump --mattr=+alu32` does: 32-bit sub-registers (`w1`) as the value of
   * sub-64-bit loads, stores and atomics. Default false, as `llvm-objdump -d` prints.
   */
  alu32?: boolean;
}

/** What llvm-objdump prints for bytes it cannot decode. */
export const UNKNOWN = '<unknown>';

/** `0x1f` or `-0x8`: llvm's signed hex immediates. */
function hex(v: number | bigint): string {
  return v < 0 ? `-0x${(-BigInt(v)).toString(16)}` : `0x${v.toString(16)}`;
}

/** `+0x3` / `-0x3`: jump offsets always carry a sign. */
function rel(v: number): string {
  return v < 0 ? `-0x${(-v).toString(16)}` : `+0x${v.toString(16)}`;
}

/** `r10 - 0x8`, `r1 + 0x0`. */
function addr(reg: number, off: number): string {
  return off < 0 ? `r${reg} - 0x${(-off).toString(16)}` : `r${reg} + 0x${off.toString(16)}`;
}

const ALU_SYMBOLS: Record<number, string> = {
  0x00: '+=',
  0x10: '-=',
  0x20: '*=',
  0x30: '/=',
  0x40: '|=',
  0x50: '&=',
  0x60: '<<=',
  0x70: '>>=',
  0x90: '%=',
  0xa0: '^=',
  0xb0: '=',
  0xc0: 's>>=',
};

const JMP_SYMBOLS: Record<number, string> = {
  0x10: '==',
  0x20: '>',
  0x30: '>=',
  0x40: '&',
  0x50: '!=',
  0x60: 's>',
  0x70: 's>=',
  0xa0: '<',
  0xb0: '<=',
  0xc0: 's<',
  0xd0: 's<=',
};

const ATOMIC_NAMES: Record<number, [symbol: string, fetchName: string]> = {
  0x00: ['+=', 'add'],
  0x40: ['|=', 'or'],
  0x50: ['&=', 'and'],
  0xa0: ['^=', 'xor'],
};

/**
 * The text llvm-objdump-19 prints for the instruction at `pc` (without address or bytes):
 * `r1 = *(u32 *)(r1 + 0x4)`, `if r2 > r3 goto +0x5 <prog+0x40>`, `r1 = 0x0 ll`, `call 0x1`.
 * Bytes llvm cannot decode print as `<unknown>`. One deliberate difference: 32-bit atomics other
 * than plain `lock ... +=` are printed in llvm's alu32 syntax (`w1 = atomic_fetch_add((u32 *)(r10
 * - 0x4), w1)`), since llvm-objdump without `--mattr=+alu32` cannot decode them.
 */
export function formatInsn(insns: readonly Insn[], pc: number, opts: FormatOptions = {}): string {
  const insn = insns[pc];
  if (!insn) throw new RangeError(`formatInsn: pc ${pc} is outside 0..${insns.length - 1}`);
  const { opcode, dst, src, off, imm } = insn;
  const cls = opcode & 0x07;
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
      return formatAlu(insn, cls === BPF_ALU64 ? 'r' : 'w');
    case BPF_JMP:
    case BPF_JMP32:
      return formatJump(insn, pc, cls, opts);
    case BPF_LD: {
      if (opcode === OP.LDDW) {
        if (pc + 1 >= insns.length) return UNKNOWN;
        if (src !== 0) return `ld_pseudo\tr${dst}, ${hex(src)}, ${hex(imm >>> 0)}`;
        return `r${dst} = ${hex(BigInt.asIntN(64, lddwImm(insns, pc)))} ll`;
      }
      const mode = opcode & 0xe0;
      const size = opcode & 0x18;
      if ((mode !== BPF_ABS && mode !== BPF_IND) || size === BPF_DW) return UNKNOWN;
      return `r0 = *(u${SIZE_BYTES[size >> 3]! * 8} *)skb[${mode === BPF_ABS ? hex(imm) : `r${src}`}]`;
    }
    case BPF_LDX: {
      const mode = opcode & 0xe0;
      const size = opcode & 0x18;
      const bits = SIZE_BYTES[size >> 3]! * 8;
      if (mode === BPF_MEM) return `${opts.alu32 && size !== BPF_DW ? 'w' : 'r'}${dst} = *(u${bits} *)(${addr(src, off)})`;
      if (mode === BPF_MEMSX && size !== BPF_DW) return `r${dst} = *(s${bits} *)(${addr(src, off)})`;
      return UNKNOWN;
    }
    case BPF_ST: {
      if ((opcode & 0xe0) !== BPF_MEM) return UNKNOWN;
      return `*(u${SIZE_BYTES[(opcode & 0x18) >> 3]! * 8} *)(${addr(dst, off)}) = ${hex(imm)}`;
    }
    default: {
      const mode = opcode & 0xe0;
      const size = opcode & 0x18;
      if (mode === BPF_MEM) {
        return `*(u${SIZE_BYTES[size >> 3]! * 8} *)(${addr(dst, off)}) = ${opts.alu32 && size !== BPF_DW ? 'w' : 'r'}${src}`;
      }
      if (mode === BPF_ATOMIC && (size === BPF_W || size === BPF_DW)) return formatAtomic(insn, size === BPF_DW, opts);
      return UNKNOWN;
    }
  }
}

function formatAlu(insn: Insn, r: 'r' | 'w'): string {
  const { opcode, dst, src, off, imm } = insn;
  const op = opcode & 0xf0;
  const isX = (opcode & BPF_X) !== 0;
  // llvm ignores every field of neg but the registers, yet decodes exit only when all are zero.
  if (op === BPF_NEG) return isX ? UNKNOWN : `${r}${dst} = -${r}${dst}`;
  if (op === BPF_END) {
    if (imm !== 16 && imm !== 32 && imm !== 64) return UNKNOWN;
    if (r === 'w') return `r${dst} = ${isX ? 'be' : 'le'}${imm} r${dst}`;
    return isX ? UNKNOWN : `r${dst} = bswap${imm} r${dst}`;
  }
  if (op === BPF_MOV && isX && off !== 0) {
    if (off === 8 || off === 16 || (off === 32 && r === 'r')) return `${r}${dst} = (s${off})${r}${src}`;
    if (off === 1 && r === 'r') return `r${dst} = addr_space_cast(r${src}, ${hex(imm >>> 16)}, ${hex(imm & 0xffff)})`;
    return UNKNOWN;
  }
  const symbol = ALU_SYMBOLS[op];
  if (symbol === undefined) return UNKNOWN;
  let prefix = '';
  if (off !== 0) {
    if (off !== 1 || (op !== BPF_DIV && op !== BPF_MOD)) return UNKNOWN;
    prefix = 's';
  }
  return `${r}${dst} ${prefix}${symbol} ${isX ? `${r}${src}` : hex(imm)}`;
}

function formatJump(insn: Insn, pc: number, cls: number, opts: FormatOptions): string {
  const { opcode, dst, src, off, imm } = insn;
  const op = opcode & 0xf0;
  const isX = (opcode & BPF_X) !== 0;
  const r = cls === BPF_JMP32 ? 'w' : 'r';
  const target = (delta: number): string => {
    const text = opts.label?.(pc + 1 + delta);
    return text === undefined ? rel(delta) : `${rel(delta)} <${text}>`;
  };
  switch (op) {
    case BPF_JA:
      if (isX) return UNKNOWN;
      return cls === BPF_JMP ? `goto ${target(off)}` : `gotol ${target(imm)}`;
    case BPF_CALL:
      if (cls === BPF_JMP32) return UNKNOWN;
      return isX ? `callx r${dst}` : `call ${hex(imm)}`;
    case BPF_EXIT:
      return cls === BPF_JMP32 || isX || dst !== 0 || src !== 0 || off !== 0 || imm !== 0 ? UNKNOWN : 'exit';
    case BPF_JCOND:
      return cls === BPF_JMP32 || isX ? UNKNOWN : `may_goto ${target(off)}`;
    default: {
      const symbol = JMP_SYMBOLS[op];
      if (symbol === undefined) return UNKNOWN;
      return `if ${r}${dst} ${symbol} ${isX ? `${r}${src}` : hex(imm)} goto ${target(off)}`;
    }
  }
}

function formatAtomic(insn: Insn, is64: boolean, opts: FormatOptions): string {
  const { dst, src, off, imm } = insn;
  const bits = is64 ? 64 : 32;
  // Without alu32 llvm-objdump decodes only the plain 32-bit add, naming its operand rN.
  const r = is64 || (imm === 0 && !opts.alu32) ? 'r' : 'w';
  const mem = addr(dst, off);
  if (imm === BPF_XCHG) return is64 ? `r${src} = xchg_64(${mem}, r${src})` : `w${src} = xchg32_32(${mem}, w${src})`;
  if (imm === BPF_CMPXCHG) return is64 ? `r0 = cmpxchg_64(${mem}, r0, r${src})` : `w0 = cmpxchg32_32(${mem}, w0, w${src})`;
  const names = ATOMIC_NAMES[imm & ~BPF_FETCH];
  if (!names || imm < 0 || imm > 0xff) return UNKNOWN;
  if (imm & BPF_FETCH) return `${r}${src} = atomic_fetch_${names[1]}((u${bits} *)(${mem}), ${r}${src})`;
  return `lock *(u${bits} *)(${mem}) ${names[0]} ${r}${src}`;
}

/**
 * A label function for {@link FormatOptions.label} that names a target as llvm-objdump does:
 * `sym` or `sym+0xOFF`, where `sym` is the last symbol at or before the target and `OFF` the
 * distance in bytes. `symbols` are instruction indices in the same section (function symbols).
 */
export function objdumpLabel(symbols: readonly { name: string; pc: number }[]): (targetPc: number) => string | undefined {
  const sorted = [...symbols].sort((a, b) => a.pc - b.pc);
  return (targetPc) => {
    let best: { name: string; pc: number } | undefined;
    for (const s of sorted) {
      if (s.pc > targetPc) break;
      best = s;
    }
    if (!best) return undefined;
    const bytes = (targetPc - best.pc) * 8;
    return bytes === 0 ? best.name : `${best.name}+0x${bytes.toString(16)}`;
  };
}

/** The instruction indices that start an instruction: every slot except the second half of each `lddw`. */
export function instructionStarts(insns: readonly Insn[]): number[] {
  const starts: number[] = [];
  for (let pc = 0; pc < insns.length; pc++) {
    starts.push(pc);
    if (insns[pc]!.opcode === OP.LDDW && pc + 1 < insns.length) pc++;
  }
  return starts;
}

/**
 * The program as `llvm-objdump -d --no-show-raw-insn` lists it: one line per instruction
 * (`lddw` is one line), `%8d:\t<text>` with the instruction index.
 */
export function disassemble(insns: readonly Insn[], opts: FormatOptions = {}): string[] {
  return instructionStarts(insns).map((pc) => `${String(pc).padStart(8)}:\t${formatInsn(insns, pc, opts)}`);
}
