import { checkInt } from '../internal/args.js';
import { alu64, exit, jmp, label, link, mem as insn, R0, R1, R2, R3, R4, R6, R7, R10, type Built, type Label } from '../isa/builder.js';
import type { ProgramSpec } from '../loader/spec.js';
import { BPF_PROG_TYPE } from '../uapi/index.js';
import type { EngineName } from '../vm/engines.js';
import type { Case } from './case.js';
import { BpfObject } from './object.js';
import type { ProgramRun } from './program.js';
import { objectForCase } from './run-case.js';

/** Options of {@link benchCase}. */
export interface BenchOptions {
  /** Engine; default `wasm`. */
  engine?: EngineName;
  /** Exact number of timed runs; default as many as fill `targetMs`. */
  runs?: number;
  /** Time the timed runs should take when `runs` is not given, ms; default 1000. */
  targetMs?: number;
  /** Warm-up on a separate object before the timed runs, ms; default 200 (at least 20 when `runs` is not given, to choose it). */
  warmupMs?: number;
}

/** What {@link benchCase} measured. */
export interface BenchResult {
  /** Mean wall time of one timed run, ns: the loop's time divided by `runs`. */
  ns_per_run: number;
  /**
   * Mean CPU time of one timed run, ns: the process's user and system time over the loop divided
   * by `runs`. The kernel's `duration` is this kind of figure: bpf_test_timer stops its clock
   * while the loop is rescheduled (net/bpf/test_run.c, bpf_test_timer_continue), so on a busy
   * machine it leaves out the time other tasks ran, as CPU time does and wall time does not.
   */
  cpu_ns_per_run: number;
  /** Timed runs. */
  runs: number;
  /** The engine the runs ran on. */
  engine: EngineName;
  /** The last run's outcome: what the kernel leaves after `repeat` = `runs` (data_out, retval, ctx_out). */
  outcome: ProgramRun;
  /** The object of the timed runs, to read its maps after them. */
  object: BpfObject;
}

/** Runs of warm-up wanted before timing, when they fit in five times the warm-up time. */
const WARMUP_RUNS = 100_000;

/**
 * Benchmarks a case as `BPF_PROG_TEST_RUN` with `repeat` does, through {@link Program.repeat}:
 * the packet and context are laid out once and every run sees what the one before left, for
 * XDP and TC alike (bpf_test_run in net/bpf/test_run.c loops over the same xdp_buff or skb;
 * checked on this machine's 6.18 kernel with bpf/tests/bench_repeat.c: after `repeat` 5 an
 * incremented byte is up by 5, `skb->mark` by 5, and bpf_xdp_adjust_head(ctx, 1) has taken 5
 * bytes off the front); maps carry over. The time is process.hrtime.bigint() around the loop.
 *
 * Warm-up, and without `runs` the choice of how many runs fill `targetMs`, happen first on a
 * separate object made from the same loaded object, so the engine reuses its compiled code and
 * the JIT is warm; the timed runs then start from the case's packet and maps on a fresh object,
 * and end in the state the kernel leaves after the same number of repeats.
 */
export async function benchCase(c: Case, options: BenchOptions = {}): Promise<BenchResult> {
  const engine = options.engine ?? 'wasm';
  if (options.runs !== undefined) checkInt(options.runs, 'options.runs', 1);
  const targetNs = (options.targetMs ?? 1000) * 1e6;
  const warmupNs = Math.max(options.warmupMs ?? 200, options.runs === undefined ? 20 : 0) * 1e6;
  const ctx = c.ctx ?? {};
  const spec = await BpfObject.readSpec(c.objectPath, c.type, c.kernelBtfPath, c.kconfig);
  // No key recording: benchmarks measure the engine as it runs, map lookups inline.
  const objectOptions = { engine, keyWarnings: false };
  let runs = options.runs ?? 1;
  if (warmupNs > 0) {
    const first = objectForCase(c, spec, objectOptions);
    // V8 optimizes the helpers and the module's hot code after some thousands of runs: warm up
    // for the time given and, within five times that, for WARMUP_RUNS runs; the last, largest
    // batch estimates the time of one run.
    let batch = 1;
    let warmRuns = 0;
    let spentNs = 0;
    let nsPerRun = 0;
    while (spentNs < warmupNs || (warmRuns < WARMUP_RUNS && spentNs < 5 * warmupNs)) {
      nsPerRun = first.program(c.program).repeat(c.packet, { ctx, runs: batch, ...(c.tunnel && { tunnel: c.tunnel }), ...(c.rxMetadata && { rxMetadata: c.rxMetadata }) }).nsPerRun;
      spentNs += nsPerRun * batch;
      warmRuns += batch;
      // Batches grow while one stays within a quarter of the warm-up time.
      if (nsPerRun * batch * 2 <= warmupNs / 4) batch *= 2;
    }
    if (options.runs === undefined) runs = Math.min(2 ** 31 - 1, Math.max(1, Math.round(targetNs / Math.max(nsPerRun, 1))));
  }
  const object = objectForCase(c, spec, objectOptions);
  const cpuBefore = process.cpuUsage();
  const { last, nsPerRun } = object.program(c.program).repeat(c.packet, { ctx, runs, ...(c.tunnel && { tunnel: c.tunnel }), ...(c.rxMetadata && { rxMetadata: c.rxMetadata }) });
  const cpu = process.cpuUsage(cpuBefore);
  return { ns_per_run: nsPerRun, cpu_ns_per_run: ((cpu.user + cpu.system) * 1000) / runs, runs, engine, outcome: last, object };
}

/** Options of {@link benchApiRun}. */
export interface ApiRunBenchOptions {
  /** Time of each measurement, ms; default 300. */
  targetMs?: number;
  /** Pairs of measurements (API, then batch), whose ratios give the median; default 3. */
  rounds?: number;
  /** The frame's length: the case's packet is cut or padded with zeros to it; default 64. */
  packetLen?: number;
}

/** What {@link benchApiRun} measured (medians over the rounds). */
export interface ApiRunBenchResult {
  /** The frame's length, bytes. */
  packet_len: number;
  /** One `program.run(packet)` from the API on an object loaded with defaults, its result made (`checksums`, computed when read, not read), ns. */
  api_ns_per_run: number;
  /** One run inside the engine's batch loop (Program.repeat on an object without key recording), ns. */
  batch_ns_per_run: number;
  /** Median of the rounds' api/batch ratios. */
  ratio: number;
  /** The last API run's action. */
  action: string;
}

/**
 * Measures what a single run from the API costs next to a run inside the engine's own loop, on
 * the wasm engine, for the case's program on a frame of `packetLen` bytes: calls of
 * `program.run(packet, { ctx })` on an object loaded with the defaults (the uninitialised-key
 * check on), against {@link Program.repeat} of the same frame on
 * an object without key recording. Each round times both back to back after a warm-up; the
 * ratio is the median of the rounds' ratios, as the machine's speed moves between rounds.
 */
export async function benchApiRun(c: Case, options: ApiRunBenchOptions = {}): Promise<ApiRunBenchResult> {
  const targetNs = (options.targetMs ?? 300) * 1e6;
  const rounds = options.rounds ?? 3;
  const packet = new Uint8Array(options.packetLen ?? 64);
  packet.set(c.packet.subarray(0, packet.length));
  const ctx = c.ctx ?? {};
  const runOptions = { ctx, ...(c.tunnel && { tunnel: c.tunnel }), ...(c.rxMetadata && { rxMetadata: c.rxMetadata }) };
  const spec = await BpfObject.readSpec(c.objectPath, c.type, c.kernelBtfPath, c.kconfig);
  const api = objectForCase(c, spec, { engine: 'wasm' }).program(c.program);
  const batch = objectForCase(c, spec, { engine: 'wasm', keyWarnings: false }).program(c.program);
  let action = '';
  const apiLoop = (runs: number): number => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) {
      action = api.run(packet, runOptions).action;
    }
    return Number(process.hrtime.bigint() - start) / runs;
  };
  // Warm-up, and the number of runs that fill the target time.
  let apiNs = apiLoop(20_000);
  let batchNs = batch.repeat(packet, { ...runOptions, runs: 200_000 }).nsPerRun;
  const apiNsList: number[] = [];
  const batchNsList: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    apiNs = apiLoop(Math.max(1000, Math.round(targetNs / apiNs)));
    batchNs = batch.repeat(packet, { ...runOptions, runs: Math.min(0x7fff_ffff, Math.max(1000, Math.round(targetNs / batchNs))) }).nsPerRun;
    apiNsList.push(apiNs);
    batchNsList.push(batchNs);
    ratios.push(apiNs / batchNs);
  }
  return { packet_len: packet.length, api_ns_per_run: median(apiNsList), batch_ns_per_run: median(batchNsList), ratio: median(ratios), action };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * A synthetic XDP program of about `insns` instructions for compile-time measurements, shaped
 * like clang output for a packet parser: after zeroing 32 stack slots, blocks of 16 that check
 * a packet bound, load a byte, mix it into two accumulators with 64-bit ALU operations, spill to
 * and reload from the stack, and branch forward over part of the block. It returns XDP_PASS (2)
 * on any packet.
 */
export function syntheticProgram(insns = 4000): ProgramSpec {
  const BLOCK = 16;
  const blocks = Math.max(1, Math.floor((insns - 38) / BLOCK));
  const items: (Built | Label)[] = [
    insn.load('u32', R2, R1, 0), // data
    insn.load('u32', R3, R1, 4), // data_end
    alu64.mov.imm(R6, 0),
    alu64.mov.imm(R7, 1),
  ];
  for (let b = 0; b < blocks; b++) {
    const off = b % 14;
    items.push(
      alu64.mov.reg(R4, R2),
      alu64.add.imm(R4, off + 1),
      jmp.jgt.reg(R4, R3, 'out'),
      insn.load('u8', R0, R2, off),
      alu64.add.reg(R6, R0),
      alu64.xor.imm(R6, (Math.imul(b, 40503) >>> 0) & 0x7fffffff),
      alu64.lsh.imm(R7, 1),
      alu64.or.reg(R7, R0),
      insn.store('u64', R10, -8 - (b % 32) * 8, R6),
      insn.load('u64', R4, R10, -8 - ((b + 7) % 32) * 8),
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
  for (let s = 0; s < 32; s++) prologue.push(insn.storeImm('u64', R10, -8 - s * 8, 0));
  const linked = link([...prologue, ...items]);
  return { name: 'synthetic', sectionName: 'xdp', type: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, insns: linked, functions: [{ name: 'synthetic', pc: 0 }], lines: [], flags: 0 };
}
