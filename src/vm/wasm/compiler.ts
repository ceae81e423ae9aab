import type { ProgramSpec } from '../../loader/spec.js';
import { CTRL, LAYOUT, STACK_END, WASM_PAGE } from '../layout.js';
import { basicBlocks, functionEntries, lddwTails, type BasicBlock } from './cfg.js';
import { slabCheck } from './builtins.js';
import type { InlineFunction } from './inline-api.js';
import { F64, FuncBody, I32, I64, ModuleBuilder, Op } from './encoder.js';
import type { LowerImports } from './locals.js';
import { lowerFunction, type LowerProgram } from './lower.js';
import { BPF_FUNC_tail_call } from '../../uapi/helper-names.js';
import type { HelperShape, ProvenAccesses } from '../env.js';

/** A program translated to one WebAssembly module, ready to instantiate against a machine. */
export interface CompiledProgram {
  readonly module: WebAssembly.Module;
  /** Helper ids imported as `env.h<id>` (and their 32-bit-argument forms `env.hf<id>`), in import order. */
  readonly helperIds: readonly number[];
  /** Entry pcs of the BPF functions, each exported as `f<pc>`. */
  readonly entries: readonly number[];
  /** Size of the module, bytes. */
  readonly size: number;
  /** The first bit in the `inl` global of each helper whose calls are inlined (HelperShape.inline), one bit per variant of its form. */
  readonly inlineShifts: ReadonlyMap<number, number>;
  /** Whether the program has bpf_tail_call instructions (its `repeat` export then sets the `tailFresh` global before each run). */
  readonly tailCalls: boolean;
}

/**
 * Translates `spec` into a WebAssembly module: every BPF function (the program at pc 0 and each
 * BPF-to-BPF call target) becomes a function `(r1..r5 i64, fp i32) → r0 i64` exported as
 * `f<pc>`, `run(r1lo, r1hi, r2lo, r2hi) → r0` calls the program in frame 0 and
 * `repeat(r1lo, r1hi, runs, budget) → r0` calls it `runs` times (runs >= 1), each run starting
 * with `budget` in the budget global, and returns the last r0. Memory, helpers
 * and the slow paths are imports (see runtime.ts); `budget` (i32) and `tailR0` (i64) are
 * exported mutable globals. `lddwValue(pc)` gives each lddw's resolved value (map handles and
 * value addresses are machine-specific, so they are constants of this module). `proven` is what
 * the verifier proved of the program's accesses (see lower-mem.ts), if it was verified.
 */
export function compileProgram(spec: ProgramSpec, lddwValue: (pc: number) => bigint, shape: (id: number) => HelperShape, proven?: ProvenAccesses): CompiledProgram {
  const insns = spec.insns;
  const entries = functionEntries(insns, spec.functions);
  const blocks = basicBlocks(insns, 0, insns.length, entries);
  const blockAt = new Map<number, BasicBlock>(blocks.map((b) => [b.start, b]));
  const prog: LowerProgram = { insns, lddwValue, blockAt, lddwTail: lddwTails(insns), proven };

  const helperIds: number[] = [];
  let tailCalls = false;
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc]!;
    if (insn.opcode === 0x85 && insn.src === 0 && insn.imm !== BPF_FUNC_tail_call && !helperIds.includes(insn.imm)) helperIds.push(insn.imm);
    if (insn.opcode === 0x85 && insn.src === 0 && insn.imm === BPF_FUNC_tail_call) tailCalls = true;
    if (insn.opcode === 0x18) pc++;
  }

  const m = new ModuleBuilder();
  m.importMemory('env', 'mem', Math.ceil(LAYOUT.HEAP / WASM_PAGE));
  const memCheck = m.importFunc('env', 'memCheck', [I32, I32, I32, I32, I32, I32], []);
  const fault = m.importFunc('env', 'fault', [I32, I32], []);
  const callx = m.importFunc('env', 'callx', [I32, I32, I32, I64, I64, I64, I64, I64, I64], [I64]);
  const tailCall = m.importFunc('env', 'tail', [I32, I32, I32, I64, I64, I64, I64, I64], [I32]);
  const kfunc = m.importFunc('env', 'kfunc', [I32, I32, I32, I64, I64, I64, I64, I64], [I64]);
  const budgetOut = m.importFunc('env', 'budgetOut', [I32, I32, I32, ...Array<number>(11).fill(I64)], []);
  const ldAbs = m.importFunc('env', 'ldAbs', [I32, I32, I32, I32], [F64]);
  const mapKey = m.importFunc('env', 'mapKey', [I32, I32, I32], []);
  const interpret = m.importFunc('env', 'interpret', [I32, I32, I64, I64, I64, I64, I64], [I64]);
  const helperIndex = new Map<number, number>();
  const fastIndex = new Map<number, number>();
  for (const id of helperIds) {
    helperIndex.set(id, m.importFunc('env', `h${id}`, [I32, I32, I32, I64, I64, I64, I64, I64], [I64]));
    fastIndex.set(id, m.importFunc('env', `hf${id}`, [I32, I32, I32, I32, I32, I32, I32, I32], [F64]));
  }
  const budget = m.global(I32, true, 0);
  const tailR0 = m.global(I64, true, 0n);
  m.exportGlobal('budget', budget);
  const bigR0 = m.global(I64, true, 0n);
  const inl = m.global(I32, true, 0);
  m.exportGlobal('inl', inl);
  const fastMask = m.global(I32, true, 0);
  m.exportGlobal('fastMask', fastMask);
  const hitStart = m.global(I64, true, 0n);
  const hitSize = m.global(I64, true, 0n);
  let sites = 0;
  const constMask = m.global(I32, true, 0);
  m.exportGlobal('constMask', constMask);
  const constants = new Map<number, number>();
  helperIds.forEach((id, i) => {
    if (i >= 31 || !shape(id).constantDuringRun) return;
    const g = m.global(I64, true, 0n);
    m.exportGlobal(`c${id}`, g);
    constants.set(id, g);
  });
  m.exportGlobal('tailR0', tailR0);
  // 1 while the tail call count is still the previous run's: the `tail` import clears both, so a repeat needs no import call per run.
  const tailFresh = m.global(I32, true, 0);
  m.exportGlobal('tailFresh', tailFresh);
  m.exportGlobal('bigR0', bigR0);

  const funcIndex = new Map<number, number>();
  for (const pc of entries) funcIndex.set(pc, m.declare([I64, I64, I64, I64, I64, I32], [I64]));

  const runIndex = m.declare([I32, I32, I32, I32], [I64]);
  const repeatIndex = m.declare([I32, I32, I32, I32], [I64]);
  const enterIndex = m.declare([I32, I32], [I32]);
  const slabOk = m.declare([I64, I32, I32], [I32]);
  // Each inlined helper's bits in the `inl` global: one per variant of its form, while 32 last.
  const inlineShifts = new Map<number, number>();
  let inlineBits = 0;
  for (const id of helperIds) {
    const form = shape(id).inline;
    if (form === undefined || inlineBits + form.variants > 32) continue;
    inlineShifts.set(id, inlineBits);
    inlineBits += form.variants;
  }
  // The inline forms' functions, declared as the lowering first asks for each.
  const inlineFuncs = new Map<InlineFunction, number>();
  const inlineFunc = (fn: InlineFunction): number => {
    let index = inlineFuncs.get(fn);
    if (index === undefined) {
      index = m.declare([...fn.params], [...fn.results]);
      inlineFuncs.set(fn, index);
    }
    return index;
  };
  const imports: LowerImports = {
    memCheck,
    fault,
    callx,
    tailCall,
    kfunc,
    budgetOut,
    ldAbs,
    mapKey,
    interpret,
    budget,
    tailR0,
    bigR0,
    inl,
    shape,
    fastMask,
    fastBit: (id) => {
      const i = helperIds.indexOf(id);
      return i >= 0 && i < 31 ? 1 << i : 0;
    },
    constMask,
    constant: (id) => constants.get(id) ?? -1,
    slabOk,
    hitStart,
    hitSize,
    siteCache: () => {
      if (sites >= MAX_CACHED_SITES) return undefined;
      sites++;
      return { start: m.global(I64, true, 0n), limit: m.global(I64, true, 0n) };
    },
    inlineFunc,
    inlineShift: (id) => inlineShifts.get(id) ?? -1,
    helper: (id) => helperIndex.get(id)!,
    fastHelper: (id) => fastIndex.get(id)!,
    funcAt: (pc) => funcIndex.get(pc)!,
  };
  for (const pc of entries) {
    const idx = funcIndex.get(pc)!;
    m.define(idx, lowerFunction(prog, imports, pc));
    m.exportFunc(`f${pc}`, idx);
  }
  m.define(runIndex, runWrapper(funcIndex.get(0)!));
  m.exportFunc('run', runIndex);
  m.define(repeatIndex, repeatWrapper(funcIndex.get(0)!, budget, tailCalls ? tailFresh : -1));
  m.exportFunc('repeat', repeatIndex);
  m.define(enterIndex, enterWrapper(funcIndex.get(0)!, budget));
  m.exportFunc('enter', enterIndex);
  m.define(slabOk, slabCheck(hitStart, hitSize));
  // A body may ask for further functions (a checksum calls its partial sum): define until none is new.
  const defined = new Set<InlineFunction>();
  for (let pending = [...inlineFuncs.keys()]; pending.length > 0; pending = [...inlineFuncs.keys()].filter((fn) => !defined.has(fn))) {
    for (const fn of pending) {
      defined.add(fn);
      m.define(inlineFuncs.get(fn)!, fn.body(inlineFunc));
    }
  }
  const bytes = m.encode();
  return { module: new WebAssembly.Module(bytes), helperIds, entries, size: bytes.length, inlineShifts, tailCalls };
}

/** Memory access sites per module that remember their last map value (two globals each). */
const MAX_CACHED_SITES = 2048;

/**
 * `repeat(r1lo, r1hi, runs, budget)`: BPF_PROG_TEST_RUN's repeat loop without leaving wasm, the
 * program in frame 0 `runs` times with r1 from its halves and r2–r5 zero, each run starting with
 * `budget` instructions (and, with `fresh` >= 0, with that global set to 1: the tail call count
 * is then 0 for the run, which the `tail` import applies when the run first tries a tail call).
 */
function repeatWrapper(main: number, budget: number, fresh: number): FuncBody {
  const f = new FuncBody(4);
  const r1 = f.local(I64);
  const r0 = f.local(I64);
  f.get(1).op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl).get(0).op(Op.i64_extend_i32_u).op(Op.i64_or).set(r1);
  f.loop();
  if (fresh >= 0) f.i32(1).gset(fresh);
  f.get(3).gset(budget);
  f.get(r1).i64(0).i64(0).i64(0).i64(0).i32(STACK_END).call(main).set(r0);
  f.get(2).i32(1).op(Op.i32_sub).tee(2).brIf(0);
  f.end();
  f.get(r0);
  return f;
}

/** `run(r1lo, r1hi, r2lo, r2hi)`: the program in frame 0 with r1, r2 from 32-bit halves, r3–r5 zero. */
function runWrapper(main: number): FuncBody {
  const f = new FuncBody(4);
  const half = (lo: number, hi: number): void => {
    f.get(hi).op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl).get(lo).op(Op.i64_extend_i32_u).op(Op.i64_or);
  };
  half(0, 1);
  half(2, 3);
  f.i64(0).i64(0).i64(0).i32(STACK_END).call(main);
  return f;
}

/**
 * `enter(r1, budget)`: one run with no BigInt and no global crossing the boundary, for runs from
 * the API (WasmExecutable.runEntry): the program in frame 0 with r1 zero-extended from 32 bits,
 * r2–r5 zero and `budget` in the budget global; r0's high half and the budget left go to the
 * control block (CTRL.RUN_R0_HI, CTRL.RUN_BUDGET) and r0's low half is the result.
 */
function enterWrapper(main: number, budget: number): FuncBody {
  const f = new FuncBody(2);
  const r0 = f.local(I64);
  f.get(1).gset(budget);
  f.get(0).op(Op.i64_extend_i32_u).i64(0).i64(0).i64(0).i64(0).i32(STACK_END).call(main).set(r0);
  f.i32(0).get(r0).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64).mem(Op.i32_store, LAYOUT.CTRL + CTRL.RUN_R0_HI);
  f.i32(0).gget(budget).mem(Op.i32_store, LAYOUT.CTRL + CTRL.RUN_BUDGET);
  f.get(r0).op(Op.i32_wrap_i64);
  return f;
}
