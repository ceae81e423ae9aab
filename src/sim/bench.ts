import { SimError, VmFault } from '../internal/errors.js';
import { checkHelpers, createHelperRegistry, readSkbResult, readXdpResult, setupSkb, setupXdp } from '../helpers/index.js';
import { alu64, exit, jmp, label, link, mem, R0, R1, R2, R3, R4, R6, R7, R10, type Built, type Label } from '../isa/builder.js';
import { SKB_CTX_IN_FIELDS, XDP_CTX_IN_FIELDS } from '../kernel/ctx.js';
import type { ProgramSpec } from '../loader/spec.js';
import { actionName, BPF_PROG_TYPE } from '../uapi/index.js';
import { getEngine, type EngineName } from '../vm/engines.js';
import type { Executable, HelperRegistry, RunEnv } from '../vm/env.js';
import { LAYOUT } from '../vm/layout.js';
import type { Case } from './case.js';
import { Machine, resolveProgType, type CtxInput, type RunOutcome } from './machine.js';
import { applyCaseMaps } from './run-case.js';
import { sourceOf } from './source.js';

const NETWORKING_TYPES: readonly number[] = [BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT];

/**
 * One program of a {@link Machine} run again and again on one buffer, as the loop of
 * `bpf_test_run` (net/bpf/test_run.c) runs it for BPF_PROG_TEST_RUN's `repeat`: the packet and
 * the context are laid out once by {@link RepeatRun.start}, and every run after the first sees
 * what the one before left (rewritten bytes, a moved `data`, a changed `skb->mark`), for XDP and
 * TC alike; map state carries over too. Checked on this machine's 6.18 kernel with
 * bpf/tests/bench_repeat.c: after `repeat` 5, an incremented byte is up by 5, `skb->mark` by 5,
 * and bpf_xdp_adjust_head(ctx, 1) has taken 5 bytes off the front.
 *
 * The per-run path does only what a run needs: reset the per-run kernel outputs and the budget,
 * and enter the prepared program. The programs are prepared here (on the machine's engine, with
 * its memory, maps and simulated kernel) rather than through {@link Machine.run}, which lays the
 * packet out anew on every call.
 */
export class RepeatRun {
  readonly progType: number;
  readonly program: ProgramSpec;
  private readonly executable: Executable;
  private readonly env: RunEnv;
  private ctx: CtxInput = {};
  private r0 = 0n;
  private started = false;
  /** Runs since {@link RepeatRun.start}. */
  count = 0;

  constructor(
    readonly machine: Machine,
    programName: string,
    type?: 'xdp' | 'tc',
  ) {
    this.program = machine.program(programName);
    this.progType = resolveProgType(this.program, type);
    const engine = getEngine(machine.options.engine ?? 'wasm');
    const registries = new Map<number, HelperRegistry>();
    const registry = (t: number) => {
      let r = registries.get(t);
      if (!r) registries.set(t, (r = createHelperRegistry(t, machine.kernel)));
      return r;
    };
    // As Machine prepares them: every program of the object, so that tail calls reach them, each
    // with its own type when its section gives one.
    const programs = machine.spec.programs.map((p) => {
      const t = NETWORKING_TYPES.includes(p.type) ? p.type : this.progType;
      checkHelpers(p, t);
      return engine.prepare(p, { mem: machine.mem, maps: machine.maps, helpers: registry(t) });
    });
    this.executable = programs[machine.spec.programs.indexOf(this.program)]!;
    this.env = {
      mem: machine.mem,
      maps: machine.maps,
      helpers: registry(this.progType),
      progType: this.progType,
      cpu: machine.cpu,
      pc: 0,
      budget: machine.budget,
      programs,
      tailCalls: 0,
    };
  }

  /** Lays out `packet` and `ctx` as BPF_PROG_TEST_RUN does before its loop; refuses what it refuses. */
  start(packet: Uint8Array, ctx: CtxInput = {}): void {
    const { mem, kernel } = this.machine;
    kernel.beginRun();
    if (this.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP) setupXdp(mem, packet, ctx, kernel);
    else setupSkb(mem, packet, ctx, kernel);
    this.ctx = ctx;
    this.count = 0;
    this.started = true;
  }

  /**
   * Runs the program `n` more times on what the previous run left and returns the last r0. A
   * fault throws the VmFault with the C line and the run's number (from 1) as context.
   */
  repeat(n: number): bigint {
    if (!this.started) throw new RangeError('repeat: call start() first');
    const { env, executable } = this;
    const kernel = this.machine.kernel;
    const budget = this.machine.budget;
    let i = 0;
    try {
      for (; i < n; i++) {
        kernel.beginRun();
        env.budget = budget;
        env.tailCalls = 0;
        this.r0 = executable.run(env, LAYOUT.CTX);
      }
    } catch (err) {
      if (err instanceof VmFault && err.source === undefined) err.source = sourceOf(this.program, err.pc);
      this.count += i;
      if (err instanceof SimError) throw err.withContext(`run ${this.count + 1}`);
      throw err;
    }
    this.count += n;
    return this.r0;
  }

  /** The outcome of the last run, as {@link Machine.run} reports one (packet and ctx_out as they are now). */
  outcome(): RunOutcome {
    const xdp = this.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
    const { mem, kernel } = this.machine;
    const out = xdp ? readXdpResult(mem, this.ctx) : readSkbResult(mem, this.ctx);
    const fields: readonly string[] = xdp ? XDP_CTX_IN_FIELDS : SKB_CTX_IN_FIELDS;
    const retval = Number(this.r0 & 0xffff_ffffn);
    return {
      r0: this.r0,
      retval,
      action: actionName(this.progType, retval),
      packet: out.packet,
      ctx: Object.fromEntries(Object.entries(out.ctx).filter(([name]) => fields.includes(name))),
      redirect: kernel.redirect ? { ifindex: kernel.redirect.ifindex, flags: kernel.redirect.flags } : null,
      trace: [...kernel.trace],
    };
  }
}

/** Options of {@link benchCase}. */
export interface BenchOptions {
  /** Engine; default `wasm`. */
  engine?: EngineName;
  /** Exact number of timed runs; default as many as fill `targetMs`. */
  runs?: number;
  /** Time the timed runs should take when `runs` is not given, ms; default 1000. */
  targetMs?: number;
  /** Warm-up time on a separate machine before the timed runs, ms; default 200 (at least 20 when `runs` is not given). */
  warmupMs?: number;
}

/** What {@link benchCase} measured. */
export interface BenchResult {
  /** Mean wall time of one run, ns (the timed loop divided by `runs`, as the kernel's `duration`). */
  ns_per_run: number;
  /** Timed runs. */
  runs: number;
  engine: EngineName;
  /** The last run's outcome: after `runs` runs, as the kernel's data_out after `repeat` runs. */
  outcome: RunOutcome;
}

const now = () => process.hrtime.bigint();

/**
 * Benchmarks a case as `BPF_PROG_TEST_RUN` with `repeat` does: the case's program runs `runs`
 * times on one buffer without restoring it (see {@link RepeatRun}), timed with
 * process.hrtime.bigint() around the loop only. Warm-up and, without `runs`, the choice of a
 * run count happen first on a separate machine made from the same loaded object (so the engine
 * reuses its compiled code and the JIT is warm), then the timed runs start on a fresh machine
 * with the case's maps: its end state is what the kernel leaves after `repeat` = `runs`.
 */
export async function benchCase(c: Case, options: BenchOptions = {}): Promise<BenchResult> {
  const engine = options.engine ?? 'wasm';
  if (options.runs !== undefined && (!Number.isSafeInteger(options.runs) || options.runs < 1)) {
    throw new RangeError(`runs: expected a positive integer, got ${options.runs}`);
  }
  const targetNs = (options.targetMs ?? 1000) * 1e6;
  const warmupNs = BigInt(Math.round(Math.max(options.warmupMs ?? 200, options.runs === undefined ? 20 : 0) * 1e6));
  const first = await Machine.load(c.objectPath, { engine, fib: c.fib, type: c.type });
  let runs = options.runs ?? 1;
  if (warmupNs > 0n) {
    applyCaseMaps(first, c);
    const warm = new RepeatRun(first, c.program, c.type);
    warm.start(c.packet, c.ctx ?? {});
    let batch = 1;
    let spent = 0n;
    let lastNsPerRun = 0;
    while (spent < warmupNs) {
      const t0 = now();
      warm.repeat(batch);
      const dt = now() - t0;
      spent += dt;
      lastNsPerRun = Number(dt) / batch;
      if (dt < 20_000_000n) batch *= 2;
    }
    if (options.runs === undefined) runs = Math.min(1e9, Math.max(1, Math.round(targetNs / Math.max(lastNsPerRun, 1))));
  }
  const machine = warmupNs > 0n ? new Machine(first.spec, first.options) : first;
  applyCaseMaps(machine, c);
  const timed = new RepeatRun(machine, c.program, c.type);
  timed.start(c.packet, c.ctx ?? {});
  const t0 = now();
  timed.repeat(runs);
  const elapsed = now() - t0;
  return { ns_per_run: Number(elapsed) / runs, runs, engine, outcome: timed.outcome() };
}

/**
 * A synthetic XDP program of about `insns` instructions for compile-time measurements, shaped
 * like clang output for a packet parser: blocks that check a packet bound, load a byte, mix it
 * into two accumulators with 64- and 32-bit ALU operations, spill to and reload from the stack,
 * and branch forward over part of the next block. It returns XDP_PASS (2) on any packet.
 */
export function syntheticProgram(insns = 4000): ProgramSpec {
  const BLOCK = 16;
  const blocks = Math.max(1, Math.floor((insns - 8) / BLOCK));
  const items: (Built | Label)[] = [
    mem.load('u32', R2, R1, 0), // data
    mem.load('u32', R3, R1, 4), // data_end
    alu64.mov.imm(R6, 0),
    alu64.mov.imm(R7, 1),
  ];
  for (let b = 0; b < blocks; b++) {
    const off = b % 14;
    items.push(
      alu64.mov.reg(R4, R2),
      alu64.add.imm(R4, off + 1),
      jmp.jgt.reg(R4, R3, 'out'),
      mem.load('u8', R0, R2, off),
      alu64.add.reg(R6, R0),
      alu64.xor.imm(R6, (Math.imul(b, 40503) >>> 0) & 0x7fffffff),
      alu64.lsh.imm(R7, 1),
      alu64.or.reg(R7, R0),
      mem.store('u64', R10, -8 - (b % 32) * 8, R6),
      mem.load('u64', R4, R10, -8 - ((b + 7) % 32) * 8),
      alu64.add.reg(R7, R4),
      jmp.jeq.imm(R0, 0xff, `b${b}`),
      alu64.mul.imm(R6, 31),
      alu64.rsh.imm(R7, 3),
      label(`b${b}`),
      alu64.and.imm(R6, 0xffffff),
      alu64.sub.imm(R7, 1),
    );
  }
  items.push(label('out'), alu64.mov.imm(R0, 2), exit());
  // The stack slots are read before they are written in the first blocks: zero them, as a
  // verifier-accepted program would.
  const prologue: Built[] = [];
  for (let s = 0; s < 32; s++) prologue.push(mem.storeImm('u64', R10, -8 - s * 8, 0));
  const linked = link([...prologue, ...items]);
  return { name: 'synthetic', sectionName: 'xdp', type: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, insns: linked, functions: [{ name: 'synthetic', pc: 0 }], lines: [], flags: 0 };
}
