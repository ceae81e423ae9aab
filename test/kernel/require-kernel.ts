/**
 * Test helper: whether the kernel backend can run here. Unavailable (no root, no koffi or libbpf)
 * means the kernel tests do not run and the reason is printed, unless BPFSIM_REQUIRE_KERNEL=1:
 * then a test named 'kernel backend is available' fails with the reason.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { kernelAvailable } from '../../src/kernel/available.js';

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Whether the kernel tests of the calling file run. Call at the top level of a test file and
 * pass the result to `describe.runIf`.
 */
export async function kernelOrSkip(): Promise<boolean> {
  const k = await kernelAvailable();
  if (k.ok) return true;
  if (process.env.BPFSIM_REQUIRE_KERNEL === '1') {
    it('kernel backend is available', () => {
      expect.fail(`BPFSIM_REQUIRE_KERNEL=1 but ${k.reason}`);
    });
  } else {
    console.log(`kernel tests not run: ${k.reason}`);
  }
  return false;
}

/**
 * The path of `build/bpf/tests/NAME.o`, compiled from `bpf/tests/NAME.c` with the flags of
 * scripts/build-bpf.sh when missing or older than its source (only this file, so another
 * area's broken program cannot fail these tests).
 */
export function testObject(name: string): string {
  const src = join(ROOT, 'bpf', 'tests', `${name}.c`);
  const out = join(ROOT, 'build', 'bpf', 'tests', `${name}.o`);
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(dirname(out), { recursive: true });
    const archInclude = `/usr/include/${execFileSync('uname', ['-m']).toString().trim()}-linux-gnu`;
    execFileSync('clang-19', ['-O2', '-g', '-target', 'bpf', `-I${archInclude}`, `-I${join(ROOT, 'bpf')}`, '-Wall', '-c', src, '-o', `${out}.${process.pid}.tmp`]);
    renameSync(`${out}.${process.pid}.tmp`, out);
  }
  return out;
}
