import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCase } from '../../src/sim/backend.js';
import { parseCase } from '../../src/sim/case.js';
import { parityOfCase } from '../../src/sim/parity-case.js';
import { diffResults } from '../../src/sim/parity.js';
import { resultJson } from '../../src/sim/result.js';
import { kernelOrSkip, ROOT } from '../kernel/require-kernel.js';
import { bpfsim, ensureDist } from '../support/cli.js';

/**
 * Prog arrays in results and parity: both backends report a filled slot as the program's name,
 * a difference names the backends (`vm`, `kernel`), and `parity.ignore` takes a whole map.
 */

const available = await kernelOrSkip();
const PACKET = '02000000000202000000000108004500001c000000004011000000000000000000000000000000000000';
const TAIL = { object: 'build/bpf/tests/vm_tail_calls.o', program: 'entry', packet: PACKET, maps: { jt: [{ key: '00000000', program: 'target' }] } };

describe('sim: prog arrays in results', () => {
  it.each(['wasm', 'interp'] as const)('name the program in a filled slot on %s', async (engine) => {
    const r = await runCase(parseCase(TAIL, ROOT), { engine });
    expect(r.retval).toBe(7);
    expect(r.maps.jt).toEqual([{ key: new Uint8Array(4), program: 'target' }]);
    expect(resultJson(r).maps.jt).toEqual([{ key: '00000000', program: 'target' }]);
  });

  it('name the backends in a difference and compare slots by program', () => {
    const vm = { retval: 1, packet: Uint8Array.of(0), maps: { jt: [{ key: new Uint8Array(4), program: 'target' }], only: [{ key: Uint8Array.of(1), value: Uint8Array.of(2) }] } };
    const kernel = { retval: 2, packet: Uint8Array.of(0), maps: { jt: [{ key: new Uint8Array(4), program: 'entry' }] } };
    expect(diffResults(vm, kernel).map((d) => d.message)).toEqual([
      'retval: vm 1, kernel 2',
      "map 'jt' key 00000000: program: vm target, kernel entry",
      "map 'only' key 01: only in vm",
    ]);
    expect(diffResults(vm, kernel, { ignore: ['jt', 'only'] }).map((d) => d.kind)).toEqual(['retval']);
  });
});

describe.runIf(available)('kernel: prog arrays in parity', () => {
  it('agree on a case that fills a prog-array slot', async () => {
    const { differences, kernel } = await parityOfCase(parseCase(TAIL, ROOT));
    expect(kernel?.maps.jt).toEqual([{ key: new Uint8Array(4), program: 'target' }]);
    expect(differences).toEqual([]);
  });

  it('bpfsim parity exits 0 on it', async () => {
    ensureDist();
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const dir = mkdtempSync(join((await import('node:os')).tmpdir(), 'bpfsim-pa-'));
    writeFileSync(join(dir, 'tail.json'), JSON.stringify({ ...TAIL, object: join(ROOT, TAIL.object) }));
    const run = await bpfsim('parity', join(dir, 'tail.json'));
    expect(run.stderr).toBe('');
    expect(run.status, run.stdout).toBe(0);
  });
});
