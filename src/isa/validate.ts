import { IsaError } from '../internal/errors.js';
import type { Insn } from './insn.js';
import {
  ATOMIC_OPS,
  BPF_ABS,
  BPF_IND,
  BPF_LD,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_B,
  BPF_CMPXCHG,
  BPF_DW,
  BPF_FETCH,
  BPF_H,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_ST,
  BPF_STX,
  BPF_W,
  BPF_X,
  OP,
  Opcode,
} from './opcodes.js';

/** Highest register number (r10 is the read-only frame pointer; RFC 9669 §2.3). */
const MAX_REG = 10;
/** Highest lddw pseudo source (BPF_PSEUDO_MAP_IDX_VALUE; bpf.h). */
const MAX_LDDW_SRC = 6;
/** Highest call pseudo source (BPF_PSEUDO_KFUNC_CALL; bpf.h). */
const MAX_CALL_SRC = 2;

/** How an instruction uses one register field. */
const enum Reg {
  /** Must be zero. */
  None,
  /** Read only: r0..r10. */
  Read,
  /** Written: r0..r9. */
  Write,
}

/**
 * The legal fields of one opcode: how `dst` and `src` are used, which `off` values are
 * allowed (`'any'`, `'jump'` for a branch target, or a list), and which `imm` values
 * (`'any'`, `'jump'`, `'call'`, or a list). Modelled on ubpf's `ubpf_instruction_valid.c`.
 */
interface Rule {
  name: string;
  dst: Reg;
  src: Reg | 'lddw' | 'call';
  off: 'any' | 'jump' | readonly number[];
  imm: 'any' | 'jump' | 'call' | 'atomic' | readonly number[];
}

const ZERO = [0] as const;

/** The table: every opcode RFC 9669 defines (plus callx, which bpf_conformance uses), and its rule. */
export const INSN_RULES: ReadonlyMap<number, Rule> = buildRules();

function buildRules(): Map<number, Rule> {
  const rules = new Map<number, Rule>();
  const add = (opcode: number, rule: Omit<Rule, 'name'>): void => {
    rules.set(opcode, { name: new Opcode(opcode).toString(), ...rule });
  };
  for (const cls of [BPF_ALU, BPF_ALU64]) {
    for (const op of [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0]) {
      const signedOk = op === 0x30 || op === 0x90;
      add(cls | BPF_K | op, { dst: Reg.Write, src: Reg.None, off: signedOk ? [0, 1] : ZERO, imm: 'any' });
      const movsx = cls === BPF_ALU64 ? [0, 8, 16, 32] : [0, 8, 16];
      add(cls | BPF_X | op, { dst: Reg.Write, src: Reg.Read, off: op === 0xb0 ? movsx : signedOk ? [0, 1] : ZERO, imm: ZERO });
    }
    add(cls | 0x80, { dst: Reg.Write, src: Reg.None, off: ZERO, imm: ZERO });
  }
  add(OP.LE, { dst: Reg.Write, src: Reg.None, off: ZERO, imm: [16, 32, 64] });
  add(OP.BE, { dst: Reg.Write, src: Reg.None, off: ZERO, imm: [16, 32, 64] });
  add(OP.BSWAP, { dst: Reg.Write, src: Reg.None, off: ZERO, imm: [16, 32, 64] });
  for (const cls of [BPF_JMP, BPF_JMP32]) {
    for (const op of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) {
      add(cls | BPF_K | op, { dst: Reg.Read, src: Reg.None, off: 'jump', imm: 'any' });
      add(cls | BPF_X | op, { dst: Reg.Read, src: Reg.Read, off: 'jump', imm: ZERO });
    }
  }
  add(OP.JA, { dst: Reg.None, src: Reg.None, off: 'jump', imm: ZERO });
  add(OP.JA32, { dst: Reg.None, src: Reg.None, off: ZERO, imm: 'jump' });
  add(OP.CALL, { dst: Reg.None, src: 'call', off: ZERO, imm: 'call' });
  add(OP.CALLX, { dst: Reg.Read, src: Reg.None, off: ZERO, imm: ZERO });
  add(OP.EXIT, { dst: Reg.None, src: Reg.None, off: ZERO, imm: ZERO });
  add(OP.LDDW, { dst: Reg.Write, src: 'lddw', off: ZERO, imm: 'any' });
  for (const size of [BPF_W, BPF_H, BPF_B, BPF_DW]) {
    add(BPF_LDX | BPF_MEM | size, { dst: Reg.Write, src: Reg.Read, off: 'any', imm: ZERO });
    if (size !== BPF_DW) add(BPF_LDX | BPF_MEMSX | size, { dst: Reg.Write, src: Reg.Read, off: 'any', imm: ZERO });
    add(BPF_ST | BPF_MEM | size, { dst: Reg.Read, src: Reg.None, off: 'any', imm: 'any' });
    add(BPF_STX | BPF_MEM | size, { dst: Reg.Read, src: Reg.Read, off: 'any', imm: ZERO });
  }
  // The legacy packet loads (BPF_LD | BPF_ABS/BPF_IND, bpf.h; RFC 9669 §5.5 leaves them out): r0 = skb[imm] or skb[src + imm].
  for (const size of [BPF_W, BPF_H, BPF_B]) {
    add(BPF_LD | BPF_ABS | size, { dst: Reg.None, src: Reg.None, off: ZERO, imm: 'any' });
    add(BPF_LD | BPF_IND | size, { dst: Reg.None, src: Reg.Read, off: ZERO, imm: 'any' });
  }
  add(BPF_STX | BPF_ATOMIC | BPF_W, { dst: Reg.Read, src: Reg.Read, off: 'any', imm: 'atomic' });
  add(BPF_STX | BPF_ATOMIC | BPF_DW, { dst: Reg.Read, src: Reg.Read, off: 'any', imm: 'atomic' });
  return rules;
}

/** True when `insn` is the first slot of a 64-bit immediate load (`lddw`, RFC 9669 §5.4). */
export function isLddw(insn: Insn): boolean {
  return insn.opcode === OP.LDDW;
}

function fail(code: string, pc: number, message: string): never {
  throw new IsaError(code, `insn ${pc}: ${message}`, pc);
}

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

/**
 * Checks a program statically, instruction by instruction against {@link INSN_RULES}: known
 * opcodes, registers in range (and r10 never written), reserved fields zero, jump and local
 * call targets inside the program and never into the second half of an `lddw`, `lddw` complete
 * with a known pseudo source, and a last instruction that does not fall off the end.
 * Throws IsaError (`isa/unknown-opcode`, `isa/bad-register`, `isa/reserved-field`,
 * `isa/bad-atomic-op`, `isa/bad-lddw-src`, `isa/incomplete-lddw`, `isa/jump-out-of-range`,
 * `isa/jump-into-lddw`, `isa/falls-off-end`, `isa/empty-program`) with `pc` set and the
 * message starting `insn N:`.
 */
export function validateInsns(insns: readonly Insn[]): void {
  if (insns.length === 0) throw new IsaError('isa/empty-program', 'program has no instructions', 0);
  // Second halves of lddw: no jump may land there.
  const lddwTail = new Uint8Array(insns.length);
  for (let pc = 0; pc < insns.length; pc++) {
    if (isLddw(insns[pc]!)) {
      if (pc + 1 >= insns.length) fail('isa/incomplete-lddw', pc, 'lddw is missing its second slot');
      lddwTail[pc + 1] = 1;
      pc++;
    }
  }
  const checkTarget = (pc: number, delta: number, what: string): void => {
    const target = pc + 1 + delta;
    if (target < 0 || target >= insns.length) fail('isa/jump-out-of-range', pc, `${what} target ${target} is outside 0..${insns.length - 1}`);
    if (lddwTail[target]) fail('isa/jump-into-lddw', pc, `${what} target ${target} is the second half of an lddw`);
  };
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc]!;
    const rule = INSN_RULES.get(insn.opcode);
    if (!rule) fail('isa/unknown-opcode', pc, `unknown opcode ${hex(insn.opcode)}`);
    checkReg(pc, 'dst', insn.dst, rule.dst);
    if (rule.src === 'lddw') {
      if (insn.src > MAX_LDDW_SRC) fail('isa/bad-lddw-src', pc, `lddw pseudo source ${insn.src} is not one of 0..${MAX_LDDW_SRC}`);
    } else if (rule.src === 'call') {
      if (insn.src > MAX_CALL_SRC) fail('isa/reserved-field', pc, `call source ${insn.src} is not one of 0..${MAX_CALL_SRC}`);
    } else {
      checkReg(pc, 'src', insn.src, rule.src);
    }
    if (rule.off === 'jump') checkTarget(pc, insn.off, 'jump');
    else if (rule.off !== 'any' && !rule.off.includes(insn.off)) fail('isa/reserved-field', pc, `${rule.name}: off ${insn.off} is not allowed`);
    if (rule.imm === 'jump') checkTarget(pc, insn.imm, 'jump');
    else if (rule.imm === 'call') {
      if (insn.src === 1) checkTarget(pc, insn.imm, 'call');
    } else if (rule.imm === 'atomic') {
      if (!ATOMIC_OPS.includes(insn.imm)) fail('isa/bad-atomic-op', pc, `atomic operation ${hex(insn.imm)} is not defined`);
      // A fetching atomic writes its source register (cmpxchg writes r0 instead).
      if ((insn.imm & BPF_FETCH) !== 0 && insn.imm !== BPF_CMPXCHG) checkReg(pc, 'src', insn.src, Reg.Write);
    } else if (rule.imm !== 'any' && !rule.imm.includes(insn.imm)) fail('isa/reserved-field', pc, `${rule.name}: imm ${insn.imm} is not allowed`);
    if (isLddw(insn)) {
      const next = insns[pc + 1]!;
      if (next.opcode !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
        fail('isa/incomplete-lddw', pc + 1, 'second slot of lddw must have opcode, registers and offset zero');
      }
      pc++;
    }
  }
  const lastPc = lddwTail[insns.length - 1] ? insns.length - 2 : insns.length - 1;
  const last = insns[lastPc]!.opcode;
  if (last !== OP.EXIT && last !== OP.JA && last !== OP.JA32) fail('isa/falls-off-end', lastPc, 'the last instruction must be exit or an unconditional jump');
}

function checkReg(pc: number, field: 'dst' | 'src', reg: number, use: Reg): void {
  if (use === Reg.None) {
    if (reg !== 0) fail('isa/reserved-field', pc, `${field} must be 0, got ${reg}`);
    return;
  }
  if (reg > MAX_REG) fail('isa/bad-register', pc, `${field} register r${reg} does not exist`);
  if (use === Reg.Write && reg === MAX_REG) fail('isa/bad-register', pc, `r10 is read-only`);
}
