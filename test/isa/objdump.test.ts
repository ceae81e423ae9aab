import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbProgram } from './arbitrary.js';
import { assembleRaw, compareWithObjdump } from './llvm.js';

const root = join(import.meta.dirname, '../..');
const arch = execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim();

/** The objects in build/bpf and build/bpf/tests, built by the project's script. */
function projectObjects(): string[] {
  const dirs = [join(root, 'build/bpf'), join(root, 'build/bpf/tests')];
  return dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.o')).map((f) => join(d, f)));
}

const tmp = mkdtempSync(join(tmpdir(), 'bpfsim-objdump-'));
const isaSources = readdirSync(join(root, 'bpf/tests')).filter((f) => f.startsWith('isa_') && f.endsWith('.c'));
const cpus = ['v1', 'v2', 'v3', 'v4'];

// Built before the tests are collected: there is one test per object.
execFileSync('bash', [join(root, 'scripts/build-bpf.sh')], { stdio: 'ignore' });
const objects = projectObjects();

describe('isa', () => {
  it('has the project objects to compare', () => {
    expect(objects.length).toBeGreaterThan(50);
  });

  // One test per object: a single test over all of them outgrew the timeout on a loaded machine.
  it.each(objects.map((path) => ({ path, name: relative(join(root, 'build/bpf'), path) })))(
    'matches llvm-objdump-19 on every instruction of build/bpf/$name',
    ({ path }) => {
      const result = compareWithObjdump(path);
      expect(result.mismatches).toEqual([]);
      expect(result.count).toBeGreaterThan(0);
    },
  );

  it.each(cpus)('matches llvm-objdump-19 on the isa_*.c programs built with -mcpu=%s', (cpu) => {
    expect(isaSources.length).toBeGreaterThanOrEqual(3);
    for (const src of isaSources) {
      const obj = join(tmp, `${src.replace(/\.c$/, '')}-${cpu}.o`);
      execFileSync('clang-19', ['-O2', '-g', '-target', 'bpf', `-mcpu=${cpu}`, `-I/usr/include/${arch}-linux-gnu`, `-I${join(root, 'bpf')}`, '-c', join(root, 'bpf/tests', src), '-o', obj]);
      const result = compareWithObjdump(obj);
      expect(result.mismatches).toEqual([]);
      expect(result.count).toBeGreaterThan(50);
    }
  });

  it('matches llvm-objdump-19 on random valid instructions of every kind', () => {
    const programs = fc.sample(arbProgram(40), { numRuns: 250, seed: 9669 });
    const obj = assembleRaw(programs.flat(), mkdtempSync(join(tmp, 'raw-')));
    const result = compareWithObjdump(obj);
    expect(result.mismatches).toEqual([]);
    expect(result.count).toBeGreaterThan(1000);
  });
});
