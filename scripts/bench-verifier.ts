/**
 * The verifier's speed, next to the kernel's: every example program (bpf/*.c; with --tests also
 * the test programs) and two synthetic 4,000-instruction XDP programs (a packet parser with
 * branches, and the same with a bounded loop in front). For each: the instructions processed by
 * bpfsim's verifier and by the kernel's, bpfsim's median wall and CPU time over a few runs, the
 * kernel's own "verification time" (log level 4: statistics only, no log text written), and the
 * ratio. The kernel column needs root (a private mount and network namespace); without it it
 * reads "-". Issue 10's target: the synthetic programs under 100 ms.
 *
 *   npx tsx scripts/bench-verifier.ts [--json] [--runs N] [--tests] [--no-kernel]
 *
 * Not a test: nothing fails on a slow figure. The load average is printed with the results, since
 * other work on the machine slows everything; CPU time is less sensitive to it than wall time.
 * `benchVerifier` and `formatVerifierBench` are the section `npm run bench` can call.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { alu64, exit, jmp, label, link, mem as insn, R0, R1, R2, R3, R8, R10, type Built, type Label } from '../src/isa/builder.js';
import { encodeInsns } from '../src/isa/codec.js';
import { loadObjectFile } from '../src/loader/load-object.js';
import type { ObjectSpec, ProgramSpec } from '../src/loader/spec.js';
import { syntheticProgram } from '../src/sim/bench.js';
import { verifyProgram } from '../src/verifier/index.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');

/** The synthetic parser with a 16-iteration loop over the first packet bytes in front of it. */
function syntheticWithLoop(): ProgramSpec {
  const base = syntheticProgram(3960);
  const loop: (Built | Label)[] = [
    insn.load('u32', R2, R1, 0),
    insn.load('u32', R3, R1, 4),
    alu64.mov.imm(R8, 0),
    label('loop'),
    jmp.jge.imm(R8, 16, 'done'),
    alu64.mov.reg(R0, R2),
    alu64.add.reg(R0, R8),
    alu64.add.imm(R0, 1),
    jmp.jgt.reg(R0, R3, 'done'),
    alu64.add.imm(R8, 1),
    jmp.ja('loop'),
    label('done'),
    insn.storeImm('u64', R10, -8, 0),
  ];
  const head = link([...loop, exit()]).slice(0, -1);
  // The base program starts with its own loads of data/data_end, so it follows the loop as is.
  return { ...base, name: 'synthetic_loop', insns: [...head, ...base.insns] };
}

/** One program's figures. */
export interface VerifierBenchRow {
  /** `xdp_lb.o:xdp_lb`, or `synthetic` / `synthetic_loop`. */
  program: string;
  insns: number;
  accepted: boolean;
  /** Instructions processed by bpfsim's verifier, as the kernel counts them. */
  processed: number;
  /** Median wall and CPU milliseconds of one bpfsim verification. */
  ms: number;
  cpuMs: number;
  /** The kernel's processed count and "verification time" in milliseconds, or null without root. */
  kernelProcessed: number | null;
  kernelMs: number | null;
}

export interface VerifierBenchResult {
  loadavg: number;
  runs: number;
  /** Why the kernel column is empty, or null when it was measured. */
  kernelNote: string | null;
  rows: VerifierBenchRow[];
}

interface Target {
  label: string;
  spec: ObjectSpec;
  prog: ProgramSpec;
  /** For the kernel: the object path and program name, or the raw instructions. */
  object?: string;
}

function measure(t: Target, runs: number): Omit<VerifierBenchRow, 'kernelProcessed' | 'kernelMs'> {
  const wall: number[] = [];
  const cpu: number[] = [];
  let last = verifyProgram(t.spec, t.prog);
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const w = performance.now();
    last = verifyProgram(t.spec, t.prog);
    wall.push(performance.now() - w);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  const median = (xs: number[]): number => Number(xs.sort((a, b) => a - b)[xs.length >> 1]!.toFixed(2));
  return { program: t.label, insns: t.prog.insns.length, accepted: last.accepted, processed: last.insns_processed, ms: median(wall), cpuMs: median(cpu) };
}

type KernelFigures = Map<string, { processed: number; ms: number }>;

/** The kernel's figures by `path\tprogram`, from scripts/kernel-verify-time.c in a private namespace; a string says why there are none. */
function kernelFigures(targets: Target[]): KernelFigures | string {
  if (process.getuid?.() !== 0) return 'kernel column needs root';
  const dir = mkdtempSync(join(tmpdir(), 'bpfsim-bench-verifier-'));
  try {
    const tool = join(dir, 'kernel-verify-time');
    const cc = spawnSync('clang-19', ['-O2', '-o', tool, join(ROOT, 'scripts', 'kernel-verify-time.c'), '-lbpf'], { encoding: 'utf8' });
    if (cc.status !== 0) return `kernel column: cannot build scripts/kernel-verify-time.c: ${cc.stderr.split('\n')[0]}`;
    const objects = [...new Set(targets.flatMap((t) => (t.object ? [t.object] : [])))];
    const raws = targets.filter((t) => !t.object).map((t) => {
      const file = join(dir, `${t.label}.bin`);
      writeFileSync(file, encodeInsns(t.prog.insns));
      return file;
    });
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const script = `mount -t bpf bpf /sys/fs/bpf && ${q(tool)} ${objects.map(q).join(' ')} && ${q(tool)} --raw ${raws.map(q).join(' ')}`;
    const run = spawnSync('unshare', ['--mount', '--net', 'sh', '-c', script], { encoding: 'utf8', timeout: 600_000 });
    if (run.status !== 0) return `kernel column: ${run.stderr.split('\n')[0] || 'the namespace failed'}`;
    const out: KernelFigures = new Map();
    for (const line of run.stdout.trim().split('\n')) {
      const [file, name, rc, usec, processed] = line.split('\t');
      if (rc !== '0' || Number(usec) < 0) continue;
      const key = name === 'raw' ? file!.slice(dir.length + 1, -'.bin'.length) : `${file}\t${name}`;
      out.set(key, { processed: Number(processed), ms: Number(usec) / 1000 });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Verifies every example program (and with `tests` every test program) and the synthetic programs, `runs` times each (default 5), next to the kernel unless `kernel` is false. */
export function benchVerifier(opts: { runs?: number; tests?: boolean; kernel?: boolean } = {}): VerifierBenchResult {
  const runs = opts.runs ?? 5;
  const targets: Target[] = [];
  for (const dir of opts.tests ? ['build/bpf', 'build/bpf/tests'] : ['build/bpf']) {
    for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.o')).sort()) {
      const object = join(ROOT, dir, file);
      let spec: ObjectSpec;
      try {
        spec = loadObjectFile(object);
      } catch {
        continue;
      }
      const prefix = dir === 'build/bpf' ? '' : `${dir.slice('build/bpf/'.length)}/`;
      for (const prog of spec.programs) targets.push({ label: `${prefix}${file}:${prog.name}`, spec, prog, object });
    }
  }
  for (const prog of [syntheticProgram(4000), syntheticWithLoop()]) targets.push({ label: prog.name, spec: { license: 'GPL', programs: [prog], maps: [] }, prog });
  const kernel = opts.kernel === false ? 'kernel column not asked for' : kernelFigures(targets);
  const rows = targets.map((t): VerifierBenchRow => {
    const k = typeof kernel === 'string' ? undefined : kernel.get(t.object ? `${t.object}\t${t.prog.name}` : t.label);
    return { ...measure(t, runs), kernelProcessed: k?.processed ?? null, kernelMs: k?.ms ?? null };
  });
  return { loadavg: Number(loadavg()[0]!.toFixed(2)), runs, kernelNote: typeof kernel === 'string' ? kernel : null, rows };
}

/** The result as a table, with the synthetic programs' standing against the 100 ms target. */
export function formatVerifierBench(r: VerifierBenchResult): string {
  const lines = [`verifier: load average ${r.loadavg}; bpfsim median of ${r.runs} runs; kernel: its own "verification time" (log level 4)${r.kernelNote ? ` (${r.kernelNote})` : ''}`];
  const num = (x: number | null, digits = 2): string => (x === null ? '-' : x.toFixed(digits));
  lines.push('program'.padEnd(44) + 'insns'.padStart(7) + 'processed'.padStart(11) + 'kernel'.padStart(9) + 'ms'.padStart(9) + 'cpu ms'.padStart(9) + 'kernel ms'.padStart(11) + 'ratio'.padStart(8) + '  verdict');
  for (const row of r.rows) {
    const ratio = row.kernelMs ? row.cpuMs / row.kernelMs : null;
    lines.push(
      row.program.padEnd(44) +
        String(row.insns).padStart(7) +
        String(row.processed).padStart(11) +
        (row.kernelProcessed === null ? '-' : String(row.kernelProcessed)).padStart(9) +
        num(row.ms).padStart(9) +
        num(row.cpuMs).padStart(9) +
        num(row.kernelMs, 3).padStart(11) +
        (ratio === null ? '-' : `${ratio.toFixed(1)}x`).padStart(8) +
        `  ${row.accepted ? 'accepted' : 'rejected'}`,
    );
  }
  for (const row of r.rows.filter((x) => x.program.startsWith('synthetic'))) {
    lines.push(`${row.program}: ${row.insns} insns, ${row.processed} processed, ${row.cpuMs} ms CPU (${row.ms} ms wall): ${row.cpuMs < 100 ? 'under' : 'OVER'} the 100 ms target`);
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const runsArg = args.indexOf('--runs');
  const result = benchVerifier({ runs: runsArg >= 0 ? Number(args[runsArg + 1]) : 5, tests: args.includes('--tests'), kernel: !args.includes('--no-kernel') });
  process.stdout.write((args.includes('--json') ? JSON.stringify(result) : formatVerifierBench(result)) + '\n');
}
