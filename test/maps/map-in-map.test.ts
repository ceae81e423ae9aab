import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_MAP_TYPE, BPF_NOEXIST } from '../../src/uapi/bpf.js';
import { createMap, dumpMap } from '../../src/maps/index.js';
import { mapHandle } from '../../src/vm/layout.js';
import { VmMemory } from '../../src/vm/memory.js';
import { E2BIG, EEXIST, EINVAL, ENOENT, le, mapSpec, num } from './ops.js';

const names = ['inner_a', 'inner_b', 'outer'];
const opts = { cpus: 1, mapCount: 3, mapIndex: (n: string) => (names.includes(n) ? names.indexOf(n) : undefined) };

describe('maps', () => {
  describe('ArrayOfMaps', () => {
    const spec = mapSpec(BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY_OF_MAPS, { maxEntries: 3, initialMaps: [{ slot: 0, map: 'inner_a' }, { slot: 2, map: 'inner_b' }] });

    it('gives programs inner map handles and user space map indices', () => {
      const map = createMap(spec, new VmMemory(), opts);
      expect(map.lookup(le(0), 0)).toBe(mapHandle(0));
      expect(map.lookup(le(2), 0)).toBe(mapHandle(1));
      expect(map.lookup(le(1), 0)).toBe(0);
      expect(map.lookup(le(3), 0)).toBe(0);
      expect(dumpMap(map).map((e) => [num(e.key), num(e.values[0]!)])).toEqual([
        [0, 0],
        [2, 1],
      ]);
    });

    it('follows the fd array errors', () => {
      const map = createMap(spec, new VmMemory(), opts);
      expect(map.write(le(1), [le(1)], BPF_NOEXIST)).toBe(EINVAL);
      expect(map.write(le(3), [le(1)], BPF_ANY)).toBe(E2BIG);
      expect(map.write(le(1), [le(3)], BPF_ANY)).toBe(-9);
      expect(map.write(le(1), [le(0)], BPF_ANY)).toBe(0);
      expect(map.delete(le(1))).toBe(0);
      expect(map.delete(le(1))).toBe(ENOENT);
      expect(map.delete(le(5))).toBe(E2BIG);
    });

    it('refuses an initial slot naming an unknown map', () => {
      const bad = mapSpec(BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY_OF_MAPS, { initialMaps: [{ slot: 0, map: 'nope' }] });
      expect(() => createMap(bad, new VmMemory(), opts)).toThrow(expect.objectContaining({ code: 'map/unknown-map' }));
    });
  });

  describe('HashOfMaps', () => {
    it('keys inner maps by any key with hash map flags', () => {
      const map = createMap(mapSpec(BPF_MAP_TYPE.BPF_MAP_TYPE_HASH_OF_MAPS, { keySize: 8, maxEntries: 1 }), new VmMemory(), opts);
      expect(map.write(le(7, 8), [le(1)], BPF_EXIST)).toBe(ENOENT);
      expect(map.write(le(7, 8), [le(1)], BPF_NOEXIST)).toBe(0);
      expect(map.write(le(7, 8), [le(0)], BPF_NOEXIST)).toBe(EEXIST);
      expect(map.write(le(8, 8), [le(0)], BPF_ANY)).toBe(E2BIG);
      expect(map.lookup(le(7, 8), 0)).toBe(mapHandle(1));
      expect(map.lookup(le(8, 8), 0)).toBe(0);
      expect(map.read(le(7, 8))!.map(num)).toEqual([1]);
    });
  });
});
