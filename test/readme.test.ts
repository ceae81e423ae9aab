import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const examples = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('README', () => {
  it('has TypeScript examples', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples.map((code, i) => ({ i, code })))('example $i runs', async ({ i, code }) => {
    const dir = join(ROOT, 'test', '.readme');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `example-${i}.ts`);
    const source = code.replace(/from 'bpfsim(\/testing)?'/g, (_, sub: string | undefined) => `from '${pathToFileURL(join(ROOT, 'src', sub ? 'testing/index.ts' : 'index.ts')).href}'`);
    writeFileSync(file, `${source}\nexport {};\n`);
    await import(pathToFileURL(file).href);
  });
});
