/**
 * What cilium/ebpf loads beyond libbpf: static functions of program sections as programs
 * (tail-call targets named in a prog array's `.values`), direct calls into a function of another
 * program's section, pinning values libbpf does not know (not pinned, with a warning), and BTF
 * decl tags kept on the spec.
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatInspection, inspectObject } from '../../src/cli/inspect.js';
import { loadObjectFile } from '../../src/loader/load-object.js';
import { load } from '../../src/sim/object.js';
import { verifyObject } from '../../src/verifier/index.js';
import { ROOT, testObject } from '../kernel/require-kernel.js';

const OBJECT = testObject('loader_cilium');

beforeAll(() => {
  execFileSync('bash', ['scripts/build-bpf.sh'], { cwd: ROOT });
});

describe('loader', () => {
  it('makes an uncalled static function of a program section a program, and keeps a called one a subprogram', () => {
    const spec = loadObjectFile(OBJECT);
    expect(spec.programs.map((p) => p.name)).toEqual(['tail_static', 'tail_global', 'shared_classify', 'cil_entry']);
    expect(spec.maps.find((m) => m.name === 'calls')?.initialPrograms).toEqual([
      { slot: 0, program: 'tail_static' },
      { slot: 1, program: 'tail_global' },
    ]);
    // loader_static.c: a static function its section's program calls is linked into it, not a program.
    expect(loadObjectFile(testObject('loader_static')).programs.map((p) => [p.name, p.functions.map((f) => f.name)])).toEqual([['xdp_static', ['xdp_static', 'same_section_helper']]]);
  });

  it('links a direct call into a function that lives in another program section', () => {
    const entry = loadObjectFile(OBJECT).programs.find((p) => p.name === 'cil_entry')!;
    expect(entry.functions.map((f) => f.name)).toEqual(['cil_entry', 'shared_classify']);
  });

  it('keeps BTF decl tags on programs', () => {
    const spec = loadObjectFile(OBJECT);
    expect(Object.fromEntries(spec.programs.map((p) => [p.name, p.declTags]))).toEqual({
      tail_static: ['tail:calls/0'],
      tail_global: ['tail:calls/1'],
      shared_classify: undefined,
      cil_entry: ['entry'],
    });
  });

  it('reads a pinning value libbpf does not know as no pinning, with a warning', async () => {
    const spec = loadObjectFile(OBJECT);
    expect(spec.maps.find((m) => m.name === 'seen')?.pinning).toBe(0);
    expect(spec.warnings).toEqual([expect.stringMatching(/^map 'seen': pinning 2 is not a libbpf pinning/)]);
    expect(formatInspection('x.o', inspectObject(spec))).toMatch(/warnings:\n {2}map 'seen': pinning 2/);
    expect((await load(OBJECT)).warnings).toEqual(spec.warnings);
  });

  it('verifies every program of the object', () => {
    expect(verifyObject(loadObjectFile(OBJECT)).programs.map((p) => [p.program, p.accepted])).toEqual([
      ['tail_static', true],
      ['tail_global', true],
      ['shared_classify', true],
      ['cil_entry', true],
    ]);
  });

  it('leaves programs of types it does not model out of an object verification', () => {
    expect(verifyObject(loadObjectFile(testObject('loader_mixed'))).programs.map((p) => p.program)).toEqual(['mixed_tc', 'mixed_tcx', 'mixed_xdp']);
  });
});

describe.each(['interp', 'wasm'] as const)('cilium-style object on vm/%s', (engine) => {
  it.each([
    { mark: 0, action: 'TC_ACT_SHOT', seen: [[0, 60]] },
    { mark: 1, action: 'TC_ACT_REDIRECT', seen: [[1, 60]] },
    { mark: 7, action: 'TC_ACT_OK', seen: [] },
    { mark: 3, action: 'TC_ACT_UNSPEC', seen: [] },
  ])('mark $mark: tail call into the statically filled prog array or the direct call gives $action', async ({ mark, action, seen }) => {
    const obj = await load(OBJECT, { engine });
    const r = obj.program('cil_entry').run(new Uint8Array(60), { ctx: { mark } });
    expect(r.action).toBe(action);
    expect([...obj.map('seen').entries()]).toEqual(seen);
  });

  it('runs the static tail-call target on its own', async () => {
    const obj = await load(OBJECT, { engine });
    expect(obj.program('tail_static').run(new Uint8Array(70)).action).toBe('TC_ACT_SHOT');
    expect([...obj.map('seen').entries()]).toEqual([[0, 70]]);
  });
});
