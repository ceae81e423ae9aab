import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { colorWanted } from '../../src/cli/common.js';
import { ROOT } from '../kernel/require-kernel.js';

const bpfsim = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '1', CI: '1' } });
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('the package', () => {
  it('prints its version with --version', () => {
    const r = bpfsim('--version');
    expect([r.status, r.stdout.trim()]).toEqual([0, version]);
  });

  it.each([
    { name: 'a terminal', stream: { isTTY: true }, env: {}, want: true },
    { name: 'a terminal with NO_COLOR', stream: { isTTY: true }, env: { NO_COLOR: '1' }, want: false },
    { name: 'a dumb terminal', stream: { isTTY: true }, env: { TERM: 'dumb' }, want: false },
    { name: 'a pipe in CI with FORCE_COLOR', stream: { isTTY: false }, env: { CI: '1', FORCE_COLOR: '1' }, want: false },
  ])('colours output to $name: $want', ({ stream, env, want }) => {
    expect(colorWanted(stream, env)).toBe(want);
  });

  it('prints no escape codes into a pipe, even in CI', () => {
    const r = bpfsim('run', 'fixtures/cases/xdp_blacklist_v4_denied.json');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('ships source maps that carry their sources', () => {
    const maps = readdirSync(join(ROOT, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(50);
    for (const f of maps) {
      const map = JSON.parse(readFileSync(join(ROOT, 'dist', f), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
      expect(map.sourcesContent?.length, f).toBe(map.sources.length);
    }
  });
});
