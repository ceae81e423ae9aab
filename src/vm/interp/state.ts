import { VmFault } from '../../internal/errors.js';
import { BPF_MAP_TYPE, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT } from '../../uapi/bpf.js';
import type { RunEnv } from '../env.js';
import { mapIndexOf } from '../layout.js';
import type { VmMemory } from '../memory.js';
import type { TraceHook } from '../trace.js';
import { type Decoded, NUM_REGS } from './decode.js';

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
 * The mutable state of one run: call frames, the program executing now and the tracer. One per
 * Executable, reset by every run; callback helpers re-enter `execute` with it.
 */
export class RunState {
  env!: RunEnv;
  mem!: VmMemory;
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

/**
 * bpf_tail_call(ctx, map = r2, index = r3) as the x86-64 JIT does it (arch/x86/net/bpf_jit_comp.c,
 * emit_bpf_tail_call_indirect, 6.10+): an index past max_entries, an exhausted MAX_TAIL_CALL_CNT
 * or an empty slot falls through to the next instruction with r0 as it was, and only a taken tail
 * call counts. (kernel/bpf/core.c's interpreter counted before reading the slot until a 2025
 * fix; the JIT is what runs.)
 */
export function tailCallTarget(st: RunState, P: Decoded, pc: number): Decoded | undefined {
  const env = st.env;
  const mapIdx = P.hi[2] === 0 ? mapIndexOf(P.lo[2]!) : -1;
  const map = mapIdx >= 0 ? env.maps[mapIdx] : undefined;
  if (!map || map.spec.type !== BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY) {
    throw new VmFault('vm/bad-tail-call', `insn ${pc}: bpf_tail_call needs a prog array in r2, got 0x${toBig(P.lo[2]!, P.hi[2]!).toString(16)}`, pc);
  }
  const index = P.lo[3]!;
  if (index >= map.spec.maxEntries) return undefined;
  if (env.tailCalls >= MAX_TAIL_CALL_CNT) return undefined;
  const progIndex = (map as unknown as ProgArrayLike).programAt(index);
  if (progIndex === undefined) return undefined;
  env.tailCalls++;
  const exe = env.programs[progIndex] as { [DECODED]?: Decoded } | undefined;
  const target = exe?.[DECODED];
  if (!target) {
    throw new VmFault('vm/bad-tail-call', `insn ${pc}: prog array '${map.spec.name}' slot ${index} holds program ${progIndex}, which has no interpreter executable`, pc);
  }
  return target;
}

