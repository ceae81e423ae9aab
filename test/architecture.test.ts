import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The design's import direction ("Architecture"): a module imports only from modules to its left
 * in this list, or from itself. `src/types` holds ambient declarations; `src/index.ts` may import
 * anything but `cli`; nothing but `cli` imports from `cli`.
 */
const ORDER = ['internal', 'uapi', 'isa', 'elf', 'btf', 'packet', 'pcap', 'loader', 'vm', 'maps', 'helpers', 'verifier', 'kernel', 'sim', 'testing', 'cli'];

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Every module specifier `source` names: static imports and re-exports (`import x from`,
 * `import type`, `export * from`, `import 'side-effect'`) and dynamic `import('...')`.
 */
export function importsOf(source: string): string[] {
  // Comments could hold example imports; strings are left alone since specifiers are strings.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs: string[] = [];
  for (const m of code.matchAll(/(?:^|[;\n])\s*(?:import|export)\s+(?:type\s+)?(?:[\w*\s{},$]*?\s+from\s+)?['"]([^'"]+)['"]/g)) specs.push(m[1]!);
  for (const m of code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
  return specs;
}

/** The module a path under src/ belongs to: its first directory, or `index` for src/index.ts. */
function moduleOf(path: string): string {
  const rel = relative(SRC, path).split(sep);
  return rel.length === 1 ? rel[0]!.replace(/\.ts$/, '') : rel[0]!;
}

/** Why importing module `to` from module `from` breaks the direction, or undefined when it may. */
export function violation(from: string, to: string): string | undefined {
  if (from === to || to === 'types') return undefined;
  if (to === 'cli') return 'nothing but cli imports from cli';
  if (from === 'index') return ORDER.includes(to) ? undefined : `unknown module '${to}'`;
  if (to === 'index') return 'only users import the package index';
  const a = ORDER.indexOf(from);
  const b = ORDER.indexOf(to);
  if (a < 0) return `unknown module '${from}'`;
  if (b < 0) return `unknown module '${to}'`;
  return b < a ? undefined : `${from} may not import ${to} (it comes after ${from})`;
}

/** `file: import 'spec' (why)` for every import in src/ that breaks the direction, and how many relative imports were checked. */
function scan(): { violations: string[]; checked: number } {
  const out: string[] = [];
  let checked = 0;
  for (const file of tsFiles(SRC)) {
    const from = moduleOf(file);
    if (from === 'types') continue;
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      checked++;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC + sep)) {
        out.push(`src/${relative(SRC, file)}: import '${spec}' (outside src)`);
        continue;
      }
      const why = violation(from, moduleOf(target));
      if (why) out.push(`src/${relative(SRC, file)}: import '${spec}' (${why})`);
    }
  }
  return { violations: out, checked };
}

describe('architecture', () => {
  it('finds static, type, re-export, side-effect and dynamic imports', () => {
    const source = [
      "import { a } from '../a.js';",
      "import type { B } from '../b.js';",
      "import * as c from './c.js';",
      "export { d } from '../d.js';",
      "export * from './e.js';",
      "import './f.js';",
      "const g = await import('../g.js');",
      'import {',
      '  h,',
      '  i,',
      "} from '../h.js';",
      "// import { x } from '../commented.js';",
      "const s = 'import nothing';",
    ].join('\n');
    expect(importsOf(source)).toEqual(['../a.js', '../b.js', './c.js', '../d.js', './e.js', './f.js', '../h.js', '../g.js']);
  });

  it.each([
    { name: 'a module importing one to its left', have: ['vm', 'loader'], want: false },
    { name: 'a module importing itself', have: ['maps', 'maps'], want: false },
    { name: 'the ambient types', have: ['isa', 'types'], want: false },
    { name: 'the index importing sim', have: ['index', 'sim'], want: false },
    { name: 'a module importing one to its right', have: ['vm', 'maps'], want: true },
    { name: 'sim importing cli', have: ['sim', 'cli'], want: true },
    { name: 'the index importing cli', have: ['index', 'cli'], want: true },
    { name: 'a module importing the index', have: ['testing', 'index'], want: true },
  ])('judges $name', ({ have, want }) => {
    expect(violation(have[0]!, have[1]!) !== undefined).toBe(want);
  });

  it('has no import against the design direction in src/', () => {
    const { violations, checked } = scan();
    expect(checked).toBeGreaterThan(100);
    expect(violations).toEqual([]);
  });
});
