import { withContext } from '../internal/errors.js';
import { validateInsns } from '../isa/validate.js';
import type { ProgramSpec } from '../loader/spec.js';
import type { CallbackFn, Engine, Executable, MachineShape, PrepareOptions, RunEnv } from './env.js';
import { execute, makeCallback } from './interp/exec.js';
import { decodeProgram } from './interp/decode.js';
import { BPF_MAX_LOOPS, DECODED, type Decoded, RunState, toBig } from './interp/state.js';
import { FRAME_SIZE, STACK_END } from './layout.js';
import { checkRunArg, inTailCalledProgram } from './protocol.js';
import type { TraceHook } from './trace.js';

/** Options of {@link Interpreter.prepare} (the interpreter, the reference, checks every access whatever was proven). */
export interface InterpOptions extends PrepareOptions {
  /** Called after every executed instruction; see {@link TraceHook}. Default: none. */
  trace?: TraceHook;
}

/**
 * The reference interpreter: RFC 9669's semantics exactly, the engine behind `--engine interp`
 * and `--trace`. Each instruction is pre-decoded into a small function of its family (alu.ts,
 * jump.ts, access.ts) chosen through the isa opcode model, and a loop runs them (exec.ts) under
 * the run protocol both engines share (protocol.ts). Registers live as pairs of 32-bit halves so
 * that common instructions run without BigInt. Every load, store and atomic is checked by
 * VmMemory.check (with an inline fast path for the live stack).
 */
export class Interpreter implements Engine {
  readonly name = 'interp' as const;

  /**
   * Validates and pre-decodes `program` for `machine`'s maps and helpers. Throws IsaError for
   * invalid instructions and LoadError for map or pseudo references that cannot be resolved.
   */
  prepare(program: ProgramSpec, machine: MachineShape, options: InterpOptions = {}): InterpExecutable {
    withContext(`program '${program.name}'`, () => validateInsns(program.insns));
    return new InterpExecutable(program, decodeProgram(program, machine), options);
  }
}

/** A program prepared by the {@link Interpreter}. Runs are not re-entrant (one at a time per executable). */
export class InterpExecutable implements Executable {
  readonly [DECODED]: Decoded;
  private readonly state: RunState;
  private readonly callback: CallbackFn;

  constructor(
    readonly program: ProgramSpec,
    decoded: Decoded,
    options: InterpOptions = {},
  ) {
    this[DECODED] = decoded;
    this.state = new RunState(options.trace);
    this.callback = makeCallback(this.state);
  }

  /**
   * Runs the program with r1 = `ctxAddr` (and r2 = `r2`) and returns r0 as an unsigned 64-bit
   * bigint. Consumes `env.budget` (one per instruction executed) and counts tail calls in
   * `env.tailCalls`. Faults throw VmFault; in a tail-called program the message names it.
   */
  run(env: RunEnv, ctxAddr: number, r2 = 0): bigint {
    checkRunArg(1, ctxAddr);
    checkRunArg(2, r2);
    const P = this[DECODED];
    const st = this.state;
    st.env = env;
    st.mem = env.mem;
    st.cur = P;
    st.depth = 0;
    st.budgetTotal = env.budget;
    st.loopsLeft = BPF_MAX_LOOPS;
    P.lo.fill(0, 0, 11);
    P.hi.fill(0, 0, 11);
    setReg(P, 1, ctxAddr);
    setReg(P, 2, r2);
    P.lo[10] = STACK_END;
    st.setStackLow(STACK_END - FRAME_SIZE);
    const prevCallback = env.callback;
    env.callback = this.callback;
    try {
      const Q = execute(st, 0, 0);
      return toBig(Q.lo[0]!, Q.hi[0]!);
    } catch (err) {
      throw st.cur !== P ? inTailCalledProgram(err, st.cur.spec.name) : err;
    } finally {
      env.callback = prevCallback;
      st.setStackLow(STACK_END - FRAME_SIZE);
    }
  }
}

function setReg(P: Decoded, reg: number, value: number): void {
  P.lo[reg] = value >>> 0;
  P.hi[reg] = Math.floor(value / 4294967296) >>> 0;
}
