/**
 * bpfsim's own verdicts on objects, in the shape of the kernel's (src/verifier on the loader's
 * spec), so the two compare program by program. The verifier runs in a child process (see
 * ours-child.ts) so that a program it takes too long on becomes a `timeout` verdict instead of a
 * hung test or script.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ProgramVerdict } from '../../src/verifier/types.js';

/** One object's verdicts and the programs cut off by the timeout, or why it could not be read. */
export type OurReport = { programs: ProgramVerdict[]; timedOut: string[] } | { error: { code: string; message: string } };

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'ours-child.ts');

interface Event {
  object: number;
  start?: string;
  verdict?: ProgramVerdict;
  error?: { code: string; message: string };
  done?: boolean;
}

function runChild(jobs: { path: string; skip: string[] }[], timeoutMs: number, onEvent: (e: Event) => void): Promise<'finished' | 'timeout'> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, CHILD, JSON.stringify(jobs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    let timer = setTimeout(() => kill(), timeoutMs);
    const kill = () => {
      timedOut = true;
      child.kill('SIGKILL');
    };
    let buffered = '';
    const stderr: string[] = [];
    child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        clearTimeout(timer);
        timer = setTimeout(() => kill(), timeoutMs);
        onEvent(JSON.parse(line) as Event);
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) resolve('timeout');
      else if (code === 0) resolve('finished');
      else reject(new Error(`verifier child failed: ${stderr.join('').trim().split('\n').slice(-3).join(' / ')}`));
    });
  });
}

/**
 * Our verdicts on each object of `paths`, in order. A program that takes longer than `timeoutMs`
 * is listed in `timedOut` instead, and the rest go on in a fresh child.
 */
export async function ourReports(paths: string[], timeoutMs = 60_000): Promise<OurReport[]> {
  const reports: OurReport[] = paths.map(() => ({ programs: [], timedOut: [] }));
  let next = 0;
  const skip = new Map<number, string[]>();
  while (next < paths.length) {
    const base = next;
    let current: { object: number; program: string } | undefined;
    const jobs = paths.slice(base).map((path, j) => ({ path, skip: skip.get(base + j) ?? [] }));
    const outcome = await runChild(jobs, timeoutMs, (e) => {
      const i = base + e.object;
      const r = reports[i]!;
      if (e.start !== undefined) current = { object: i, program: e.start };
      if (e.verdict && 'programs' in r) r.programs.push(e.verdict), (skip.get(i) ?? skip.set(i, []).get(i)!).push(e.verdict.program);
      if (e.error) reports[i] = { error: e.error };
      if (e.done) next = i + 1, (current = undefined);
    });
    if (outcome === 'finished') break;
    if (!current) break;
    const r = reports[current.object]!;
    const program = current.program;
    if ('programs' in r) r.timedOut.push(program);
    (skip.get(current.object) ?? skip.set(current.object, []).get(current.object)!).push(program);
    next = current.object;
  }
  return reports;
}
