/**
 * Fuzzes bpfsim for a given time: mutates good objects, case files and captures, runs the built
 * CLI on each (and the API in this process), and counts what must never happen: an internal
 * error (a message with `internal error`, a stack trace, or an API call throwing anything but a
 * SimError), a hang (a try past its timeout) and a wrong exit status (not 0, 1 or 2; or 2
 * without exactly one line on stderr; or an output file left behind by a failed replay).
 *
 *   npx tsx scripts/fuzz.ts [--minutes 10] [--seed N] [--timeout 30] [--keep DIR]
 *
 * Prints one line of counts per minute and a final JSON line; exits 1 when any count of a bad
 * outcome is not zero. Failing inputs are copied to --keep (default fuzz-failures/) to replay.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimError } from '../src/internal/errors.js';
import { readCaptureAll } from '../src/pcap/index.js';
import { parseCase } from '../src/sim/case.js';
import { load } from '../src/sim/object.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/cli/main.js');

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const minutes = option('minutes', 10);
const timeoutMs = option('timeout', 30) * 1000;
let seed = option('seed', Date.now() % 2 ** 31);
const keepIndex = process.argv.indexOf('--keep');
const keepDir = keepIndex > 0 ? process.argv[keepIndex + 1]! : join(ROOT, 'fuzz-failures');

/** xorshift32: the same seed gives the same tries. */
function rand(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}
const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)]!;

const objects = [...readdirSync(join(ROOT, 'build/bpf')).filter((f) => f.endsWith('.o')).map((f) => join(ROOT, 'build/bpf', f)), ...['bad_oob', 'loader_globals', 'vm_tail_calls', 'bad_value_overflow'].map((n) => join(ROOT, 'build/bpf/tests', `${n}.o`))].filter(existsSync);
const cases = readdirSync(join(ROOT, 'fixtures/cases')).filter((f) => f.endsWith('.json')).map((f) => join(ROOT, 'fixtures/cases', f));
const captures = readdirSync(join(ROOT, 'fixtures/pcap')).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(ROOT, 'fixtures/pcap', f));

/** Odd values a JSON field may be given. */
const ODD_VALUES: unknown[] = [null, true, -1, 0, 1.5, 2 ** 32 + 1, 1e300, -1e300, '', 'zz', '0'.repeat(3), 'x'.repeat(5000), [], [1, 2], {}, { a: 1 }, '00'.repeat(70000), '__proto__'];

function mutateBytes(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const edits = 1 + rand(8);
  for (let i = 0; i < edits; i++) {
    const kind = rand(10);
    if (kind < 7 && out.length) out[rand(out.length)] = rand(256);
    else if (kind < 9 && out.length) out[rand(out.length)] ^= 1 << rand(8);
    else return out.subarray(0, rand(out.length + 1));
  }
  return out;
}

/** A random edit somewhere in a JSON value: a field removed, added, or given an odd value. */
function mutateJson(v: unknown, depth = 0): unknown {
  if (Array.isArray(v)) {
    if (!v.length || rand(4) === 0) return rand(2) ? [...v, pick(ODD_VALUES)] : pick(ODD_VALUES);
    const copy = [...v];
    const i = rand(copy.length);
    copy[i] = mutateJson(copy[i], depth + 1);
    return copy;
  }
  if (v !== null && typeof v === 'object') {
    const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const r = rand(10);
    if (r === 0 && keys.length) delete copy[pick(keys)];
    else if (r === 1) copy[pick(['extra', 'retvall', '__proto__', 'valu', 'type'])] = pick(ODD_VALUES);
    else if (keys.length) {
      const k = pick(keys);
      copy[k] = rand(3) === 0 && depth > 0 ? pick(ODD_VALUES) : mutateJson(copy[k], depth + 1);
    }
    return copy;
  }
  if (typeof v === 'string' && /^[0-9a-f]+$/i.test(v) && rand(2)) {
    return Buffer.from(mutateBytes(new Uint8Array(Buffer.from(v.length % 2 ? v + '0' : v, 'hex')))).toString('hex');
  }
  return rand(3) ? pick(ODD_VALUES) : v;
}

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
  hung: boolean;
}

function runCli(args: string[]): Promise<Outcome> {
  return new Promise((done) => {
    const child = spawn('node', [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout.length < 1 << 20 ? (stdout += c) : undefined));
    child.stderr.on('data', (c: Buffer) => (stderr.length < 1 << 20 ? (stderr += c) : undefined));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr, hung });
    });
  });
}

const counts = { tries: 0, ok: 0, internalErrors: 0, hangs: 0, wrongExit: 0, byKind: {} as Record<string, number> };

type Verdict = 'ok' | 'internal' | 'hang' | 'exit';

function judgeCli(o: Outcome, leftBehind = false): Verdict {
  if (o.hung) return 'hang';
  if (/internal error|\n\s+at \S|TypeError|RangeError|ReferenceError/.test(o.stderr)) return 'internal';
  if (o.status === null || ![0, 1, 2].includes(o.status)) return 'exit';
  if (o.status === 2 && o.stderr.trimEnd().split('\n').length !== 1) return 'exit';
  if (leftBehind) return 'exit';
  return 'ok';
}

/** Runs `fn` (an API call): a SimError or a result is fine, anything else an internal error. */
async function judgeApi(fn: () => Promise<unknown>): Promise<Verdict> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof SimError)) return 'internal';
  }
  return 'ok';
}

async function oneTry(dir: string): Promise<{ kind: string; verdict: Verdict; files: string[]; detail: string }> {
  const kind = pick(['object', 'case', 'capture', 'api-object', 'api-case', 'api-capture']);
  const engine = pick(['wasm', 'interp']);
  if (kind === 'object' || kind === 'api-object') {
    const base = pick(objects);
    const bytes = mutateBytes(new Uint8Array(readFileSync(base)));
    const object = join(dir, 'x.o');
    writeFileSync(object, bytes);
    if (kind === 'api-object') return { kind, verdict: await judgeApi(() => load(bytes, { engine: engine as 'wasm' })), files: [object], detail: base };
    const c = JSON.parse(readFileSync(pick(cases), 'utf8')) as Record<string, unknown>;
    const casePath = join(dir, 'x.json');
    writeFileSync(casePath, JSON.stringify({ ...c, object, program: pick([c.program, 'xdp', 'entry']) }));
    const o = await runCli(['run', casePath, '--engine', engine, ...(rand(2) ? ['--json'] : [])]);
    return { kind, verdict: judgeCli(o), files: [object, casePath], detail: o.stderr.slice(0, 300) };
  }
  if (kind === 'case' || kind === 'api-case') {
    const path = pick(cases);
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    json.object = join(ROOT, 'fixtures/cases', String(json.object));
    let mutated = json as unknown;
    for (let i = 1 + rand(3); i > 0; i--) mutated = mutateJson(mutated);
    const text = rand(10) === 0 ? JSON.stringify(mutated).slice(0, rand(200)) : JSON.stringify(mutated);
    const casePath = join(dir, 'x.json');
    writeFileSync(casePath, text);
    if (kind === 'api-case') {
      // Text that is not JSON never reaches the API (JSON.parse is the caller's); the CLI tries cover it.
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return { kind, verdict: 'ok', files: [], detail: '' };
      }
      return { kind, verdict: await judgeApi(async () => parseCase(json, ROOT)), files: [casePath], detail: path };
    }
    const o = await runCli(['run', casePath, '--engine', engine, ...(rand(2) ? ['--json'] : [])]);
    return { kind, verdict: judgeCli(o), files: [casePath], detail: o.stderr.slice(0, 300) };
  }
  const capture = pick(captures);
  const bytes = mutateBytes(new Uint8Array(readFileSync(capture)));
  const pcap = join(dir, capture.endsWith('ng') ? 'x.pcapng' : 'x.pcap');
  writeFileSync(pcap, bytes);
  if (kind === 'api-capture') return { kind, verdict: await judgeApi(() => readCaptureAll(bytes)), files: [pcap], detail: capture };
  const out = join(dir, 'out.pcapng');
  rmSync(out, { force: true });
  const o = await runCli(['replay', pick(cases), '--pcap', pcap, '--out', out, '--engine', engine]);
  const leftBehind = o.status !== 0 && existsSync(out);
  const temps = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
  return { kind, verdict: judgeCli(o, leftBehind || temps.length > 0), files: [pcap], detail: o.stderr.slice(0, 300) };
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run scripts/setup.sh first');
  const dir = mkdtempSync(join(tmpdir(), 'bpfsim-fuzz-'));
  const startSeed = seed;
  const end = Date.now() + minutes * 60_000;
  let nextReport = Date.now() + 60_000;
  try {
    while (Date.now() < end) {
      const { kind, verdict, files, detail } = await oneTry(dir);
      counts.tries++;
      counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
      if (verdict === 'ok') counts.ok++;
      else {
        if (verdict === 'internal') counts.internalErrors++;
        if (verdict === 'hang') counts.hangs++;
        if (verdict === 'exit') counts.wrongExit++;
        const keep = join(keepDir, `${counts.tries}-${kind}-${verdict}`);
        mkdirSync(keep, { recursive: true });
        for (const f of files) copyFileSync(f, join(keep, f.split('/').pop()!));
        writeFileSync(join(keep, 'detail.txt'), detail);
        console.log(`try ${counts.tries}: ${kind}: ${verdict}: ${detail.split('\n')[0]}`);
      }
      if (Date.now() >= nextReport) {
        nextReport += 60_000;
        console.log(`${new Date().toISOString()} tries ${counts.tries} ok ${counts.ok} internal ${counts.internalErrors} hangs ${counts.hangs} wrong-exit ${counts.wrongExit}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ seed: startSeed, minutes, ...counts }));
  process.exitCode = counts.internalErrors + counts.hangs + counts.wrongExit > 0 ? 1 : 0;
}

await main();
