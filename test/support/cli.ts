/** What CLI tests share: building dist/ once, running the built `bpfsim`, and the one-line error shape. */
import { execFile, execFileSync, type ExecFileOptions } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export const ROOT = join(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/cli/main.js');

/** Newest modification time under `dir`, ms. */
function newest(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)),
  );
}

/** Builds dist/ as scripts/setup.sh does, unless dist/.stamp is newer than every source. */
export function ensureDist(): void {
  const stamp = join(ROOT, 'dist/.stamp');
  const sources = Math.max(newest(join(ROOT, 'src')), statSync(join(ROOT, 'tsconfig.json')).mtimeMs, statSync(join(ROOT, 'tsconfig.build.json')).mtimeMs);
  if (existsSync(stamp) && existsSync(CLI) && statSync(stamp).mtimeMs >= sources) return;
  try {
    execFileSync('npx', ['--no-install', 'tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
    writeFileSync(stamp, '');
  } catch (err) {
    // A type error elsewhere still emits JavaScript; only a missing CLI stops these tests.
    if (!existsSync(CLI)) throw err;
  }
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli/main.js ...args` from the repository root. */
export function bpfsim(...args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    execFile('node', [CLI, ...args], { cwd: ROOT, timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      done({ status, stdout, stderr });
    });
  });
}

/** A pattern the message must contain: a literal string or a regular expression. */
export type Names = (string | RegExp)[];

/** Asserts the run could not run: exit 2, exactly one `bpfsim: ` line on stderr, no stack, naming each of `names`. */
export function expectOneLine(run: CliRun, names: Names): string {
  expect(run.status, run.stderr).toBe(2);
  expect(run.stderr.endsWith('\n')).toBe(true);
  const lines = run.stderr.slice(0, -1).split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  const line = lines[0]!;
  expect(line).toMatch(/^bpfsim: \S/);
  expect(line).not.toMatch(/internal error|\n\s+at |Error: |TypeError|RangeError/);
  for (const name of names) {
    if (typeof name === 'string') expect(line).toContain(name);
    else expect(line).toMatch(name);
  }
  return line;
}

