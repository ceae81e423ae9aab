import { IsaError, LoadError, VmFault } from '../../internal/errors.js';
import type { Insn } from '../../isa/insn.js';
import {
  ATOMIC_OPS,
  BPF_ABS,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_DIV,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JCOND,
  BPF_JMP,
  BPF_JMP32,
  BPF_JSLE,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOD,
  BPF_MOV,
  BPF_ST,
  BPF_STX,
  BPF_W,
  BPF_X,
  OFF_SIGNED,
  Opcode,
} from '../../isa/opcodes.js';
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
import { ldStep, memoryStep } from './access.js';
import { aluStep } from './alu.js';
import { jumpStep } from './jump.js';
import { CONTROL, type Decoded, NUM_REGS, type Step } from './state.js';
import { BPF_FUNC_tail_call } from '../../uapi/helper-names.js';


function fail(spec: ProgramSpec, pc: number, what: string): IsaError {
  return new IsaError('vm/bad-insn', `program '${spec.name}': insn ${pc}: ${what}`, pc);
}

function unknown(spec: ProgramSpec, pc: number, op: number): IsaError {
  return fail(spec, pc, `unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
}

/**
 * Pre-decodes `spec.insns` for the interpreter into one {@link Step} per instruction, chosen by
 * the opcode model's class (ALU and ALU64 → alu.ts, JMP and JMP32 → jump.ts or control.ts,
 * LDX/ST/STX → access.ts, LD → lddw and the legacy packet loads), with jump and call targets
 * resolved to absolute pcs and lddw's pseudo sources to register values (RFC 9669 §5.4, bpf.h):
 * BPF_PSEUDO_MAP_IDX → the map's handle, BPF_PSEUDO_MAP_IDX_VALUE → the address of the map's
 * value 0 (looked up on CPU 0; the kernel only allows array maps here, whose values never move)
 * plus the offset, BPF_PSEUDO_FUNC → a function handle. Throws IsaError `vm/bad-insn` for
 * encodings it cannot run and LoadError for unresolvable map references or pseudo sources.
 */
export function decodeProgram(spec: ProgramSpec, machine: MachineShape): Decoded {
  const insns = spec.insns;
  const n = insns.length;
  const steps: Step[] = new Array<Step>(n + 1);
  const targets = new Int32Array(n + 1);
  const lo = new Uint32Array(NUM_REGS + n + 1);
  const hi = new Uint32Array(NUM_REGS + n + 1);
  const target = (pc: number, rel: number): number => {
    const t = pc + rel + 1;
    if (t < 0 || t >= n) throw fail(spec, pc, `jump target ${t} is outside the program (0..${n - 1})`);
    return t;
  };
  for (let pc = 0; pc < n; pc++) {
    const insn = insns[pc]!;
    const op = new Opcode(insn.opcode & 0xff);
    const slot = NUM_REGS + pc;
    // The constant slot holds imm sign-extended to 64 bits, what BPF_K operands mean for ALU64,
    // JMP and ST DW; 32-bit users read only the low half.
    lo[slot] = insn.imm >>> 0;
    hi[slot] = insn.imm < 0 ? 0xffffffff : 0;
    if (insn.dst > 10 || insn.src > 10) throw fail(spec, pc, `bad register r${Math.max(insn.dst, insn.src)}`);
    // The second operand: the register src for BPF_X (and, where bit 0x08 is part of the size,
    // for LDX, STX and atomics), the instruction's own constant for BPF_K and ST.
    const b = op.isLoadStore ? (op.class === BPF_ST || op.class === BPF_LD ? slot : insn.src) : op.source === BPF_X ? insn.src : slot;
    const operands = { R: lo, H: hi, d: insn.dst, b };
    if (op.isAlu) {
      checkAlu(spec, pc, insn, op);
      steps[pc] = aluStep(op, operands, insn);
    } else if (op.isJump) {
      const jop = op.op;
      if (jop === BPF_CALL || jop === BPF_EXIT) {
        if (op.class !== BPF_JMP) throw fail(spec, pc, `${jop === BPF_CALL ? 'call' : 'exit'} in JMP32 class`);
        steps[pc] = jop === BPF_EXIT ? exitStep : callStep(spec, pc, insn, op, targets, target);
      } else if (jop === BPF_JCOND ? op.raw !== (BPF_JMP | BPF_JCOND | BPF_K) || insn.src !== 0 : jop > BPF_JSLE) {
        throw unknown(spec, pc, op.raw);
      } else {
        // ja uses off; JMP32 ja (gotol) uses imm.
        const t = target(pc, jop === BPF_JA && op.class === BPF_JMP32 ? insn.imm : insn.off);
        steps[pc] = jumpStep(op, operands, t);
      }
    } else if (op.class === BPF_LD) {
      if (op.mode === BPF_IMM && op.size === BPF_DW) {
        if (pc + 1 >= n || insns[pc + 1]!.opcode !== 0) throw fail(spec, pc, 'lddw without its second slot');
        resolveLddw(spec, machine, insns, pc, lo, hi, target);
        steps[pc] = ldStep(op, operands, insn);
        steps[pc + 1] = trap('vm/bad-jump', 'execution reached the second slot of lddw');
        pc++;
      } else if ((op.mode === BPF_ABS || op.mode === BPF_IND) && op.size !== BPF_DW) {
        steps[pc] = ldStep(op, operands, insn);
      } else {
        throw fail(spec, pc, `unsupported legacy load opcode 0x${op.raw.toString(16).padStart(2, '0')}`);
      }
    } else {
      const mode = op.mode;
      const ok =
        op.class === BPF_LDX
          ? mode === BPF_MEM || (mode === BPF_MEMSX && op.size !== BPF_DW)
          : mode === BPF_MEM || (op.class === BPF_STX && mode === BPF_ATOMIC && (op.size === BPF_W || op.size === BPF_DW));
      if (!ok) throw unknown(spec, pc, op.raw);
      if (mode === BPF_ATOMIC && !ATOMIC_OPS.includes(insn.imm)) throw fail(spec, pc, `unknown atomic operation 0x${(insn.imm >>> 0).toString(16)}`);
      steps[pc] = memoryStep(op, operands, insn);
    }
  }
  steps[n] = trap('vm/fell-off', 'execution ran past the last instruction');
  return { spec, insns, steps, target: targets, lo, hi };
}

function checkAlu(spec: ProgramSpec, pc: number, insn: Insn, op: Opcode): void {
  const aop = op.op;
  if (aop === BPF_DIV || aop === BPF_MOD) {
    if (insn.off !== 0 && insn.off !== OFF_SIGNED) throw fail(spec, pc, `bad offset ${insn.off} for division`);
  } else if (aop === BPF_MOV && insn.off !== 0) {
    const ok = insn.off === 8 || insn.off === 16 || (insn.off === 32 && op.class === BPF_ALU64);
    if (!ok || op.source !== BPF_X) throw fail(spec, pc, `bad movsx offset ${insn.off}`);
  } else if (aop === BPF_END) {
    if (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) throw fail(spec, pc, `bad byte swap width ${insn.imm}`);
    if (op.class === BPF_ALU64 && op.source === BPF_X) throw fail(spec, pc, 'bad bswap source');
  } else if (aop > BPF_END) {
    throw unknown(spec, pc, op.raw);
  }
}

/** A step that faults: where execution must never land. */
function trap(code: string, what: string): Step {
  return (pc) => {
    throw new VmFault(code, `insn ${pc}: ${what}`, pc);
  };
}

const exitStep: Step = () => CONTROL.EXIT;

function callStep(spec: ProgramSpec, pc: number, insn: Insn, op: Opcode, targets: Int32Array, target: (pc: number, rel: number) => number): Step {
  // callx takes the helper id from a register (dst, as LLVM encodes it).
  if (op.source === BPF_X) {
    targets[pc] = -1;
    return () => CONTROL.CALL_HELPER;
  }
  if (insn.src === BPF_PSEUDO_CALL) {
    targets[pc] = target(pc, insn.imm);
    return () => CONTROL.CALL_LOCAL;
  }
  if (insn.src === BPF_PSEUDO_KFUNC_CALL) {
    targets[pc] = insn.imm;
    return () => CONTROL.CALL_KFUNC;
  }
  if (insn.src !== 0) throw fail(spec, pc, `bad call source ${insn.src}`);
  targets[pc] = insn.imm;
  return insn.imm === BPF_FUNC_tail_call ? () => CONTROL.TAIL_CALL : () => CONTROL.CALL_HELPER;
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
