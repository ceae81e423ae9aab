import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const examples = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const DIR = join(ROOT, 'test', '.readme');
const ENTRIES: Record<string, string> = { '': 'index.ts', '/testing': 'testing/index.ts', '/vitest': 'testing/vitest.ts' };

/** The example with `bpfsim`, `bpfsim/testing` and `bpfsim/vitest` pointing at the sources. */
const fromSource = (code: string) => code.replace(/'bpfsim(\/testing|\/vitest)?'/g, (_, sub: string | undefined) => `'${pathToFileURL(join(ROOT, 'src', ENTRIES[sub ?? '']!)).href}'`);

describe('README', () => {
  it('has TypeScript examples, one of them a vitest file', () => {
    expect(examples.length).toBeGreaterThan(0);
    expect(examples.some((code) => code.includes("from 'vitest'"))).toBe(true);
  });

  it.each(examples.map((code, i) => ({ i, code })))('example $i runs', async ({ i, code }) => {
    mkdirSync(DIR, { recursive: true });
    if (!code.includes("from 'vitest'")) {
      const file = join(DIR, `example-${i}.ts`);
      writeFileSync(file, `${fromSource(code)}\nexport {};\n`);
      await import(pathToFileURL(file).href);
      return;
    }
    // A vitest file runs as a test file of its own, in a child vitest from the repository root.
    const file = join(DIR, `example-${i}.readme.test.ts`);
    writeFileSync(file, fromSource(code));
    writeFileSync(join(DIR, 'vitest.config.mjs'), `export default { test: { include: ['example-${i}.readme.test.ts'], testTimeout: 30000 } };\n`);
    const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    const run = await promisify(execFile)(process.execPath, [vitest, 'run', '--root', DIR], { cwd: ROOT, env }).catch((err: { stdout: string; stderr: string }) => err);
    expect(run.stdout + run.stderr).toMatch(/Tests\s+.*\d+ passed/);
    expect(run.stdout + run.stderr).not.toMatch(/failed/);
  }, 60_000);
});
