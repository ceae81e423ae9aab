import { describe, expect, it } from 'vitest';
import type { MapSpec } from '../../src/loader/spec.js';
import { fromHex } from '../../src/internal/hex.js';
import { diffResults, isIgnored, type ParityBtf, type ParityLeafField, type ParityResult } from '../../src/sim/parity.js';

/**
 * A hand-made BTF: type 1 is `struct flow { __u32 addr; __u16 port; [2 bytes padding]; __u64 last_seen; }`
 * (16 bytes), type 2 `struct key { __u32 ip; __u8 proto; [3 bytes padding] }`, type 3 a bitfield
 * struct `{ __u8 lo:4, hi:4; }`.
 */
const btf: ParityBtf = {
  leafFields(typeId: number): ParityLeafField[] {
    if (typeId === 1) return [{ path: 'addr', off: 0, size: 4 }, { path: 'port', off: 4, size: 2 }, { path: 'last_seen', off: 8, size: 8 }];
    if (typeId === 2) return [{ path: 'ip', off: 0, size: 4 }, { path: 'proto', off: 4, size: 1 }];
    if (typeId === 3) return [{ path: 'lo', off: 0, size: 1, bitOffset: 0, bitSize: 4 }, { path: 'hi', off: 0, size: 1, bitOffset: 4, bitSize: 4 }];
    throw new Error(`no type ${typeId}`);
  },
};

const spec = (name: string, type: number, keySize: number, valueSize: number, keyTypeId?: number, valueTypeId?: number): MapSpec => ({
  name, type, keySize, valueSize, maxEntries: 16, flags: 0, pinning: 0, keyTypeId, valueTypeId, source: 'btf',
});
const mapSpecs = [spec('flows', 1, 8, 16, 2, 1), spec('stats', 2, 4, 16, undefined, 1), spec('pc', 6, 4, 4), spec('bits', 1, 4, 1, undefined, 3)];

const KEY = '0a00000106000000';
const FLOW = '0a000002' + '1f90' + '0000' + '0500000000000000';
const PKT = '020000000002020000000001080045000014000100004011000000a0000010a000002';

const h = (hex: string): Uint8Array => fromHex(hex);
const base = (): ParityResult => ({ retval: 2, packet: h(PKT.slice(0, 68)), ctx: { mark: 1, cb: [0, 0, 0, 0, 0] }, maps: { flows: [{ key: h(KEY), value: h(FLOW) }] } });

describe('sim', () => {
  it('finds no difference between equal runs, a value or the one value of values', () => {
    const b: ParityResult = { ...base(), maps: { flows: [{ key: h(KEY), values: [h(FLOW)] }] } };
    expect(diffResults(base(), b, { btf, mapSpecs })).toEqual([]);
  });

  it.each([
    { name: 'retval', change: (r: ParityResult) => { r.retval = 3; }, want: ['retval: vm 2, kernel 3'] },
    { name: 'ctx field', change: (r: ParityResult) => { r.ctx!.mark = 9; }, want: ['ctx.mark: vm 1, kernel 9'] },
    { name: 'ctx array', change: (r: ParityResult) => { r.ctx!.cb = [0, 1, 0, 0, 0]; }, want: ['ctx.cb: vm [0, 0, 0, 0, 0], kernel [0, 1, 0, 0, 0]'] },
    { name: 'a value field', change: (r: ParityResult) => { r.maps.flows[0].value = h(FLOW.replace('1f90', '0050')); }, want: [`map 'flows' key ${KEY}: value.port: vm 36895, kernel 20480`] },
    { name: 'a key only one run has', change: (r: ParityResult) => { r.maps.flows.push({ key: h('0a00000911000000'), value: h(FLOW) }); }, want: [`map 'flows' key 0a00000911000000: only in kernel`] },
    { name: 'a map only one run lists', change: (r: ParityResult) => { r.maps.extra = [{ key: h('00'), value: h('01') }]; }, want: [`map 'extra' key 00: only in kernel`] },
  ])('reports a different $name', ({ change, want }) => {
    const b = base();
    change(b);
    expect(diffResults(base(), b, { btf, mapSpecs }).map((d) => d.message)).toEqual(want);
  });

  it('names map, key and field of a value difference', () => {
    const b = base();
    b.maps.flows[0].value = h(FLOW.slice(0, 16) + '0700000000000000');
    expect(diffResults(base(), b, { btf, mapSpecs })).toEqual([
      { kind: 'map', map: 'flows', key: KEY, field: 'value.last_seen', a: '5', b: '7', message: `map 'flows' key ${KEY}: value.last_seen: vm 5, kernel 7` },
    ]);
  });

  it('never compares padding bytes of values or keys', () => {
    const b = base();
    b.maps.flows[0].value = h(FLOW.slice(0, 12) + 'ffff' + FLOW.slice(16)); // the 2 padding bytes after port
    b.maps.flows[0].key = h(KEY.slice(0, 10) + 'abcdef'); // the 3 padding bytes after proto
    expect(diffResults(base(), b, { btf, mapSpecs })).toEqual([]);
  });

  it('compares whole values without BTF', () => {
    const b = base();
    b.maps.flows[0].value = h(FLOW.slice(0, 12) + 'ffff' + FLOW.slice(16));
    expect(diffResults(base(), b, { mapSpecs }).map((d) => d.field)).toEqual(['value']);
  });

  it('skips ignored paths, sub-fields included', () => {
    const b = base();
    b.maps.flows[0].value = h(FLOW.slice(0, 16) + '0700000000000000');
    expect(diffResults(base(), b, { btf, mapSpecs, ignore: ['flows.value.last_seen'] })).toEqual([]);
    expect(diffResults(base(), b, { btf, mapSpecs, ignore: ['flows.value'] })).toEqual([]);
    expect(diffResults(base(), b, { btf, mapSpecs, ignore: ['flows.value.last'] })).toHaveLength(1);
    expect(diffResults(base(), b, { btf, mapSpecs, ignore: ['other.value.last_seen'] })).toHaveLength(1);
  });

  it('matches keys on their non-ignored fields', () => {
    const b = base();
    b.maps.flows[0].key = h('0a00000111000000'); // proto 6 -> 17
    expect(diffResults(base(), b, { btf, mapSpecs }).map((d) => d.message)).toEqual([
      `map 'flows' key ${KEY}: only in vm`,
      `map 'flows' key 0a00000111000000: only in kernel`,
    ]);
    expect(diffResults(base(), b, { btf, mapSpecs, ignore: ['flows.key.proto'] })).toEqual([]);
  });

  it('treats an array entry one run omits as zeros', () => {
    const a = { ...base(), maps: { stats: [{ key: h('00000000'), value: h('00000000' + '0000' + '0000' + '0900000000000000') }] } };
    const b = { ...base(), maps: { stats: [] } };
    expect(diffResults(a, b, { btf, mapSpecs }).map((d) => d.message)).toEqual([`map 'stats' key 00000000: value.last_seen: vm 9, kernel 0`]);
    expect(diffResults(a, b, { btf, mapSpecs, ignore: ['stats.value.last_seen'] })).toEqual([]);
  });

  it('compares per-CPU values CPU by CPU, and the run CPU when the counts differ', () => {
    const a = { ...base(), maps: { pc: [{ key: h('00000000'), value: h('01000000'), values: [h('01000000'), h('02000000')] }] } };
    const b = { ...base(), maps: { pc: [{ key: h('00000000'), value: h('01000000'), values: [h('01000000'), h('03000000')] }] } };
    expect(diffResults(a, b, { mapSpecs })).toEqual([
      { kind: 'map', map: 'pc', key: '00000000', cpu: 1, field: 'value', a: '2', b: '3', message: `map 'pc' key 00000000: cpu 1: value: vm 2, kernel 3` },
    ]);
    const one = { ...base(), maps: { pc: [{ key: h('00000000'), value: h('01000000'), values: [h('01000000')] }] } };
    expect(diffResults(a, one, { mapSpecs })).toEqual([]);
  });

  it('compares bitfields bit by bit', () => {
    const a = { ...base(), maps: { bits: [{ key: h('00000000'), value: h('21') }] } };
    const b = { ...base(), maps: { bits: [{ key: h('00000000'), value: h('31') }] } };
    expect(diffResults(a, b, { btf, mapSpecs }).map((d) => d.message)).toEqual([`map 'bits' key 00000000: value.hi: vm 2, kernel 3`]);
  });

  it('shows a packet difference layer by layer', () => {
    const b = base();
    b.packet = b.packet.slice();
    b.packet[0] = 0x0a;
    const d = diffResults(base(), b, {});
    expect(d.length).toBeGreaterThan(0);
    expect(d.every((x) => x.kind === 'packet')).toBe(true);
    expect(d.some((x) => x.field?.startsWith('eth'))).toBe(true);
  });

  it.each([
    { have: ['m.value.a'], path: 'a', want: true },
    { have: ['m.value.a'], path: 'a.b', want: true },
    { have: ['m.value.a'], path: 'a[2]', want: true },
    { have: ['m.value.a'], path: 'ab', want: false },
    { have: ['m.value'], path: 'anything', want: true },
    { have: ['m.key.a'], path: 'a', want: false },
    { have: ['.bss.value.counter'], path: 'counter', want: true, map: '.bss' },
  ])('matches ignore paths $have against $path', ({ have, path, want, map }) => {
    expect(isIgnored(have, map ?? 'm', 'value', path)).toBe(want);
  });
});
