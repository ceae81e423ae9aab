import { VmFault } from '../../internal/errors.js';
import type { Insn } from '../../isa/insn.js';
import type { ProgramSpec } from '../../loader/spec.js';
import { MAX_CALL_FRAMES } from '../../uapi/bpf.js';
import type { RunEnv } from '../env.js';
import type { VmMemory } from '../memory.js';
import type { TraceHook } from '../trace.js';

/** Registers r0–r10 take slots 0..10 of a {@link Decoded} program's register file. */
export const NUM_REGS = 11;

/**
 * One pre-decoded instruction: runs it on its program's register file and returns the next pc,
 * or a negative {@link CONTROL} code for the run loop to carry out (calls, exit).
 */
export type Step = (pc: number, st: RunState) => number;

/** What a step asks of the run loop (exec.ts) instead of a next pc. */
export const CONTROL = {
  /** `exit`: return from the current function. */
  EXIT: -1,
  /** A BPF-to-BPF call; its target pc is {@link Decoded.target}[pc]. */
  CALL_LOCAL: -2,
  /** A helper call; its id is {@link Decoded.target}[pc] (or, for callx, in the register dst). */
  CALL_HELPER: -3,
  /** bpf_tail_call. */
  TAIL_CALL: -4,
  /** A kfunc call (BPF_PSEUDO_KFUNC_CALL); its BTF id is {@link Decoded.target}[pc]. */
  CALL_KFUNC: -5,
} as const;

/**
 * A program pre-decoded for the interpreter: one {@link Step} per pc (the second slot of lddw
 * and an extra entry past the end fault when reached), plus a register file whose slots past r10
 * hold each instruction's immediate, so that BPF_K and BPF_X operands share one code path.
 */
export interface Decoded {
  readonly spec: ProgramSpec;
  readonly insns: readonly Insn[];
  readonly steps: readonly Step[];
  /** Per pc: the callee's pc for a BPF-to-BPF call, the helper id for a helper call, the BTF id for a kfunc call. */
  readonly target: Int32Array;
  /** Register file, low 32 bits: r0..r10, then one constant per instruction. */
  readonly lo: Uint32Array;
  /** Register file, high 32 bits. */
  readonly hi: Uint32Array;
}

/** What a prog array map offers the engine for bpf_tail_call (src/maps' ProgArray). */
export interface ProgArrayLike {
  /** The index into RunEnv.programs stored in slot `index`, or undefined when the slot is empty. */
  programAt(index: number): number | undefined;
}

/** Key under which an interpreter Executable exposes its decoded program, so tail calls can switch to it. */
export const DECODED: unique symbol = Symbol('bpfsim.interp.decoded');

/** The kernel's per-program may_goto budget (BPF_MAX_LOOPS). */
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;

/** An unsigned 64-bit bigint from two 32-bit halves. */
export function toBig(lo: number, hi: number): bigint {
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * The mutable state of one run: call frames, the program executing now, the memory views the
 * steps use and the tracer. One per Executable, reset by every run; callback helpers re-enter
 * the run loop with it.
 */
export class RunState {
  env!: RunEnv;
  mem!: VmMemory;
  /** Views of `mem`'s buffer, renewed when a helper grows the memory. */
  u8!: Uint8Array;
  dv!: DataView;
  /** Start of the live (innermost) stack frame: accesses from here to STACK_END skip VmMemory.check. */
  stackLow = 0;
  /** Call depth of the frame executing now (0 = the program itself). */
  depth = 0;
  /** The program executing now (changes on tail calls). */
  cur!: Decoded;
  /** The budget the run started with, for the fault message. */
  budgetTotal = 0;
  /** may_goto iterations left. */
  loopsLeft = BPF_MAX_LOOPS;
  /** r6–r9 of each frame while it waits for its callee: [depth * 4 + (reg - 6)]. */
  readonly saveLo = new Uint32Array(MAX_CALL_FRAMES * 4);
  readonly saveHi = new Uint32Array(MAX_CALL_FRAMES * 4);
  readonly retPc = new Int32Array(MAX_CALL_FRAMES);
  readonly retProg: (Decoded | undefined)[] = new Array<Decoded | undefined>(MAX_CALL_FRAMES);
  readonly regs = new BigUint64Array(NUM_REGS);

  constructor(readonly trace: TraceHook | undefined) {}

  /** Renews the memory views after the buffer may have changed. */
  syncViews(): void {
    if (this.u8 === undefined || this.u8.buffer !== this.mem.memory.buffer) {
      this.u8 = this.mem.u8;
      this.dv = this.mem.view;
    }
  }

  /** Makes the frame at `depth` the live one (stack fast path and VmMemory.check agree on it). */
  setStackLow(low: number): void {
    this.stackLow = low;
    this.mem.stackLow = low;
  }

  /** Reports instruction `pc` of `prog` to the trace hook, with the registers of `cur` after it. */
  emit(prog: Decoded, pc: number, cur: Decoded): void {
    const regs = this.regs;
    for (let i = 0; i < NUM_REGS; i++) regs[i] = toBig(cur.lo[i]!, cur.hi[i]!);
    this.trace!(pc, prog.insns[pc]!, regs, prog.spec);
  }
}

/** The fault of a call that would need a ninth frame. */
export function callDepthFault(pc: number): VmFault {
  return new VmFault('vm/call-depth', `insn ${pc}: call depth exceeds ${MAX_CALL_FRAMES} frames`, pc);
}

/** Copies r0–r10 from one program's register file to another's (tail calls, returns across them). */
export function copyRegs(from: Decoded, to: Decoded): void {
  for (let i = 0; i < NUM_REGS; i++) {
    to.lo[i] = from.lo[i]!;
    to.hi[i] = from.hi[i]!;
  }
}
