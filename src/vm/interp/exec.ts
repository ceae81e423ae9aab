import { VmFault } from '../../internal/errors.js';
import { MAX_CALL_FRAMES } from '../../uapi/bpf.js';
import type { CallbackFn } from '../env.js';
import { FRAME_SIZE, frameTop, funcPcOf } from '../layout.js';
import { budgetFault, callDepthFault, kfuncAt, resolveTailCall, unknownHelperFault } from '../protocol.js';
import { CONTROL, type Decoded, DECODED, NUM_REGS, type RunState, copyRegs, toBig } from './state.js';

/**
 * Runs from `startPc` of `st.cur` at call depth `st.depth` until an `exit` at depth `baseDepth`,
 * and returns the program then executing (its r0 is the result; tail calls may have changed it).
 * Each instruction is its pre-decoded step (decode.ts); this loop charges the budget, reports to
 * the tracer and carries out what steps hand back: calls, tail calls and returns.
 */
export function execute(st: RunState, baseDepth: number, startPc: number): Decoded {
  const env = st.env;
  const trace = st.trace;
  let P = st.cur;
  let steps = P.steps;
  let budget = env.budget;
  let pc = startPc;
  let tpc = -1;
  let tprog = P;
  st.syncViews();
  try {
    for (;;) {
      if (trace !== undefined) {
        if (tpc >= 0) st.emit(tprog, tpc, P);
        tpc = pc;
        tprog = P;
      }
      if (--budget < 0) throw budgetFault(pc, st.budgetTotal);
      const next = steps[pc]!(pc, st);
      if (next >= 0) {
        pc = next;
        continue;
      }
      switch (next) {
        case CONTROL.EXIT:
          if (st.depth === baseDepth) {
            if (trace !== undefined) st.emit(P, pc, P);
            st.cur = P;
            return P;
          }
          pc = returnFrom(st, P);
          break;
        case CONTROL.CALL_LOCAL:
          pc = callLocal(st, P, pc);
          break;
        case CONTROL.CALL_HELPER:
        case CONTROL.CALL_KFUNC:
          env.budget = budget;
          st.cur = P;
          callHelper(st, P, pc, next === CONTROL.CALL_KFUNC);
          budget = env.budget;
          pc++;
          break;
        default: {
          // CONTROL.TAIL_CALL: runs the target from its start in this frame, or falls through.
          env.pc = pc;
          const target = tailCallTarget(st, P, pc);
          if (target === undefined) {
            pc++;
            break;
          }
          if (target !== P) copyRegs(P, target);
          st.cur = target;
          pc = 0;
        }
      }
      P = st.cur;
      steps = P.steps;
    }
  } finally {
    env.budget = budget < 0 ? 0 : budget;
    st.cur = P;
  }
}

/** A BPF-to-BPF call: saves r6–r9 and the return point, and enters a new frame below this one. */
function callLocal(st: RunState, P: Decoded, pc: number): number {
  const depth = st.depth;
  if (depth + 1 >= MAX_CALL_FRAMES) throw callDepthFault(pc);
  const s = depth * 4;
  for (let i = 0; i < 4; i++) {
    st.saveLo[s + i] = P.lo[6 + i]!;
    st.saveHi[s + i] = P.hi[6 + i]!;
  }
  st.retPc[depth] = pc + 1;
  st.retProg[depth] = P;
  st.depth = depth + 1;
  P.lo[10] = frameTop(depth + 1);
  P.hi[10] = 0;
  st.setStackLow(P.lo[10]! - FRAME_SIZE);
  st.cur = P;
  return P.target[pc]!;
}

/** `exit` from a called function: back to the caller's frame (and program, across a tail call), r6–r9 restored. */
function returnFrom(st: RunState, P: Decoded): number {
  const depth = st.depth - 1;
  st.depth = depth;
  const Q = st.retProg[depth]!;
  if (Q !== P) copyRegs(P, Q);
  const s = depth * 4;
  for (let i = 0; i < 4; i++) {
    Q.lo[6 + i] = st.saveLo[s + i]!;
    Q.hi[6 + i] = st.saveHi[s + i]!;
  }
  Q.lo[10] = frameTop(depth);
  Q.hi[10] = 0;
  st.setStackLow(Q.lo[10]! - FRAME_SIZE);
  st.cur = Q;
  return st.retPc[depth]!;
}

/**
 * A helper or kfunc call: r0 = its result. r1–r5 are left as they were: the verifier forbids
 * reading them after a call, and both engines must agree on what a program that did would see.
 */
function callHelper(st: RunState, P: Decoded, pc: number, kfunc: boolean): void {
  const env = st.env;
  const R = P.lo;
  const H = P.hi;
  let def;
  if (kfunc) {
    def = kfuncAt(env, pc, P.target[pc]!);
  } else {
    // callx takes the helper id from a register (dst, as LLVM encodes it).
    const id = P.target[pc]! >= 0 ? P.target[pc]! : R[P.insns[pc]!.dst]!;
    def = env.helpers.get(id);
    if (def === undefined) throw unknownHelperFault(pc, id);
  }
  env.pc = pc;
  const r = def.fn(env, toBig(R[1]!, H[1]!), toBig(R[2]!, H[2]!), toBig(R[3]!, H[3]!), toBig(R[4]!, H[4]!), toBig(R[5]!, H[5]!));
  R[0] = Number(BigInt.asUintN(32, r));
  H[0] = Number(BigInt.asUintN(32, r >> 32n));
  st.syncViews();
}

/** bpf_tail_call(ctx, map = r2, index = r3): the target's decoded program, or undefined to fall through (protocol.ts). */
function tailCallTarget(st: RunState, P: Decoded, pc: number): Decoded | undefined {
  const exe = resolveTailCall(st.env, pc, toBig(P.lo[2]!, P.hi[2]!), P.lo[3]!) as { [DECODED]?: Decoded } | undefined;
  if (exe === undefined) return undefined;
  const target = exe[DECODED];
  if (!target) throw new VmFault('vm/bad-tail-call', `insn ${pc}: the tail-called program has no interpreter executable`, pc);
  return target;
}

/**
 * RunEnv.callback for runs on `st`: calls the function at handle `func` of the program executing
 * now in a new frame (r1–r5 as given, r10 its frame top), runs it to its exit and returns its r0,
 * leaving every register of the caller as it was.
 */
export function makeCallback(st: RunState): CallbackFn {
  return (func, r1, r2, r3, r4, r5) => {
    const env = st.env;
    const P = st.cur;
    const pc = funcPcOf(func);
    if (pc < 0 || pc >= P.insns.length) {
      throw new VmFault('vm/bad-callback', `insn ${env.pc}: 0x${func.toString(16)} is not a function of program '${P.spec.name}'`, env.pc);
    }
    const depth = st.depth;
    if (depth + 1 >= MAX_CALL_FRAMES) throw callDepthFault(env.pc);
    const savedLo = P.lo.slice(0, NUM_REGS);
    const savedHi = P.hi.slice(0, NUM_REGS);
    const args = [r1, r2, r3, r4, r5];
    for (let i = 0; i < 5; i++) {
      const v = BigInt.asUintN(64, args[i]!);
      P.lo[i + 1] = Number(v & 0xffffffffn);
      P.hi[i + 1] = Number(v >> 32n);
    }
    P.lo[10] = frameTop(depth + 1);
    P.hi[10] = 0;
    st.depth = depth + 1;
    st.setStackLow(frameTop(depth + 1) - FRAME_SIZE);
    try {
      const Q = execute(st, depth + 1, pc);
      return toBig(Q.lo[0]!, Q.hi[0]!);
    } finally {
      st.cur = P;
      st.depth = depth;
      st.setStackLow(frameTop(depth) - FRAME_SIZE);
      P.lo.set(savedLo);
      P.hi.set(savedHi);
    }
  };
}
