import { AsmError } from '../internal/errors.js';
import type { Insn } from './insn.js';
import {
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_B,
  BPF_CMPXCHG,
  BPF_DW,
  BPF_END,
  BPF_FETCH,
  BPF_H,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOV,
  BPF_NEG,
  BPF_ST,
  BPF_STX,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_W,
  BPF_X,
  BPF_XCHG,
  OP,
} from './opcodes.js';

const ALU_OPS: Record<string, number> = {
  add: 0x00,
  sub: 0x10,
  mul: 0x20,
  div: 0x30,
  sdiv: 0x30,
  or: 0x40,
  and: 0x50,
  lsh: 0x60,
  rsh: 0x70,
  mod: 0x90,
  smod: 0x90,
  xor: 0xa0,
  mov: 0xb0,
  arsh: 0xc0,
};

const JMP_OPS: Record<string, number> = {
  jeq: 0x10,
  jgt: 0x20,
  jge: 0x30,
  jset: 0x40,
  jne: 0x50,
  jsgt: 0x60,
  jsge: 0x70,
  jlt: 0xa0,
  jle: 0xb0,
  jslt: 0xc0,
  jsle: 0xd0,
};

const SIZES: Record<string, number> = { b: BPF_B, h: BPF_H, w: BPF_W, dw: BPF_DW };

const ATOMIC_OPS: Record<string, number> = { add: 0x00, or: 0x40, and: 0x50, xor: 0xa0, xchg: BPF_XCHG, cmpxchg: BPF_CMPXCHG };

/** A branch whose target is a label, patched once every label is known. */
interface Fixup {
  pc: number;
  label: string;
  field: 'off' | 'imm';
  line: number;
}

/**
 * Assembles the bpf_conformance / uBPF assembler syntax into instruction slots (`lddw` takes
 * two): `mov32 %r0, 0`, `ldxdw %r1, [%r10-8]`, `stw [%r1+4], -1`, `lock fetch add [%r10-8], %r1`,
 * `lock cmpxchg32 [%r10-4], %r2`, `be16 %r0`, `bswap64 %r1`, `movsx1632 %r0, %r1`,
 * `sdiv %r0, 3`, `jne %r1, 0x5, label`, `ja +1`, `ja32 label`, `call 1`, `call %r2` (callx),
 * `call local label`, `call runtime 7` (kfunc), `exit`. Mnemonics without a `32` suffix are
 * 64-bit. Labels are `name:` lines; `exit` names the first exit when no label of that name
 * exists. `#` starts a comment. Immediates are decimal or `0x` hex, signed or not.
 * Throws AsmError (`asm/unknown-mnemonic`, `asm/bad-operands`, `asm/bad-register`,
 * `asm/bad-immediate`, `asm/bad-memory-operand`, `asm/unknown-label`, `asm/duplicate-label`,
 * `asm/jump-too-far`) with the 1-based line number.
 */
export function assemble(source: string): Insn[] {
  const insns: Insn[] = [];
  const labels = new Map<string, number>();
  const fixups: Fixup[] = [];
  let firstExit: number | undefined;
  source.split(/\r?\n/).forEach((rawLine, index) => {
    const line = index + 1;
    let text = rawLine.replace(/#.*$/, '').trim();
    const label = /^([A-Za-z_.$][\w.$]*):\s*/.exec(text);
    if (label) {
      if (labels.has(label[1]!)) throw new AsmError('asm/duplicate-label', `line ${line}: label '${label[1]}' is defined twice`, line);
      labels.set(label[1]!, insns.length);
      text = text.slice(label[0].length);
    }
    if (text === '') return;
    const [mnemonic, ...operands] = tokenize(text);
    const ctx = new LineContext(line, mnemonic!, operands);
    if (mnemonic === 'exit' && firstExit === undefined) firstExit = insns.length;
    for (const insn of encodeLine(ctx, insns.length, fixups)) insns.push(insn);
  });
  if (!labels.has('exit') && firstExit !== undefined) labels.set('exit', firstExit);
  for (const fix of fixups) {
    const target = labels.get(fix.label);
    if (target === undefined) throw new AsmError('asm/unknown-label', `line ${fix.line}: unknown label '${fix.label}'`, fix.line);
    const delta = target - fix.pc - 1;
    if (fix.field === 'off') {
      if (delta < -0x8000 || delta > 0x7fff) throw new AsmError('asm/jump-too-far', `line ${fix.line}: label '${fix.label}' is ${delta} instructions away, more than a 16-bit offset holds`, fix.line);
      insns[fix.pc]!.off = delta;
    } else {
      insns[fix.pc]!.imm = delta;
    }
  }
  return insns;
}

/** Splits `op a, [b + 4], c` into words; spaces inside brackets are dropped. */
function tokenize(text: string): string[] {
  const squeezed = text.replace(/\[[^\]]*\]/g, (m) => m.replace(/\s+/g, ''));
  return squeezed.split(/[\s,]+/).filter((w) => w !== '');
}

/** One source line being encoded: its words and the parsers for operands, with the line number in their errors. */
class LineContext {
  constructor(
    readonly line: number,
    readonly mnemonic: string,
    readonly operands: string[],
  ) {}

  error(code: string, message: string): AsmError {
    return new AsmError(code, `line ${this.line}: ${this.mnemonic}: ${message}`, this.line);
  }

  expect(count: number): void {
    if (this.operands.length !== count) throw this.error('asm/bad-operands', `expected ${count} operand${count === 1 ? '' : 's'}, got ${this.operands.length}`);
  }

  isReg(word: string): boolean {
    return /^%?r\d+$/.test(word);
  }

  reg(word: string): number {
    const m = /^%?r(\d+)$/.exec(word);
    // r11..r15 assemble so that negative tests can carry them; the validator refuses them.
    if (!m || Number(m[1]) > 15) throw this.error('asm/bad-register', `expected a register %r0..%r10, got '${word}'`);
    return Number(m[1]);
  }

  /** A number that must lie in [min, max]; returned as given (signed or unsigned). */
  int(word: string, min: bigint, max: bigint, what: string): bigint {
    const m = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(word);
    if (!m) throw this.error('asm/bad-immediate', `expected ${what}, got '${word}'`);
    const v = m[1] === '-' ? -BigInt(m[2]!) : BigInt(m[2]!);
    if (v < min || v > max) throw this.error('asm/bad-immediate', `${what} ${word} does not fit in ${min}..${max}`);
    return v;
  }

  /** A 32-bit immediate, stored signed. */
  imm32(word: string): number {
    return Number(BigInt.asIntN(32, this.int(word, -(1n << 31n), (1n << 32n) - 1n, 'a 32-bit immediate')));
  }

  /** A 16-bit offset, stored signed. */
  off16(word: string): number {
    return Number(BigInt.asIntN(16, this.int(word, -(1n << 15n), (1n << 16n) - 1n, 'a 16-bit offset')));
  }

  /** `[%r1+8]`, `[%r10-8]`, `[%r2]`. */
  mem(word: string): { reg: number; off: number } {
    const m = /^\[(%?r\d+)(?:([+-])(0x[0-9a-f]+|\d+))?\]$/i.exec(word);
    if (!m) throw this.error('asm/bad-memory-operand', `expected [%rN+off], got '${word}'`);
    return { reg: this.reg(m[1]!), off: m[2] ? this.off16(`${m[2]}${m[3]}`) : 0 };
  }
}

function insn(opcode: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { opcode, dst, src, off, imm };
}

/** A branch target: `+3`/`-2`/`5` as an offset, anything else a label to patch. */
function target(ctx: LineContext, word: string, pc: number, field: 'off' | 'imm', fixups: Fixup[]): number {
  if (/^[+-]?(0x[0-9a-f]+|\d+)$/i.test(word)) return field === 'off' ? ctx.off16(word) : ctx.imm32(word);
  if (!/^[A-Za-z_.$][\w.$]*$/.test(word)) throw ctx.error('asm/bad-operands', `expected a label or an offset, got '${word}'`);
  fixups.push({ pc, label: word, field, line: ctx.line });
  return 0;
}

function encodeLine(ctx: LineContext, pc: number, fixups: Fixup[]): Insn[] {
  const m = ctx.mnemonic;
  const ops = ctx.operands;
  let found: RegExpExecArray | null;

  if (m === 'exit') return ctx.expect(0), [insn(OP.EXIT)];
  if (m === 'lddw') {
    ctx.expect(2);
    const v = BigInt.asUintN(64, ctx.int(ops[1]!, -(1n << 63n), (1n << 64n) - 1n, 'a 64-bit immediate'));
    const lo = Number(BigInt.asIntN(32, v));
    const hi = Number(BigInt.asIntN(32, v >> 32n));
    return [insn(OP.LDDW, ctx.reg(ops[0]!), 0, 0, lo), insn(0, 0, 0, 0, hi)];
  }
  if (m === 'ja') return ctx.expect(1), [insn(OP.JA, 0, 0, target(ctx, ops[0]!, pc, 'off', fixups))];
  if (m === 'ja32') return ctx.expect(1), [insn(OP.JA32, 0, 0, 0, target(ctx, ops[0]!, pc, 'imm', fixups))];
  if (m === 'call') return [encodeCall(ctx, pc, fixups)];
  if (m === 'lock') return [encodeAtomic(ctx)];
  if ((found = /^(neg)(32|64)?$/.exec(m))) {
    ctx.expect(1);
    return [insn((found[2] === '32' ? BPF_ALU : BPF_ALU64) | BPF_NEG, ctx.reg(ops[0]!))];
  }
  if ((found = /^(be|le|swap|bswap)(16|32|64)$/.exec(m))) {
    ctx.expect(1);
    const opcode = found[1] === 'be' ? BPF_ALU | BPF_END | BPF_TO_BE : found[1] === 'le' ? BPF_ALU | BPF_END | BPF_TO_LE : BPF_ALU64 | BPF_END;
    return [insn(opcode, ctx.reg(ops[0]!), 0, 0, Number(found[2]))];
  }
  if ((found = /^movsx(8|16|32)(32|64)$/.exec(m))) {
    ctx.expect(2);
    return [insn((found[2] === '32' ? BPF_ALU : BPF_ALU64) | BPF_MOV | BPF_X, ctx.reg(ops[0]!), ctx.reg(ops[1]!), Number(found[1]))];
  }
  if ((found = /^([a-z]+?)(32|64)?$/.exec(m)) && ALU_OPS[found[1]!] !== undefined) {
    ctx.expect(2);
    const cls = found[2] === '32' ? BPF_ALU : BPF_ALU64;
    const off = found[1] === 'sdiv' || found[1] === 'smod' ? 1 : 0;
    const opcode = cls | ALU_OPS[found[1]!]!;
    if (ctx.isReg(ops[1]!)) return [insn(opcode | BPF_X, ctx.reg(ops[0]!), ctx.reg(ops[1]!), off)];
    return [insn(opcode | BPF_K, ctx.reg(ops[0]!), 0, off, ctx.imm32(ops[1]!))];
  }
  if ((found = /^([a-z]+?)(32)?$/.exec(m)) && JMP_OPS[found[1]!] !== undefined) {
    ctx.expect(3);
    const opcode = (found[2] ? BPF_JMP32 : BPF_JMP) | JMP_OPS[found[1]!]!;
    const dst = ctx.reg(ops[0]!);
    const off = target(ctx, ops[2]!, pc, 'off', fixups);
    if (ctx.isReg(ops[1]!)) return [insn(opcode | BPF_X, dst, ctx.reg(ops[1]!), off)];
    return [insn(opcode | BPF_K, dst, 0, off, ctx.imm32(ops[1]!))];
  }
  if ((found = /^ldx(s?)(b|h|w|dw)$/.exec(m)) && !(found[1] && found[2] === 'dw')) {
    ctx.expect(2);
    const { reg, off } = ctx.mem(ops[1]!);
    return [insn(BPF_LDX | (found[1] ? BPF_MEMSX : BPF_MEM) | SIZES[found[2]!]!, ctx.reg(ops[0]!), reg, off)];
  }
  if ((found = /^st(x?)(b|h|w|dw)$/.exec(m))) {
    ctx.expect(2);
    const { reg, off } = ctx.mem(ops[0]!);
    const size = SIZES[found[2]!]!;
    if (found[1]) return [insn(BPF_STX | BPF_MEM | size, reg, ctx.reg(ops[1]!), off)];
    return [insn(BPF_ST | BPF_MEM | size, reg, 0, off, ctx.imm32(ops[1]!))];
  }
  throw ctx.error('asm/unknown-mnemonic', `unknown mnemonic`);
}

/** `call 1`, `call helper 1`, `call %r2`, `call local label`, `call runtime 7`. */
function encodeCall(ctx: LineContext, pc: number, fixups: Fixup[]): Insn {
  const ops = ctx.operands;
  if (ops.length === 1) {
    if (ctx.isReg(ops[0]!)) return insn(OP.CALLX, ctx.reg(ops[0]!));
    return insn(OP.CALL, 0, 0, 0, ctx.imm32(ops[0]!));
  }
  ctx.expect(2);
  switch (ops[0]) {
    case 'helper':
      return ctx.isReg(ops[1]!) ? insn(OP.CALLX, ctx.reg(ops[1]!)) : insn(OP.CALL, 0, 0, 0, ctx.imm32(ops[1]!));
    case 'local':
      return insn(OP.CALL, 0, 1, 0, target(ctx, ops[1]!, pc, 'imm', fixups));
    case 'runtime':
      return insn(OP.CALL, 0, 2, 0, ctx.imm32(ops[1]!));
    default:
      throw ctx.error('asm/bad-operands', `expected helper, local or runtime, got '${ops[0]}'`);
  }
}

/** `lock [fetch] op[32] [%rD+off], %rS`. */
function encodeAtomic(ctx: LineContext): Insn {
  const ops = [...ctx.operands];
  const fetch = ops[0] === 'fetch';
  if (fetch) ops.shift();
  const m = ops.length === 3 ? /^([a-z]+?)(32|64)?$/.exec(ops[0]!) : null;
  const op = m ? ATOMIC_OPS[m[1]!] : undefined;
  if (!m || op === undefined) throw ctx.error('asm/bad-operands', `expected [fetch] add|or|and|xor|xchg|cmpxchg[32] [%rN+off], %rM`);
  const { reg, off } = ctx.mem(ops[1]!);
  const size = m[2] === '32' ? BPF_W : BPF_DW;
  return insn(BPF_STX | BPF_ATOMIC | size, reg, ctx.reg(ops[2]!), off, fetch ? op | BPF_FETCH : op);
}
