import { IsaError, LoadError } from '../../internal/errors.js';
import type { Insn } from '../../isa/insn.js';
import type { ProgramSpec } from '../../loader/spec.js';
import {
  BPF_MAP_TYPE,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
} from '../../uapi/bpf.js';
import type { MachineShape } from '../env.js';
import { funcHandle, mapHandle } from '../layout.js';

/** Registers r0–r10 take slots 0..10 of a {@link Decoded} program's register file. */
export const NUM_REGS = 11;

/** BPF_FUNC_tail_call: the one helper the engine implements itself. */
export const BPF_FUNC_tail_call = 12;

/** {@link Decoded.sub} of a call: what kind of call it is. */
export const CALL = { HELPER: 0, LOCAL: 1, KFUNC: 2, TAIL: 3 } as const;

/** {@link Decoded.sub} of the 0x00 sentinel: why execution must not land there. */
export const TRAP = { LDDW_TAIL: 1, FELL_OFF: 2 } as const;

/**
 * A program pre-decoded for the interpreter: flat typed arrays indexed by pc, plus a register
 * file whose slots past r10 hold each instruction's immediate operand. An instruction's second
 * operand is always `lo/hi[operand[pc]]`, a register for BPF_X or the instruction's own constant
 * slot (NUM_REGS + pc) for BPF_K, so the two forms share one code path.
 */
export interface Decoded {
  readonly spec: ProgramSpec;
  readonly insns: readonly Insn[];
  /**
   * The opcode byte per pc, which the interpreter's switch dispatches on (dense, so V8 builds a
   * jump table). 0x00, never a valid eBPF opcode by itself, marks the second slot of lddw and the
   * extra entry past the end, so landing there faults.
   */
  readonly code: Uint8Array;
  /**
   * What the opcode alone does not say: 1 for sdiv/smod; the source width (8, 16, 32) for movsx;
   * the width (16, 32, 64) for byte swaps; a {@link CALL} kind for calls; the operation (imm) for
   * atomics; a {@link TRAP} reason for the 0x00 sentinel.
   */
  readonly sub: Uint8Array;
  /** Destination register per pc (for LDX: the register loaded). */
  readonly dst: Uint8Array;
  /** Register-file slot of the second operand (the address register for LDX). */
  readonly operand: Uint32Array;
  /** Memory offset for loads, stores and atomics; target pc for jumps and local calls; helper id for calls. */
  readonly aux: Int32Array;
  /** Register file, low 32 bits: r0..r10, then one constant per instruction. */
  readonly lo: Uint32Array;
  /** Register file, high 32 bits. */
  readonly hi: Uint32Array;
}

function fail(spec: ProgramSpec, pc: number, what: string): IsaError {
  return new IsaError('vm/bad-insn', `program '${spec.name}': insn ${pc}: ${what}`, pc);
}

/**
 * Pre-decodes `spec.insns` for the interpreter, resolving jump and call targets to absolute pcs
 * and lddw's pseudo sources to register values (RFC 9669 §5.4, bpf.h): BPF_PSEUDO_MAP_IDX → the
 * map's handle, BPF_PSEUDO_MAP_IDX_VALUE → the address of the map's value 0 (looked up on CPU 0;
 * the kernel only allows array maps here, whose values never move) plus the offset,
 * BPF_PSEUDO_FUNC → a function handle. Throws IsaError `vm/bad-insn` for encodings it cannot run
 * and LoadError for unresolvable map references or pseudo sources.
 */
export function decodeProgram(spec: ProgramSpec, machine: MachineShape): Decoded {
  const insns = spec.insns;
  const n = insns.length;
  const code = new Uint8Array(n + 1);
  const sub = new Uint8Array(n + 1);
  const dst = new Uint8Array(n + 1);
  const operand = new Uint32Array(n + 1);
  const aux = new Int32Array(n + 1);
  const lo = new Uint32Array(NUM_REGS + n + 1);
  const hi = new Uint32Array(NUM_REGS + n + 1);
  const target = (pc: number, rel: number): number => {
    const t = pc + rel + 1;
    if (t < 0 || t >= n) throw fail(spec, pc, `jump target ${t} is outside the program (0..${n - 1})`);
    return t;
  };
  for (let pc = 0; pc < n; pc++) {
    const insn = insns[pc]!;
    const op = insn.opcode & 0xff;
    const cls = op & 7;
    const slot = NUM_REGS + pc;
    // The constant slot holds imm sign-extended to 64 bits, what BPF_K operands mean for ALU64,
    // JMP and ST DW; 32-bit users read only the low half.
    lo[slot] = insn.imm >>> 0;
    hi[slot] = insn.imm < 0 ? 0xffffffff : 0;
    dst[pc] = insn.dst;
    operand[pc] = op & 0x08 ? insn.src : slot;
    code[pc] = op;
    if (insn.dst > 10 || insn.src > 10) throw fail(spec, pc, `bad register r${Math.max(insn.dst, insn.src)}`);
    switch (cls) {
      case 0x04: // ALU
      case 0x07: {
        // ALU64
        const aop = op & 0xf0;
        if (aop === 0x30 || aop === 0x90) {
          if (insn.off === 1) sub[pc] = 1;
          else if (insn.off !== 0) throw fail(spec, pc, `bad offset ${insn.off} for division`);
        } else if (aop === 0xb0 && insn.off !== 0) {
          const ok = insn.off === 8 || insn.off === 16 || (insn.off === 32 && cls === 0x07);
          if (!ok || !(op & 0x08)) throw fail(spec, pc, `bad movsx offset ${insn.off}`);
          sub[pc] = insn.off;
        } else if (aop === 0xd0) {
          if (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) throw fail(spec, pc, `bad byte swap width ${insn.imm}`);
          if (cls === 0x07 && op & 0x08) throw fail(spec, pc, 'bad bswap source');
          sub[pc] = insn.imm;
        } else if (aop > 0xd0) {
          throw fail(spec, pc, `unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
        }
        break;
      }
      case 0x05: // JMP
      case 0x06: {
        // JMP32
        const jop = op & 0xf0;
        if (jop === 0x80) {
          if (cls !== 0x05) throw fail(spec, pc, 'call in JMP32 class');
          // callx (0x8d) takes the helper id from a register, dst as LLVM encodes it.
          if (op & 0x08) break;
          aux[pc] = insn.imm;
          if (insn.src === BPF_PSEUDO_CALL) {
            sub[pc] = CALL.LOCAL;
            aux[pc] = target(pc, insn.imm);
          } else if (insn.src === BPF_PSEUDO_KFUNC_CALL) sub[pc] = CALL.KFUNC;
          else if (insn.src === 0) sub[pc] = insn.imm === BPF_FUNC_tail_call ? CALL.TAIL : CALL.HELPER;
          else throw fail(spec, pc, `bad call source ${insn.src}`);
        } else if (jop === 0x90) {
          if (cls !== 0x05) throw fail(spec, pc, 'exit in JMP32 class');
        } else if (jop === 0x00) {
          // ja uses off; JMP32 ja (gotol) uses imm.
          aux[pc] = target(pc, cls === 0x06 ? insn.imm : insn.off);
        } else if (op === 0xe5 && insn.src === 0) {
          // may_goto (BPF_JCOND): a bounded-loop escape the kernel takes after BPF_MAX_LOOPS.
          aux[pc] = target(pc, insn.off);
        } else if (jop === 0xe0 || jop === 0xf0) {
          throw fail(spec, pc, `unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
        } else {
          aux[pc] = target(pc, insn.off);
        }
        break;
      }
      case 0x01: // LDX
      case 0x02: // ST
      case 0x03: {
        // STX
        const mode = op & 0xe0;
        const ok =
          cls === 0x01
            ? mode === 0x60 || (mode === 0x80 && (op & 0x18) !== 0x18)
            : mode === 0x60 || (cls === 0x03 && mode === 0xc0 && ((op & 0x18) === 0x00 || (op & 0x18) === 0x18));
        if (!ok) throw fail(spec, pc, `unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
        aux[pc] = insn.off;
        // Bit 0x08 is part of the size here, not BPF_X: LDX reads its address from src, STX and
        // atomics take their value from src, ST from the immediate.
        operand[pc] = cls === 0x02 ? slot : insn.src;
        if (mode === 0xc0) {
          const imm = insn.imm;
          const known = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];
          if (!known.includes(imm)) throw fail(spec, pc, `unknown atomic operation 0x${(imm >>> 0).toString(16)}`);
          sub[pc] = imm;
        }
        break;
      }
      case 0x00: {
        // LD: only lddw (BPF_LD | BPF_IMM | BPF_DW) is eBPF.
        if (op !== 0x18) throw fail(spec, pc, `unsupported legacy load opcode 0x${op.toString(16).padStart(2, '0')}`);
        if (pc + 1 >= n || insns[pc + 1]!.opcode !== 0) throw fail(spec, pc, 'lddw without its second slot');
        resolveLddw(spec, machine, insns, pc, lo, hi, target);
        operand[pc] = slot;
        code[pc + 1] = 0;
        sub[pc + 1] = TRAP.LDDW_TAIL;
        pc++;
        break;
      }
      default:
        throw fail(spec, pc, `unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
  code[n] = 0;
  sub[n] = TRAP.FELL_OFF;
  return { spec, insns, code, sub, dst, operand, aux, lo, hi };
}

function resolveLddw(
  spec: ProgramSpec,
  machine: MachineShape,
  insns: readonly Insn[],
  pc: number,
  lo: Uint32Array,
  hi: Uint32Array,
  target: (pc: number, rel: number) => number,
): void {
  const insn = insns[pc]!;
  const next = insns[pc + 1]!;
  const slot = NUM_REGS + pc;
  let value: number;
  switch (insn.src) {
    case 0:
      lo[slot] = insn.imm >>> 0;
      hi[slot] = next.imm >>> 0;
      return;
    case BPF_PSEUDO_MAP_IDX:
      mapAt(spec, machine, pc, insn.imm);
      value = mapHandle(insn.imm);
      break;
    case BPF_PSEUDO_MAP_IDX_VALUE: {
      const map = mapAt(spec, machine, pc, insn.imm);
      const off = next.imm;
      if (off < 0 || off >= map.spec.valueSize) {
        throw new LoadError('vm/bad-map-value', `program '${spec.name}': insn ${pc}: offset ${off} is outside map '${map.spec.name}' value of ${map.spec.valueSize} bytes`);
      }
      const base = map.lookup(new Uint8Array(4), 0);
      if (base === 0 || map.spec.type === BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_ARRAY) {
        throw new LoadError('vm/bad-map-value', `program '${spec.name}': insn ${pc}: map '${map.spec.name}' has no direct value address`);
      }
      value = base + off;
      break;
    }
    case BPF_PSEUDO_FUNC:
      value = funcHandle(target(pc, insn.imm));
      break;
    default:
      throw new LoadError('vm/unsupported-pseudo', `program '${spec.name}': insn ${pc}: unsupported lddw pseudo source ${insn.src}`);
  }
  lo[slot] = value >>> 0;
  hi[slot] = 0;
}

function mapAt(spec: ProgramSpec, machine: MachineShape, pc: number, index: number) {
  const map = machine.maps[index];
  if (!map) throw new LoadError('vm/bad-map-index', `program '${spec.name}': insn ${pc}: map index ${index} out of range (${machine.maps.length} maps)`);
  return map;
}
