import { VmFault } from '../../internal/errors.js';
import type { ProgramSpec } from '../../loader/spec.js';
import type { CallbackFn, Executable, HelperDef, HelperRegistry, MachineShape, RunEnv, VmMap } from '../env.js';
import { type Decoded, RunState, toBig } from '../interp/state.js';
import { execute } from '../interp/exec.js';
import { CTRL, FRAME_SIZE, LAYOUT, MAP_SLOT_SIZE, MAP_SLOTS_MAX, STACK_END, funcPcOf } from '../layout.js';
import { skbLoad } from '../ld-abs.js';
import type { VmMemory } from '../memory.js';
import {
  budgetFault,
  callDepthFault,
  checkRunArg,
  fellOffFault,
  inTailCalledProgram,
  kfuncAt,
  lddwTailFault,
  outsideAddressSpaceFault,
  resolveTailCall,
  unknownHelperFault,
} from '../protocol.js';
import { ctxBit } from './lower-mem.js';
import type { CompiledProgram } from './compiler.js';
import { FaultKind } from './lower.js';

/** Largest budget the generated code counts in its i32 global; larger budgets are spent in slices of this. */
const MAX_SLICE = 0x7fff_ffff;

/** Exports of an instantiated program module (see compiler.ts). */
interface ProgramExports {
  run(r1lo: number, r1hi: number, r2lo: number, r2hi: number): bigint;
  enter(r1: number, budget: number): number;
  repeat(r1lo: number, r1hi: number, runs: number, budget: number): bigint;
  budget: { value: number };
  tailR0: { value: bigint };
  tailFresh: { value: number };
  bigR0: { value: bigint };
  inl: { value: number };
  fastMask: { value: number };
  constMask: { value: number };
  [constant: `c${number}`]: { value: bigint };
  [entry: `f${number}`]: (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, fp: number) => bigint;
}

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A program compiled to WebAssembly and instantiated against one machine's memory, maps and
 * helpers. Runs have the interpreter's semantics (src/vm/interpreter.ts): r1 = ctx, r2 as given,
 * r10 = the top of frame 0, other registers 0; helper calls set `env.pc` and leave r1–r5 as they
 * were; BPF-to-BPF calls take a new 512-byte frame below the caller's, to MAX_CALL_FRAMES deep;
 * bpf_tail_call runs the target in the caller's frame and returns its r0 from the calling
 * function, as the kernel does. Runs are not re-entrant (one at a time per executable), except
 * through callbacks and tail calls, which nest.
 *
 * Budget: the rule of src/vm/protocol.ts, the same fault on the same instruction as the
 * interpreter. The generated code charges each straight-line segment on entry; a segment the
 * budget cannot pay for in full runs its paid-for part on the interpreter's steps of this
 * program ({@link budgetOut}), which then faults on the first instruction that could not run.
 */
export class WasmExecutable implements Executable {
  private readonly exports: ProgramExports;
  private readonly defs: (HelperDef | undefined)[];
  private registry: HelperRegistry;
  private env!: RunEnv;
  /** Frame start of the function that called the helper running now: a callback's frame goes below it. */
  private callerLow = STACK_END - FRAME_SIZE;
  /** The budget the outermost run started with, for fault messages. */
  private budgetTotal = 0;

  constructor(
    readonly program: ProgramSpec,
    readonly compiled: CompiledProgram,
    machine: MachineShape,
    private readonly decoded: Decoded,
  ) {
    this.registry = machine.helpers;
    this.defs = compiled.helperIds.map((id) => machine.helpers.get(id));
    const imports: Record<string, WebAssembly.ImportValue> = {
      mem: machine.mem.memory,
      memCheck: this.memCheck,
      fault: this.fault,
      callx: this.callx,
      tail: this.tail,
      kfunc: this.kfunc,
      budgetOut: this.budgetOut,
      ldAbs: (pc: number, size: number, offset: number, r6: number): number => {
        this.env.pc = pc;
        return skbLoad(this.env, r6 >>> 0, offset, size as 1 | 2 | 4);
      },
      mapKey: (pc: number, mapHandle: number, keyAddr: number): void => {
        this.env.pc = pc;
        this.registry.noteMapKey?.(this.env, mapHandle >>> 0, keyAddr >>> 0);
      },
      interpret: this.interpret,
    };
    compiled.helperIds.forEach((id, i) => {
      imports[`h${id}`] = this.helperImport(id, i);
      imports[`hf${id}`] = this.fastHelperImport(id, i);
    });
    const instance = new WebAssembly.Instance(compiled.module, { env: imports });
    this.exports = instance.exports as unknown as ProgramExports;
    this.allowInline();
  }

  /**
   * Sets the `inl` global: for each helper whose calls have inline code, while the registry lets
   * the engine carry it out itself (HelperDef.inline), the bit of the variant its form uses for
   * `progType` programs; and the `fastMask` global: a bit per helper with a fast form, whose calls
   * then only need their own arguments below 2^32.
   */
  private allowInline(progType = -1): void {
    let bits = 0;
    let fast = 0;
    this.inlineFor = progType;
    this.compiled.helperIds.forEach((id, i) => {
      const form = this.registry.shape?.(id).inline;
      const shift = this.compiled.inlineShifts.get(id);
      const variant = form?.variantFor(progType) ?? -1;
      if (shift !== undefined && variant >= 0 && this.defs[i]?.inline === true) bits |= 1 << (shift + variant);
      if (i < 31 && this.defs[i]?.fast !== undefined) fast |= 1 << i;
    });
    this.exports.inl.value = bits;
    this.exports.fastMask.value = fast;
    let constMask = 0;
    this.constants = [];
    this.compiled.helperIds.forEach((id, i) => {
      const def = this.defs[i];
      const global = this.exports[`c${id}`];
      if (def?.constant === undefined || global === undefined) return;
      this.constants.push({ def, global });
      constMask |= 1 << i;
    });
    this.exports.constMask.value = constMask;
  }

  /**
   * Runs the program with r1 = `ctxAddr` (and r2 = `r2`) and returns r0 as an unsigned 64-bit
   * bigint. Consumes `env.budget` and counts tail calls in `env.tailCalls`; faults throw VmFault.
   */
  run(env: RunEnv, ctxAddr: number, r2 = 0): bigint {
    checkRunArg(1, ctxAddr);
    checkRunArg(2, r2);
    const mem = env.mem;
    this.enter(env);
    syncCtxRules(mem);
    syncMapSlots(mem, env.maps, env.cpu);
    const budget = env.budget;
    this.budgetTotal = budget;
    const prevCallback = env.callback;
    env.callback = this.callback;
    mem.stackLow = STACK_END - FRAME_SIZE;
    const slice = Math.min(Math.max(budget, 0), MAX_SLICE);
    const g = this.exports.budget;
    g.value = slice;
    try {
      const r0 = this.exports.run(ctxAddr >>> 0, Math.floor(ctxAddr / 0x1_0000_0000) >>> 0, r2 >>> 0, Math.floor(r2 / 0x1_0000_0000) >>> 0);
      return u64(r0);
    } catch (err) {
      throw spentAll(err, g);
    } finally {
      env.budget = Math.max(0, budget - (slice - g.value));
      env.callback = prevCallback;
      mem.stackLow = STACK_END - FRAME_SIZE;
    }
  }

  /**
   * {@link run} with r2 = 0 through the module's `enter` export: r0's low half comes back as an
   * unsigned number, its high half at CTRL.RUN_R0_HI; the budget goes in as an argument and comes
   * back through the control block, so no BigInt is made and no global is read or written from
   * here on the way.
   */
  runSplit(env: RunEnv, ctxAddr: number): number {
    if (!(ctxAddr > 0 && ctxAddr <= 0xffff_ffff)) {
      const r0 = this.run(env, ctxAddr);
      env.mem.view.setUint32(LAYOUT.CTRL + CTRL.RUN_R0_HI, Number(r0 >> 32n), true);
      return Number(r0 & 0xffff_ffffn);
    }
    const mem = env.mem;
    this.enter(env);
    let tables = this.tables;
    if (tables === undefined || tables.mem !== mem) tables = this.tables = syncedTablesOf(mem);
    syncCtxRules(mem, tables);
    syncMapSlots(mem, env.maps, env.cpu, tables);
    const budget = env.budget;
    this.budgetTotal = budget;
    const prevCallback = env.callback;
    env.callback = this.callback;
    mem.stackLow = STACK_END - FRAME_SIZE;
    const slice = Math.min(Math.max(budget, 0), MAX_SLICE);
    try {
      const lo = this.exports.enter(ctxAddr, slice) >>> 0;
      env.budget = Math.max(0, budget - (slice - mem.view.getInt32(LAYOUT.CTRL + CTRL.RUN_BUDGET, true)));
      return lo;
    } catch (err) {
      const g = this.exports.budget;
      const thrown = spentAll(err, g);
      env.budget = Math.max(0, budget - (slice - g.value));
      throw thrown;
    } finally {
      env.callback = prevCallback;
      mem.stackLow = STACK_END - FRAME_SIZE;
    }
  }

  /** What this executable's memory holds of the context rules and map slots ({@link runSplit}'s shortcut to them). */
  private tables: SyncedTables | undefined;

  /**
   * Runs the program `runs` times with r1 = `ctxAddr`, as BPF_PROG_TEST_RUN's repeat does and as
   * `runs` calls of {@link run} would, each starting with `budget` instructions and no tail calls
   * taken, in one crossing into WebAssembly. Returns the last r0; `env.budget` is what the last
   * run left. A fault stops the loop and throws.
   */
  runMany(env: RunEnv, ctxAddr: number, runs: number, budget: number): bigint {
    checkRunArg(1, ctxAddr);
    if (!Number.isSafeInteger(runs) || runs < 1 || runs > 0x7fff_ffff) throw new RangeError(`runs: expected 1 to 2^31-1, got ${runs}`);
    const mem = env.mem;
    this.enter(env);
    syncCtxRules(mem);
    syncMapSlots(mem, env.maps, env.cpu);
    this.budgetTotal = budget;
    const prevCallback = env.callback;
    env.callback = this.callback;
    env.tailCalls = 0;
    mem.stackLow = STACK_END - FRAME_SIZE;
    const slice = Math.min(Math.max(budget, 0), MAX_SLICE);
    const g = this.exports.budget;
    g.value = slice;
    try {
      return u64(this.exports.repeat(ctxAddr >>> 0, Math.floor(ctxAddr / 0x1_0000_0000) >>> 0, runs, slice));
    } catch (err) {
      throw spentAll(err, g);
    } finally {
      // The last run tried no tail call: its count reset is still pending.
      if (this.exports.tailFresh.value !== 0) {
        this.exports.tailFresh.value = 0;
        env.tailCalls = 0;
      }
      env.budget = Math.max(0, budget - (slice - g.value));
      env.callback = prevCallback;
      mem.stackLow = STACK_END - FRAME_SIZE;
    }
  }

  /**
   * For a driver that calls the module's `repeat` export from WebAssembly itself, one run at a
   * time (src/vm/wasm/batch.ts): enters `env` as {@link runMany} does before its loop, with
   * `budget` as the total that budget faults name, and returns the export, which the driver's
   * module imports. {@link endDriven} restores what runMany restores after its loop.
   */
  beginDriven(env: RunEnv, budget: number): WebAssembly.ImportValue {
    const mem = env.mem;
    this.enter(env);
    syncCtxRules(mem);
    syncMapSlots(mem, env.maps, env.cpu);
    this.budgetTotal = budget;
    this.drivenCallback = env.callback;
    env.callback = this.callback;
    env.tailCalls = 0;
    mem.stackLow = STACK_END - FRAME_SIZE;
    return this.exports.repeat as unknown as WebAssembly.ImportValue;
  }

  /** Ends what {@link beginDriven} began; `env.budget` is set to what the last run left. */
  endDriven(env: RunEnv): void {
    if (this.exports.tailFresh.value !== 0) {
      this.exports.tailFresh.value = 0;
      env.tailCalls = 0;
    }
    env.budget = Math.max(0, this.exports.budget.value);
    env.callback = this.drivenCallback;
    env.mem.stackLow = STACK_END - FRAME_SIZE;
  }

  private drivenCallback: CallbackFn | undefined;

  /**
   * Runs this program's entry in an existing frame (a tail call from another program of the
   * machine, whose run started with a budget of `budgetTotal`).
   */
  runInFrame(env: RunEnv, fp: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, budget: number, budgetTotal: number): { r0: bigint; budget: number } {
    const prevEnv = this.env;
    const prevTotal = this.budgetTotal;
    this.enter(env);
    this.budgetTotal = budgetTotal;
    const g = this.exports.budget;
    const saved = g.value;
    g.value = budget;
    try {
      const r0 = this.exports.f0(r1, r2, r3, r4, r5, fp);
      return { r0, budget: g.value };
    } catch (err) {
      throw inTailCalledProgram(err, this.program.name);
    } finally {
      this.budgetTotal = prevTotal;
      g.value = saved;
      if (prevEnv) this.enter(prevEnv);
    }
  }

  private enter(env: RunEnv): void {
    this.env = env;
    if (env.helpers !== this.registry) {
      this.registry = env.helpers;
      this.compiled.helperIds.forEach((id, i) => (this.defs[i] = env.helpers.get(id)));
      this.allowInline(env.progType);
    } else if (env.progType !== this.inlineFor) {
      this.allowInline(env.progType);
    }
    // HelperDef.constant: read once per run, into the globals the calls read instead of calling.
    const consts = this.constants;
    for (let k = 0; k < consts.length; k++) {
      const c = consts[k]!;
      c.global.value = BigInt.asIntN(64, c.def.constant!(env));
    }
  }

  /** The program type the `inl` bits were computed for (a form's variant may differ between types), -1 before the first run. */
  private inlineFor = -1;

  /** The helpers of this program with a HelperDef.constant, and the global each one's value goes to. */
  private constants: { def: HelperDef; global: { value: bigint } }[] = [];

  /**
   * What every call from wasm into a JS helper does first: fault on an unknown helper, and hand
   * the helper the calling pc, the budget left and the live stack bottom.
   */
  private enterHelper(maybe: HelperDef | undefined, id: number, pc: number, sl: number, budget: number): HelperDef {
    if (maybe === undefined) throw unknownHelperFault(pc, id);
    const env = this.env;
    env.pc = pc;
    env.budget = budget;
    env.mem.stackLow = sl;
    this.callerLow = sl;
    return maybe;
  }

  /** Gives wasm back the budget when the helper spent some (bpf_loop callbacks run instructions). */
  private leaveHelper(env: RunEnv, budget: number): void {
    if (env.budget !== budget) this.exports.budget.value = Math.min(Math.max(env.budget, -1), MAX_SLICE);
  }

  private helperImport(id: number, index: number) {
    return (pc: number, sl: number, budget: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint => {
      const def = this.enterHelper(this.defs[index], id, pc, sl, budget);
      const env = this.env;
      const r0 = def.fn(env, u64(r1), u64(r2), u64(r3), u64(r4), u64(r5));
      this.leaveHelper(env, budget);
      return r0;
    };
  }

  /**
   * The import for calls whose arguments all fit in 32 bits: HelperDef.fast when the helper has
   * one. r0 goes back as an f64 (no BigInt on the way): a safe integer, negative for its two's
   * complement, or NaN with r0 in the `bigR0` global when `fn`'s result is not a safe integer.
   */
  private fastHelperImport(id: number, index: number) {
    return (pc: number, sl: number, budget: number, r1: number, r2: number, r3: number, r4: number, r5: number): number => {
      const def = this.enterHelper(this.defs[index], id, pc, sl, budget);
      const env = this.env;
      // NaN from a fast form: its answer is no safe integer, ask the reference form.
      let r0 = def.fast !== undefined ? def.fast(env, r1 >>> 0, r2 >>> 0, r3 >>> 0, r4 >>> 0, r5 >>> 0) : NaN;
      if (r0 !== r0) {
        const big = BigInt.asIntN(64, def.fn(env, BigInt(r1 >>> 0), BigInt(r2 >>> 0), BigInt(r3 >>> 0), BigInt(r4 >>> 0), BigInt(r5 >>> 0)));
        if (big >= -SAFE && big <= SAFE) r0 = Number(big);
        else this.exports.bigR0.value = big;
      }
      this.leaveHelper(env, budget);
      return r0;
    };
  }

  /** A kfunc call (BPF_PSEUDO_KFUNC_CALL) by BTF id, through the registry as helpers go. */
  private readonly kfunc = (pc: number, sl: number, btfId: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint => {
    const env = this.env;
    const def = kfuncAt(env, pc, btfId);
    env.pc = pc;
    env.mem.stackLow = sl;
    this.callerLow = sl;
    return def.fn(env, u64(r1), u64(r2), u64(r3), u64(r4), u64(r5));
  };

  private readonly callx = (pc: number, sl: number, budget: number, reg: bigint, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint => {
    const id = Number(BigInt.asUintN(32, reg));
    const def = this.enterHelper(this.env.helpers.get(id), id, pc, sl, budget);
    const env = this.env;
    const r0 = def.fn(env, u64(r1), u64(r2), u64(r3), u64(r4), u64(r5));
    this.leaveHelper(env, budget);
    return r0;
  };

  /** The slow path of the inline bounds check: VmMemory.check with this frame as the lowest live one. */
  private readonly memCheck = (lo: number, hi: number, size: number, write: number, pc: number, sl: number): void => {
    const mem = this.env.mem;
    mem.stackLow = sl;
    if (hi !== 0) throw outsideAddressSpaceFault(pc, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), size, write !== 0);
    mem.check(lo >>> 0, size, write !== 0, pc);
  };

  private readonly fault = (kind: number, pc: number): void => {
    switch (kind) {
      case FaultKind.CALL_DEPTH:
        throw callDepthFault(pc);
      case FaultKind.FELL_OFF:
        throw fellOffFault(pc);
      default:
        throw lddwTailFault(pc);
    }
  };

  /** The interpreter's state for {@link budgetOut}, made on first use. */
  private stepState: RunState | undefined;

  /**
   * The budget ran out in the straight-line segment starting at `pc` (no calls, jumps or exits
   * inside it): runs the `left` instructions the budget still pays for on the interpreter's
   * steps, from the registers the generated code had, so that a fault among them is the one the
   * interpreter gives, then faults naming the first instruction that could not run.
   */
  private readonly budgetOut = (pc: number, left: number, sl: number, ...regs: bigint[]): void => {
    const env = this.env;
    // The run ends here with nothing left, wherever the generated code's remainder stood.
    this.exports.budget.value = -1;
    const st = (this.stepState ??= new RunState(undefined));
    st.env = env;
    st.mem = env.mem;
    st.cur = this.decoded;
    st.syncViews();
    st.setStackLow(sl);
    const { lo, hi } = this.decoded;
    for (let r = 0; r <= 10; r++) {
      const v = BigInt.asUintN(64, regs[r]!);
      lo[r] = Number(v & 0xffffffffn);
      hi[r] = Number(v >> 32n);
    }
    let at = pc;
    for (let i = 0; i < left; i++) at = this.decoded.steps[at]!(at, st);
    throw budgetFault(at, this.budgetTotal);
  };

  /**
   * Runs the BPF function at `entry` on the interpreter's steps of this program, entered as the
   * generated function is (r1–r5 as given, r0 and r6–r9 zero, r10 = `fp`), until it returns, and
   * returns its r0: what a function with a budget bound does when the budget left does not cover
   * it (lower.ts budgetBound), so that a budget fault names the instruction the interpreter
   * names. Such a function makes no call that enters the program again.
   */
  private readonly interpret = (entry: number, fp: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint => {
    const env = this.env;
    const g = this.exports.budget;
    const st = (this.stepState ??= new RunState(undefined));
    st.env = env;
    st.mem = env.mem;
    st.cur = this.decoded;
    st.depth = 0;
    st.budgetTotal = this.budgetTotal;
    st.syncViews();
    const sl = (fp >>> 0) - FRAME_SIZE;
    st.setStackLow(sl);
    const { lo, hi } = this.decoded;
    const args = [0n, r1, r2, r3, r4, r5, 0n, 0n, 0n, 0n, BigInt(fp >>> 0)];
    for (let r = 0; r <= 10; r++) {
      const v = BigInt.asUintN(64, args[r]!);
      lo[r] = Number(v & 0xffffffffn);
      hi[r] = Number(v >> 32n);
    }
    env.budget = g.value;
    try {
      const P = execute(st, 0, entry);
      return toBig(P.lo[0]!, P.hi[0]!);
    } finally {
      g.value = env.budget;
      env.mem.stackLow = sl;
    }
  };

  /**
   * bpf_tail_call(ctx, map = r2, index = r3) as the interpreter (and the x86-64 JIT) does it: an
   * index past max_entries, an exhausted MAX_TAIL_CALL_CNT or an empty slot falls through with
   * r0 as it was, and only a taken call counts; a taken call runs the target in this frame and
   * its r0 becomes this function's result.
   */
  private readonly tail = (pc: number, sl: number, budget: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): number => {
    const env = this.env;
    env.pc = pc;
    const fresh = this.exports.tailFresh;
    if (fresh.value !== 0) {
      // The first tail call of a run of `repeat`: the count starts at 0 (see runMany).
      fresh.value = 0;
      env.tailCalls = 0;
    }
    const target = resolveTailCall(env, pc, u64(r2), Number(BigInt.asUintN(32, r3)));
    if (target === undefined) return 0;
    if (!(target instanceof WasmExecutable)) throw new VmFault('vm/bad-tail-call', `insn ${pc}: the tail-called program has no wasm executable`, pc);
    const fp = sl + FRAME_SIZE;
    const out = target.runInFrame(env, fp, r1, r2, r3, r4, r5, budget, this.budgetTotal);
    env.mem.stackLow = sl;
    this.exports.budget.value = out.budget;
    this.exports.tailR0.value = out.r0;
    return 1;
  };

  /** RunEnv.callback during a run: the function at `func` in a new frame below the helper's caller. */
  private readonly callback: CallbackFn = (func, r1, r2, r3, r4, r5) => {
    const env = this.env;
    const pc = funcPcOf(func);
    const entry = pc >= 0 ? this.exports[`f${pc}`] : undefined;
    if (entry === undefined) {
      throw new VmFault('vm/bad-callback', `insn ${env.pc}: 0x${func.toString(16)} is not a function of program '${this.program.name}'`, env.pc);
    }
    const callerLow = this.callerLow;
    if (callerLow - FRAME_SIZE < LAYOUT.STACK) throw callDepthFault(env.pc);
    const g = this.exports.budget;
    g.value = Math.min(Math.max(env.budget, 0), MAX_SLICE);
    const before = g.value;
    try {
      return u64(entry(r1, r2, r3, r4, r5, callerLow));
    } finally {
      env.budget -= before - g.value;
      this.callerLow = callerLow;
      env.mem.stackLow = callerLow;
    }
  };
}

/** What a memory's control block holds: the context rule and size its WASM_CTX_RULES table was written for, the maps of its map slots. */
interface SyncedTables {
  readonly mem: VmMemory;
  rule: VmMemory['ctxRule'] | undefined;
  size: number;
  maps: readonly VmMap[] | undefined;
}

const syncedTables = new WeakMap<VmMemory, SyncedTables>();

function syncedTablesOf(mem: VmMemory): SyncedTables {
  let tables = syncedTables.get(mem);
  if (tables === undefined) syncedTables.set(mem, (tables = { mem, rule: undefined, size: -1, maps: undefined }));
  return tables;
}

/**
 * Writes the run's CPU and, when `maps` are not the ones they were written for, the control
 * block's map slots (layout.ts CTRL.MAP_SLOTS: VmMap.inlineSlot of each map, zeros for the
 * others) that the generated code's inline lookups read.
 */
function syncMapSlots(mem: VmMemory, maps: readonly VmMap[], cpu: number, tables = syncedTablesOf(mem)): void {
  const v = mem.view;
  v.setUint32(LAYOUT.CTRL + CTRL.WASM_CPU, cpu, true);
  if (tables.maps === maps) return;
  for (let i = 0; i < MAP_SLOTS_MAX; i++) {
    const words = i < maps.length ? maps[i]!.inlineSlot?.() : undefined;
    const at = LAYOUT.CTRL + CTRL.MAP_SLOTS + i * MAP_SLOT_SIZE;
    for (let w = 0; w < MAP_SLOT_SIZE / 4; w++) v.setUint32(at + 4 * w, words?.[w] ?? 0, true);
  }
  tables.maps = maps;
}

/**
 * Writes VmMemory.ctxRule into the control block's WASM_CTX_RULES table that the generated code's
 * inline context check reads, when the rule or the context size changed since the last run.
 */
function syncCtxRules(mem: VmMemory, tables = syncedTablesOf(mem)): void {
  if (tables.rule === mem.ctxRule && tables.size === mem.ctxSize) return;
  const size = Math.min(mem.ctxSize, 256);
  const table = new Uint8Array(256);
  for (let off = 0; off < size; off++) {
    for (const n of [1, 2, 4, 8]) {
      if (off + n > size) continue;
      if (mem.ctxRule(off, n, false)) table[off]! |= ctxBit(n, false);
      if (mem.ctxRule(off, n, true)) table[off]! |= ctxBit(n, true);
    }
  }
  mem.u8.set(table, LAYOUT.CTRL + CTRL.WASM_CTX_RULES);
  mem.view.setUint32(LAYOUT.CTRL + CTRL.WASM_CTX_SIZE, size, true);
  tables.rule = mem.ctxRule;
  tables.size = mem.ctxSize;
}

/** A budget fault leaves nothing of the budget, even when it came from a tail-called program's module. */
function spentAll(err: unknown, budget: { value: number }): unknown {
  if (err instanceof VmFault && err.code === 'vm/budget-exceeded') budget.value = -1;
  return err;
}
