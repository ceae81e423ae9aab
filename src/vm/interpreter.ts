import { VmFault, withContext } from '../internal/errors.js';
import { validateInsns } from '../isa/validate.js';
import type { ProgramSpec } from '../loader/spec.js';
import type { CallbackFn, Engine, Executable, MachineShape, RunEnv } from './env.js';
import { execute, makeCallback } from './interp/exec.js';
import { BPF_MAX_LOOPS, DECODED, RunState, toBig } from './interp/state.js';
import { type Decoded, decodeProgram } from './interp/decode.js';
import { FRAME_SIZE, LAYOUT, STACK_END } from './layout.js';
import type { TraceHook } from './trace.js';

/** Options of {@link Interpreter.prepare}. */
export interface InterpOptions {
  /** Called after every executed instruction; see {@link TraceHook}. Default: none. */
  trace?: TraceHook;
  /**
   * Fill all stack frames with this byte at the start of every run, so that a read of
   * uninitialised stack shows up as a recognisable pattern. Default: undefined, the stack keeps
   * what the previous run left, as the kernel's does (the verifier rejects such reads there).
   */
  poisonStack?: number;
}

/**
 * The reference interpreter: a plain fetch-decode-execute loop over pre-decoded instructions with
 * RFC 9669's semantics exactly, the engine behind `--engine interp` and `--trace`. Registers live
 * as pairs of 32-bit halves so that common instructions run without BigInt.
 *
 * A run starts with r1 = ctx, r2 as given (bpf_conformance's memory length), r10 = the top of
 * frame 0 and every other register 0. Helper calls leave r1–r5 unchanged (the verifier forbids
 * reading them). BPF-to-BPF calls get a fresh 512-byte frame below the caller's, with r6–r9
 * saved and restored, to a depth of MAX_CALL_FRAMES. bpf_tail_call is implemented here, not by
 * a helper. Every load, store and atomic is checked by VmMemory.check (with an inline fast path
 * for the live stack).
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
    private readonly options: InterpOptions,
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
    const P = this[DECODED];
    const st = this.state;
    const mem = env.mem;
    st.env = env;
    st.mem = mem;
    st.cur = P;
    st.depth = 0;
    st.budgetTotal = env.budget;
    st.loopsLeft = BPF_MAX_LOOPS;
    P.lo.fill(0, 0, 11);
    P.hi.fill(0, 0, 11);
    setReg(P, 1, ctxAddr);
    setReg(P, 2, r2);
    P.lo[10] = STACK_END;
    mem.stackLow = STACK_END - FRAME_SIZE;
    if (this.options.poisonStack !== undefined) mem.u8.fill(this.options.poisonStack, LAYOUT.STACK, STACK_END);
    const prevCallback = env.callback;
    env.callback = this.callback;
    try {
      const Q = execute(st, 0, 0);
      return toBig(Q.lo[0]!, Q.hi[0]!);
    } catch (err) {
      if (err instanceof VmFault && st.cur !== P) {
        const fault = err.withContext(`tail-called program '${st.cur.spec.name}'`);
        fault.program ??= st.cur.spec.name;
        throw fault;
      }
      throw err;
    } finally {
      env.callback = prevCallback;
      mem.stackLow = STACK_END - FRAME_SIZE;
    }
  }
}

function setReg(P: Decoded, reg: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`run: r${reg} must be a non-negative safe integer, got ${value}`);
  P.lo[reg] = value >>> 0;
  P.hi[reg] = Math.floor(value / 4294967296) >>> 0;
}
