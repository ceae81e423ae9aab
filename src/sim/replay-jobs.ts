import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { checkInt } from '../internal/args.js';
import { CaseError, PcapError } from '../internal/errors.js';
import type { Case } from './case.js';
import type { CaptureStats, ReplayOptions } from './replay.js';

/** What {@link replayInWorkers} did: the totals and each capture's counts, in the order given. */
export interface JobsStats extends CaptureStats {
  captures: CaptureStats[];
  elapsedNs: number;
  packetsPerSecond: number;
}

/**
 * Replays each capture on its own machine in a worker thread, `jobs` at a time: independent runs,
 * each starting from the case's maps (what replayCapture does for one capture), for captures
 * split by file. The counts equal those of replayCapture on each capture alone. The first
 * failure stops the others and is thrown with the capture's path in front. No output file.
 */
export async function replayInWorkers(c: Case, captures: string[], options: Pick<ReplayOptions, 'engine' | 'verify' | 'cpus' | 'onProgress'>, jobs: number): Promise<JobsStats> {
  checkInt(jobs, 'jobs', 1, 256);
  const t0 = process.hrtime.bigint();
  const results: CaptureStats[] = new Array(captures.length);
  const workers = new Set<Worker>();
  // Run from source (tsx), the worker needs tsx's loader too.
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './replay-worker.ts' : './replay-worker.js', import.meta.url);
  const workerOptions = { engine: options.engine, verify: options.verify, cpus: options.cpus };
  let next = 0;
  let done = 0;
  let bytesDone = 0;
  const sizes = captures.map((p) => fileSize(p));
  const runOne = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = fromSource
        ? new Worker(`import(${JSON.stringify(tsxApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true, workerData: { c, capture: captures[i], options: workerOptions } })
        : new Worker(url, { workerData: { c, capture: captures[i], options: workerOptions } });
      workers.add(worker);
      worker.once('message', (m: { ok: true; stats: CaptureStats } | { ok: false; error: { name?: string; code?: string; message: string } }) => {
        if (m.ok) {
          results[i] = { ...m.stats, source: captures[i]! };
          done += m.stats.packets;
          options.onProgress?.(done, bytesDone += sizes[i]!);
          resolve();
        } else reject(rebuild(m.error, captures[i]!));
      });
      worker.once('error', (err) => reject(err));
      worker.once('exit', () => {
        workers.delete(worker);
        resolve();
      });
    });
  const lane = async (): Promise<void> => {
    while (next < captures.length) await runOne(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, captures.length) }, lane));
  } finally {
    await Promise.all([...workers].map((w) => w.terminate()));
  }
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  const total = sumStats(results);
  return { ...total, captures: results, elapsedNs, packetsPerSecond: elapsedNs > 0 ? (total.packets * 1e9) / elapsedNs : 0 };
}

/** A worker's error as a typed error of the same code (PcapError for capture errors), the capture's path in front. */
function rebuild(e: { name?: string; code?: string; message: string }, capture: string): Error {
  const message = e.message.startsWith(`${capture}: `) ? e.message : `${capture}: ${e.message}`;
  if (e.code === undefined) return new Error(message);
  return e.name === 'PcapError' ? new PcapError(e.code, message) : new CaseError(e.code, message);
}

/** A capture's size in bytes, 0 when it cannot be read (its worker reports why). */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** tsx's loader API, for workers of a run from source. */
function tsxApi(): string {
  return import.meta.resolve('tsx/esm/api');
}

/** The sum of several captures' counts. */
export function sumStats(list: CaptureStats[]): CaptureStats {
  const add = (into: Record<string, number>, from: Record<string, number> | undefined) => {
    for (const [k, n] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + n;
  };
  const total: CaptureStats = { source: '', packets: 0, actions: {}, egress: {}, checksums: { ip: { ok: 0, bad: 0, none: 0 }, l4: { ok: 0, bad: 0, none: 0 } } };
  for (const s of list) {
    total.packets += s.packets;
    add(total.actions, s.actions);
    add(total.egress, s.egress);
    if (s.cpus) add((total.cpus ??= {}), s.cpus);
    for (const k of ['ip', 'l4'] as const) for (const v of ['ok', 'bad', 'none'] as const) total.checksums[k][v] += s.checksums[k][v];
  }
  return total;
}
