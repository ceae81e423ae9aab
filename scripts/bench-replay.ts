/**
 * The replay section of `npm run bench`: `bpfsim replay` of a 200,000-packet capture through the
 * blacklist example (dist/cli/main.js in a child process, as a user runs it), next to the engine's
 * own runs per second from `bpfsim bench` on the same program and maps, with the ratio; with and
 * without `--out`; and the child's max RSS. With `--replay-large`, the same for a
 * 10,000,000-packet capture (about 1 GB, written first: several minutes on a shared machine).
 *
 *   npx tsx scripts/bench-replay.ts [--json] [--replay-large]   (also run by scripts/bench.ts)
 *
 * Not a test: nothing fails on a slow figure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { writeSyntheticCapture } from './replay-capture.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
/** The blacklist example as bench/fixtures/cases/xdp_blacklist_v4_denied.json sets it up. */
const CASE = join(ROOT, 'fixtures', 'cases', 'xdp_blacklist_v4_denied.json');

/** One replay measurement. */
export interface ReplayRow {
  packets: number;
  out: boolean;
  /** The replay loop's rate as the command reports it (reading, running, writing, counting). */
  packets_per_second: number;
  /** The engine's runs per second from `bpfsim bench` on the same case. */
  engine_runs_per_second: number;
  /** packets_per_second / engine_runs_per_second (target: at least 0.5). */
  ratio: number;
  /** The child's peak resident set, MiB (/usr/bin/time's "Maximum resident set size"). */
  max_rss_mib: number;
  /** The whole command's wall time, s (start-up and load included). */
  wall_s: number;
}

/** Runs `bpfsim args...` under /usr/bin/time -v: its stdout and max RSS. */
function timed(args: string[]): { stdout: string; maxRssKib: number; wallS: number } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`bpfsim ${args.join(' ')}: exit ${r.status}: ${r.stderr.split('\n')[0]}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  return { stdout: r.stdout, maxRssKib: rss ? Number(rss[1]) : NaN, wallS };
}

/** Measures replay against the engine for captures of `sizes` packets. */
export function measureReplay(options: { large?: boolean } = {}): ReplayRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'bpfsim-bench-replay-'));
  try {
    const bench = JSON.parse(timed(['bench', CASE, '--json']).stdout) as { ns_per_run: number };
    const engineRunsPerSecond = 1e9 / bench.ns_per_run;
    const rows: ReplayRow[] = [];
    for (const packets of options.large ? [200_000, 10_000_000] : [200_000]) {
      const capture = join(dir, `${packets}.pcapng`);
      writeSyntheticCapture(capture, packets);
      for (const out of [false, true]) {
        const outPath = join(dir, 'out.pcapng');
        const r = timed(['replay', CASE, '--pcap', capture, '--json', ...(out ? ['--out', outPath] : [])]);
        const pps = (JSON.parse(r.stdout) as { packets_per_second: number }).packets_per_second;
        rows.push({ packets, out, packets_per_second: pps, engine_runs_per_second: Math.round(engineRunsPerSecond), ratio: pps / engineRunsPerSecond, max_rss_mib: +(r.maxRssKib / 1024).toFixed(1), wall_s: +r.wallS.toFixed(1) });
        rmSync(outPath, { force: true });
      }
      rmSync(capture, { force: true });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rows as a table. */
export function formatReplay(rows: ReplayRow[]): string {
  const table = new Table({
    head: ['replay xdp_blacklist', 'packets/s', 'engine runs/s', 'replay/engine', 'max RSS (MiB)', 'wall (s)'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [] },
  });
  for (const r of rows) table.push([`${r.packets.toLocaleString('en')} packets${r.out ? ', --out' : ''}`, r.packets_per_second.toLocaleString('en'), r.engine_runs_per_second.toLocaleString('en'), `${r.ratio.toFixed(3)}x`, r.max_rss_mib.toFixed(1), r.wall_s.toFixed(1)]);
  return `bpfsim replay (dist/cli/main.js, one run each) next to bpfsim bench on the same case (target: replay/engine >= 0.5)\n${table.toString()}`;
}

/** The section as scripts/bench.ts prints it: a table, or one JSON line `{"replay": rows}`. */
export async function printReplayBench(args: string[]): Promise<void> {
  const rows = measureReplay({ large: args.includes('--replay-large') });
  process.stdout.write(args.includes('--json') ? JSON.stringify({ replay: rows }) + '\n' : formatReplay(rows) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await printReplayBench(process.argv.slice(2));
