import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../kernel/require-kernel.js';

/** Runs the bpfsim command from source. */
function bpfsim(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
}

describe('cli', () => {
  describe('run --trace', () => {
    it('prints C lines, instructions with changed registers and a collapsed loop, bounded, before the fault (--no-verify)', () => {
      const r = bpfsim('run', 'fixtures/bad/prog_loop.json', '--trace', '--no-verify');
      expect(r.status).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      // An endless loop of a million instructions fits in a screenful.
      expect(lines.length).toBeLessThan(30);
      expect(lines).toContain('bad_loop.c:13: spins++;\t/* LOOP */');
      expect(lines.some((l) => /^ {4}3: r1 \+= 0x1\t; r1=0x1$/.test(l))).toBe(true);
      expect(lines.some((l) => /^ {6}\.\.\. 249998 more iterations of the 2 lines above \(999992 instructions\)$/.test(l))).toBe(true);
      expect(lines.at(-1)).toBe('bpfsim: insn 4: instruction budget of 1000000 exhausted (bad_loop.c:13)');
    });
  });
});
