/**
 * `npm run bench`: every example program on both VM engines and on the real kernel, in one run,
 * side by side. The VM figures come from benchCase (src/sim/bench.ts), which repeats a case as
 * BPF_PROG_TEST_RUN's `repeat` does; the kernel's from runOnKernel with `repeat`, which reports
 * the kernel's own mean duration per run (net/bpf/test_run.c, bpf_test_timer). Both are CPU
 * time: the kernel's clock stops while its loop is rescheduled, and the VM's figure is the
 * process's CPU time over the loop (its wall time is in --json). Then the
 * load-and-compile time of each example object (load, median of a few) and the compile
 * time of a synthetic 4,000-instruction program on the WebAssembly engine, with its verification
 * time (scripts/bench-verifier.ts) for the load+verify+compile total. And what one `prog.run` from
 * the API costs next to one run inside the engine's batch loop (benchApiRun), on a 64-byte frame.
 *
 *   npx tsx scripts/bench.ts [--json] [--ms N]     (--ms: time per VM measurement, default 1000)
 *
 * Not a test: nothing here fails on a slow figure. The machine's load average is printed with
 * the results, since other work on the machine slows the VM and the kernel alike.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { createHelperRegistry, SimKernel } from '../src/helpers/index.js';
import { kernelAvailable, runOnKernel } from '../src/kernel/index.js';
import { benchApiRun, benchCase, syntheticProgram, type ApiRunBenchResult } from '../src/sim/bench.js';
import { benchVerifier, formatVerifierBench, type VerifierBenchResult } from './bench-verifier.js';
import { readCase, type Case } from '../src/sim/case.js';
import { load } from '../src/sim/object.js';
import { actionName, BPF_PROG_TYPE } from '../src/uapi/index.js';
import { getEngine, type EngineName } from '../src/vm/engines.js';
import { VmMemory } from '../src/vm/memory.js';
import { printReplayBench } from './bench-replay.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2);
const json = args.includes('--json');
const msArg = args.indexOf('--ms');
const targetMs = msArg >= 0 ? Number(args[msArg + 1]) : 1000;
const roundsArg = args.indexOf('--rounds');
/**
 * Rounds of kernel and wasm measured back to back: on a shared machine the speed of both moves
 * by up to 2x from minute to minute, so each round's ratio pairs figures taken under the same
 * conditions, and the table shows medians.
 */
const ROUNDS = roundsArg >= 0 ? Number(args[roundsArg + 1]) : 3;
/** Kernel repeats per program: enough for a stable mean, well under a second each. */
const KERNEL_REPEAT = 2_000_000;
const ENGINES: EngineName[] = ['wasm', 'interp'];

/** One representative case per example program (bpf/*.c). */
const PROGRAMS = [
  { label: 'xdp_blacklist (1 hash lookup)', file: 'xdp_blacklist_v4_denied.json' },
  { label: 'tc_stateful (flow hit + clock)', file: 'tc_stateful_known_reply.json' },
  // Run 1 rewrites the packet to the backend, so repeats 2..N take the not-a-VIP path.
  { label: 'xdp_lb redirect (then not VIP)', file: 'xdp_lb_redirect.json' },
  // Backend = VIP: the rewritten packet is still for the VIP, the full path runs every time.
  { label: 'xdp_lb full path every run', file: 'xdp_lb_bench.json' },
  { label: 'tc_port_filter (port lookup)', file: 'tc_port_filter_https_marked.json' },
];
const OBJECTS = ['xdp_blacklist.o', 'tc_stateful.o', 'xdp_lb.o', 'tc_port_filter.o'];

interface Row {
  program: string;
  case: string;
  kernel_ns_per_run: number | null;
  kernel_error?: string;
  /** CPU time per run (BenchResult.cpu_ns_per_run), the kind of figure the kernel's is. */
  wasm_ns_per_run: number;
  interp_ns_per_run: number;
  /** Wall time per run, for reference. */
  wasm_wall_ns_per_run: number;
  wasm_kernel_ratio: number | null;
  interp_wasm_ratio: number;
  /** The action of the last repeated run on each backend: they should agree. */
  last_action: Record<string, string>;
}

const log = (line: string) => {
  if (!json) process.stderr.write(line + '\n');
};

async function onKernel(c: Case, reason: string | undefined): Promise<{ ns: number | null; action?: string; error?: string }> {
  if (reason) return { ns: null, error: reason };
  try {
    const r = await runOnKernel({ objectPath: c.objectPath, program: c.program, progType: c.type, packet: c.packet, ctx: c.ctx, maps: c.maps, fib: c.fib, repeat: KERNEL_REPEAT });
    return { ns: r.durationNs ?? null, action: actionName(r.progType, r.retval) };
  } catch (err) {
    return { ns: null, error: (err as Error).message };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg();
  const k = await kernelAvailable();
  const kernelReason = k.ok ? undefined : k.reason;
  if (kernelReason) log(`kernel backend unavailable: ${kernelReason}`);

  const rows: Row[] = [];
  for (const { label, file } of PROGRAMS) {
    const c = await readCase(join(ROOT, 'fixtures', 'cases', file));
    log(`measuring ${file}...`);
    const vm: Record<string, { ns: number; action: string }> = {};
    const interp = await benchCase(c, { engine: 'interp', targetMs });
    vm.interp = { ns: interp.cpu_ns_per_run, action: interp.outcome.action };
    const wasmNs: number[] = [];
    const wasmWallNs: number[] = [];
    const kernelNs: number[] = [];
    const ratios: number[] = [];
    let kernel: Awaited<ReturnType<typeof onKernel>> = { ns: null };
    for (let round = 0; round < ROUNDS; round++) {
      const r = await benchCase(c, { engine: 'wasm', targetMs });
      vm.wasm = { ns: r.cpu_ns_per_run, action: r.outcome.action };
      wasmNs.push(r.cpu_ns_per_run);
      wasmWallNs.push(r.ns_per_run);
      kernel = await onKernel(c, kernelReason);
      if (kernel.ns) {
        kernelNs.push(kernel.ns);
        ratios.push(r.cpu_ns_per_run / kernel.ns);
      }
    }
    vm.wasm!.ns = median(wasmNs);
    if (kernelNs.length) kernel = { ...kernel, ns: median(kernelNs) };
    rows.push({
      program: label,
      case: file,
      kernel_ns_per_run: kernel.ns,
      ...(kernel.error ? { kernel_error: kernel.error } : {}),
      wasm_ns_per_run: vm.wasm!.ns,
      interp_ns_per_run: vm.interp!.ns,
      wasm_wall_ns_per_run: median(wasmWallNs),
      wasm_kernel_ratio: ratios.length ? median(ratios) : null,
      interp_wasm_ratio: vm.interp!.ns / vm.wasm!.ns,
      last_action: { ...(kernel.action ? { kernel: kernel.action } : {}), wasm: vm.wasm!.action, interp: vm.interp!.action },
    });
  }

  log('measuring prog.run from the API against the batch loop...');
  const apiRun = await benchApiRun(await readCase(join(ROOT, 'fixtures', 'cases', API_RUN_CASE)), { targetMs: Math.max(100, targetMs / 3) });

  log('measuring load and compile times...');
  const loads: Record<string, Record<string, number>> = {};
  for (const obj of OBJECTS) {
    loads[obj] = {};
    for (const engine of ENGINES) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await load(join(ROOT, 'build', 'bpf', obj), { engine });
        times.push(performance.now() - t0);
      }
      loads[obj]![engine] = median(times);
    }
  }

  // A fresh spec each time: the engine caches compiled modules by program identity.
  const wasm = getEngine('wasm');
  const compileTimes: number[] = [];
  const insns = syntheticProgram().insns.length;
  for (let i = 0; i < 7; i++) {
    const spec = syntheticProgram();
    const shape = { mem: new VmMemory(), maps: [], helpers: createHelperRegistry(BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, new SimKernel()) };
    const t0 = performance.now();
    wasm.prepare(spec, shape);
    compileTimes.push(performance.now() - t0);
  }

  log('measuring verification times...');
  const verifier = benchVerifier({ runs: 5, tests: false, kernel: !kernelReason });
  const syntheticVerify = verifier.rows.find((r) => r.program === 'synthetic');
  const compileMs = median(compileTimes);

  const result = {
    loadavg: { before: loadBefore.map((x) => +x.toFixed(2)), after: loadavg().map((x) => +x.toFixed(2)) },
    kernel: kernelReason ? `unavailable: ${kernelReason}` : `BPF_PROG_TEST_RUN, repeat ${KERNEL_REPEAT}`,
    programs: rows,
    load_and_compile_ms: loads,
    synthetic_compile_ms: { insns, median: compileMs, first: compileTimes[0]! },
    api_run: { case: API_RUN_CASE, ...apiRun },
    synthetic_load_verify_compile_ms: { verify: syntheticVerify?.ms ?? null, compile: compileMs, total: syntheticVerify ? syntheticVerify.ms + compileMs : null, target: 100 },
    verifier,
    elapsed_s: +((performance.now() - started) / 1000).toFixed(1),
  };
  if (json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  print(result, rows, loads);
}

/** The case whose program the API-run measurement runs (on a 64-byte frame). */
const API_RUN_CASE = 'xdp_blacklist_v4_denied.json';

interface Printed {
  loadavg: { before: number[]; after: number[] };
  kernel: string;
  synthetic_compile_ms: { insns: number; median: number; first: number };
  api_run: ApiRunBenchResult & { case: string };
  synthetic_load_verify_compile_ms: { verify: number | null; compile: number; total: number | null; target: number };
  verifier: VerifierBenchResult;
  elapsed_s: number;
}

function print(result: Printed, rows: Row[], loads: Record<string, Record<string, number>>): void {
  const ns = (x: number | null) => (x === null ? '-' : x.toFixed(1));
  const ratio = (x: number | null) => (x === null ? '-' : `${x.toFixed(2)}x`);
  const table = new Table({
    head: ['program', 'kernel ns/run', 'wasm ns/run', 'interp ns/run', 'wasm/kernel', 'interp/wasm', 'last action'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    const actions = new Set(Object.values(r.last_action));
    table.push([r.program, r.kernel_ns_per_run === null ? 'unavailable' : ns(r.kernel_ns_per_run), ns(r.wasm_ns_per_run), ns(r.interp_ns_per_run), ratio(r.wasm_kernel_ratio), ratio(r.interp_wasm_ratio), actions.size === 1 ? [...actions][0]! : JSON.stringify(r.last_action)]);
  }
  const loadTable = new Table({ head: ['object', 'load+compile wasm (ms)', 'load+compile interp (ms)'], colAligns: ['left', 'right', 'right'], style: { head: [], border: [] } });
  for (const [obj, t] of Object.entries(loads)) loadTable.push([obj, t.wasm!.toFixed(1), t.interp!.toFixed(1)]);
  const lines = [
    `bpfsim bench (kernel: ${result.kernel}; VM: ${targetMs} ms per measurement after warm-up, CPU time per run, as the kernel's clock leaves out time the loop was rescheduled (wall time in --json); kernel and wasm: median of ${ROUNDS} rounds, the ratio the median of the per-round ratios)`,
    table.toString(),
  ];
  const errors = new Set(rows.map((r) => r.kernel_error).filter((e): e is string => e !== undefined));
  for (const e of errors) lines.push(`kernel: ${e}`);
  lines.push(
    loadTable.toString(),
    `synthetic ${result.synthetic_compile_ms.insns}-instruction program, wasm compile: ${result.synthetic_compile_ms.median.toFixed(1)} ms median of 7 (first ${result.synthetic_compile_ms.first.toFixed(1)} ms)`,
    formatLoadVerifyCompile(result.synthetic_load_verify_compile_ms, result.synthetic_compile_ms.insns),
    formatApiRun(result.api_run),
    formatVerifierBench(result.verifier),
    `load average ${result.loadavg.before.join(' ')} before, ${result.loadavg.after.join(' ')} after; ${result.elapsed_s} s`,
  );
  process.stdout.write(lines.join('\n') + '\n');
}

/** The load+verify+compile line of the synthetic program, against its target. */
function formatLoadVerifyCompile(t: Printed['synthetic_load_verify_compile_ms'], insns: number): string {
  if (t.total === null) return `synthetic ${insns}-instruction program: no verification figure`;
  return `synthetic ${insns}-instruction program, load+verify+compile: ${t.total.toFixed(1)} ms (verify ${t.verify!.toFixed(1)} + compile ${t.compile.toFixed(1)}): ${t.total < t.target ? 'under' : 'OVER'} the ${t.target} ms target`;
}

/** The API-run line: prog.run next to a batch run, with the ratio against the 3x target. */
function formatApiRun(a: Printed['api_run']): string {
  return `prog.run from the API (${a.case}, ${a.packet_len}-byte frame, result made): ${a.api_ns_per_run.toFixed(1)} ns; in the engine's batch loop: ${a.batch_ns_per_run.toFixed(1)} ns; ratio ${a.ratio.toFixed(2)}x (target 3x, median of rounds)`;
}

await main();
await printReplayBench(args);
