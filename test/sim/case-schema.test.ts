import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseError } from '../../src/internal/errors.js';
import { runCase } from '../../src/sim/backend.js';
import { parseCase } from '../../src/sim/case.js';
import { bpfsim, ensureDist, expectOneLine, ROOT } from '../support/cli.js';

/**
 * The case file's strict schema (design.md, "Case files"): an unknown field at any depth, a
 * `__proto__` key, a value of the wrong type or out of range is an error naming its JSON path
 * (CaseError, exit 2 from the CLI), never silently ignored, wrapped or rounded.
 */

const GOOD = JSON.parse(readFileSync(join(ROOT, 'fixtures/cases/xdp_blacklist_v4_denied.json'), 'utf8')) as Record<string, unknown>;
const BASE = join(ROOT, 'fixtures/cases');
const FIB = { interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24'] }], routes: [{ dst: '10.9.0.0/16', via: '10.1.0.254', dev: 2 }], neighbors: [{ ip: '10.1.0.254', mac: '02:00:00:00:01:fe', dev: 2 }] };

/** The good case with `edit` applied to a deep copy. */
function mutate(edit: (c: Record<string, any>) => void): Record<string, unknown> {
  const c = structuredClone(GOOD) as Record<string, any>;
  edit(c);
  return c;
}

/** The good case's JSON text with `field` (raw JSON text) added inside the object that starts with `anchor`. */
function withRawField(anchor: string, field: string): string {
  const text = JSON.stringify(GOOD);
  const at = text.indexOf(anchor) + anchor.length;
  return text.slice(0, at) + field + ',' + text.slice(at);
}

interface Bad {
  name: string;
  have: () => unknown;
  /** The JSON path the message starts with. */
  path: string;
  code?: string;
}

const bad: Bad[] = [
  { name: 'an unknown top-level field', have: () => mutate((c) => (c.expected = { retval: 1 })), path: 'expected' },
  { name: 'a misspelt expect field', have: () => mutate((c) => (c.expect = { retvall: 2 })), path: 'expect.retvall' },
  { name: 'an unknown parity field', have: () => mutate((c) => (c.parity = { ignored: [] })), path: 'parity.ignored' },
  { name: 'an unknown map entry field', have: () => mutate((c) => (c.maps.deny_v4[0].val = '00')), path: 'maps.deny_v4[0].val' },
  { name: 'an unknown fib field', have: () => mutate((c) => (c.fib = { ...FIB, rules: [] })), path: 'fib.rules', code: 'case/bad-fib' },
  { name: 'an unknown interface field', have: () => mutate((c) => (c.fib = { ...FIB, interfaces: [{ ...FIB.interfaces[0], speed: 10 }] })), path: 'fib.interfaces[0].speed', code: 'case/bad-fib' },
  { name: 'an unknown route field', have: () => mutate((c) => (c.fib = { ...FIB, routes: [{ ...FIB.routes[0], metric: 5 }] })), path: 'fib.routes[0].metric', code: 'case/bad-fib' },
  { name: 'an unknown neighbour field', have: () => mutate((c) => (c.fib = { ...FIB, neighbors: [{ ...FIB.neighbors[0], state: 'x' }] })), path: 'fib.neighbors[0].state', code: 'case/bad-fib' },
  { name: 'a __proto__ key in ctx', have: () => JSON.parse(withRawField('"ctx":{', '"__proto__":{"mark":1}')), path: 'ctx.__proto__' },
  { name: 'a __proto__ key in maps', have: () => JSON.parse(withRawField('"maps":{', '"__proto__":[]')), path: 'maps.__proto__' },
  { name: 'a __proto__ key at the top', have: () => JSON.parse(withRawField('{', '"__proto__":{}')), path: '__proto__' },
  { name: 'a retval past 32 bits', have: () => mutate((c) => (c.expect = { retval: 4294967297 })), path: 'expect.retval' },
  { name: 'a retval of 1e300', have: () => mutate((c) => (c.expect = { retval: 1e300 })), path: 'expect.retval' },
  { name: 'a fractional retval', have: () => mutate((c) => (c.expect = { retval: 1.5 })), path: 'expect.retval' },
  { name: 'an unknown action name', have: () => mutate((c) => (c.expect = { action: 'XDP_BOUNCE' })), path: 'expect.action' },
  { name: 'a ctx value past 2^53', have: () => mutate((c) => (c.ctx = { ingress_ifindex: 1e300 })), path: 'ctx.ingress_ifindex' },
  { name: 'a negative ctx value', have: () => mutate((c) => (c.ctx = { ingress_ifindex: -1 })), path: 'ctx.ingress_ifindex' },
  { name: 'a key that is not a string', have: () => mutate((c) => (c.maps.deny_v4[0].key = 5)), path: 'maps.deny_v4[0].key' },
  { name: 'a missing key', have: () => mutate((c) => delete c.maps.deny_v4[0].key), path: 'maps.deny_v4[0].key' },
  { name: 'an ifindex past 2^31-1', have: () => mutate((c) => (c.fib = { ...FIB, interfaces: [{ ...FIB.interfaces[0], ifindex: 2 ** 31 }] })), path: 'fib.interfaces[0].ifindex', code: 'case/bad-fib' },
  { name: 'an unknown type', have: () => mutate((c) => (c.type = 'kprobe')), path: 'type' },
  { name: 'both value and program in an entry', have: () => mutate((c) => (c.maps.deny_v4[0].program = 'xdp_blacklist')), path: 'maps.deny_v4[0]' },
  { name: 'a non-string parity path', have: () => mutate((c) => (c.parity = { ignore: [3] })), path: 'parity.ignore[0]' },
];

describe('sim: case schema', () => {
  it.each(bad)('refuses $name, naming $path', ({ have, path, code }) => {
    let err: unknown;
    try {
      parseCase(have(), BASE, 'x.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaseError);
    expect((err as CaseError).code).toBe(code ?? 'case/invalid');
    expect((err as CaseError).message.startsWith(`${path}: `), (err as CaseError).message).toBe(true);
  });

  it('accepts the good case, a full fib, expect.action, rodata of any JSON and every known field', () => {
    const c = parseCase(mutate((c) => Object.assign(c, { fib: FIB, rodata: { limit: 5, addr: '10.0.0.1', list: [1, 2], nested: { a: 1 } }, parity: { ignore: ['deny_v4'] }, expect: { retval: -1, action: 'XDP_DROP' }, name: 'n' })), BASE);
    expect(c.expect).toEqual({ retval: 0xffff_ffff, action: 'XDP_DROP' });
    expect(c.fib?.interfaces?.[0]?.name).toBe('eth1');
    expect(c.rodata).toEqual({ limit: 5, addr: '10.0.0.1', list: [1, 2], nested: { a: 1 } });
  });

  it.each(['wasm', 'interp'] as const)('checks expect.action against the run on %s', async (engine) => {
    const hit = parseCase(mutate((c) => (c.expect = { action: 'XDP_DROP', retval: 1 })), BASE);
    const miss = parseCase(mutate((c) => (c.expect = { action: 'XDP_PASS' })), BASE);
    const { unmetExpectations } = await import('../../src/sim/run-case.js');
    expect(unmetExpectations(hit, await runCase(hit, { engine }))).toEqual([]);
    expect(unmetExpectations(miss, await runCase(miss, { engine }))).toHaveLength(1);
  });
});

describe('sim: prog-array slots and values', () => {
  const tail = { object: 'build/bpf/tests/vm_tail_calls.o', program: 'entry', packet: GOOD.packet as string };
  it.each(['wasm', 'interp'] as const)('refuses a program in a hash and a value in a prog array on %s', async (engine) => {
    const asValue = parseCase({ ...tail, maps: { jt: [{ key: '00000000', value: '00000000' }] } }, ROOT);
    await expect(runCase(asValue, { engine })).rejects.toMatchObject({ code: 'case/bad-map-entry' });
    const asProgram = parseCase({ ...GOOD, maps: { deny_v4: [{ key: '0a000042', program: 'xdp_blacklist' }] } }, BASE);
    await expect(runCase(asProgram, { engine })).rejects.toMatchObject({ code: 'case/bad-map-entry' });
    const good = parseCase({ ...tail, maps: { jt: [{ key: '00000000', program: 'target' }] } }, ROOT);
    expect((await runCase(good, { engine })).retval).toBe(7);
  });
});

describe('cli: case schema', () => {
  let dir: string;
  beforeAll(() => {
    ensureDist();
    dir = mkdtempSync(join(tmpdir(), 'bpfsim-schema-'));
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    { name: 'expect.retvall', have: mutate((c) => (c.expect = { retvall: 2 })), names: ['expect.retvall', 'unknown field'] },
    { name: 'a retval of 2^32 + 1', have: mutate((c) => (c.expect = { retval: 4294967297 })), names: ['expect.retval'] },
    { name: 'program in a hash', have: { ...mutate(() => {}), maps: { deny_v4: [{ key: '0a000042', program: 'xdp_blacklist' }] } }, names: ['maps.deny_v4[0]', 'program'] },
    { name: 'value in a prog array', have: { object: '../../build/bpf/tests/vm_tail_calls.o', program: 'entry', packet: GOOD.packet, maps: { jt: [{ key: '00000000', value: '00000000' }] } }, names: ['maps.jt[0]', 'prog-array'] },
  ])('ends a case with $name with exit 2 and one line naming it', async ({ have, names }) => {
    // What the schema finds names the file; what needs the object (the map's type) names the entry.
    const path = join(dir, 'case.json');
    const text = JSON.stringify({ ...have, object: join(BASE, String(have.object)) });
    writeFileSync(path, text);
    expectOneLine(await bpfsim('run', path, '--json'), names);
  });

  it('exits 1 when expect.action is not met', async () => {
    const path = join(dir, 'action.json');
    writeFileSync(path, JSON.stringify({ ...mutate((c) => (c.expect = { action: 'XDP_PASS' })), object: join(BASE, String(GOOD.object)) }));
    const run = await bpfsim('run', path);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('XDP_DROP');
  });
});
