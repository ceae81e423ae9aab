import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../kernel/require-kernel.js';

/** Runs the bpfsim command from source. */
function bpfsim(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
}

const CASE = join(ROOT, 'fixtures/cases/xdp_blacklist_v4_denied.json');

describe('cli', () => {
  describe('bench', () => {
    it.each(['wasm', 'interp'])('prints ns_per_run and runs as JSON on %s', (engine) => {
      const r = bpfsim('bench', CASE, '--engine', engine, '--runs', '5', '--json');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const json = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(json).toMatchObject({ runs: 5, engine, action: 'XDP_DROP', retval: 1 });
      expect(typeof json.ns_per_run === 'number' && json.ns_per_run > 0).toBe(true);
    });

    it('prints one human line without --json', () => {
      const r = bpfsim('bench', CASE, '--runs', '3');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^xdp_blacklist on wasm: [\d.]+ ns per run over 3 runs \(last run XDP_DROP\)\n$/);
    });

    it.each([
      { name: 'zero runs', have: ['--runs', '0'] },
      { name: 'a fractional run count', have: ['--runs', '1.5'] },
      { name: 'an unknown engine', have: ['--engine', 'jit'] },
    ])('exits 2 with one line on $name', ({ have }) => {
      const r = bpfsim('bench', CASE, ...have);
      expect(r.status).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    });
  });
});
