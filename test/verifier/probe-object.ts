import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './corpus.js';

/** One naked program of inline asm: `body` instructions, `operands` after the asm's first colon pair (e.g. map operands, or `: "memory"`). */
export function nakedProgram(section: string, name: string, body: readonly string[], operands: string): string[] {
  return [`SEC("${section}") __attribute__((naked)) int ${name}(void)`, `{ asm volatile(${body.map((b) => JSON.stringify(b)).join(' ')} :: ${operands}); }`];
}

/**
 * Writes a generated probe source as build/bpf/tests/verifier-probe/NAME.c and compiles it (again
 * only when the source changed, known by its hash); returns the object's path.
 */
export function compileProbe(name: string, source: string): string {
  const dir = join(ROOT, 'build', 'bpf', 'tests', 'verifier-probe');
  const src = join(dir, `${name}.c`);
  const out = join(dir, `${name}.o`);
  const hashPath = join(dir, `${name}.sha256`);
  const hash = createHash('sha256').update(source).digest('hex');
  if (existsSync(out) && existsSync(hashPath) && readFileSync(hashPath, 'utf8') === hash) return out;
  mkdirSync(dir, { recursive: true });
  writeFileSync(src, source);
  const arch = execFileSync('uname', ['-m']).toString().trim();
  const tmp = `${out}.${process.pid}.tmp`;
  execFileSync('clang-19', ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${arch}-linux-gnu`, '-Wall', '-c', src, '-o', tmp]);
  renameSync(tmp, out);
  writeFileSync(hashPath, hash);
  return out;
}
