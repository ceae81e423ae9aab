import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_F_NO_COMMON_LRU, BPF_MAP_TYPE, BPF_NOEXIST } from '../../src/uapi/bpf.js';
import { LruHashMap } from '../../src/maps/index.js';
import type { VmMap } from '../../src/vm/env.js';
import { EEXIST, EINVAL, ENOENT, keysOf, le, makeMap, mapSpec, num } from './ops.js';

const LRU = BPF_MAP_TYPE.BPF_MAP_TYPE_LRU_HASH;
const LRU_PERCPU = BPF_MAP_TYPE.BPF_MAP_TYPE_LRU_PERCPU_HASH;

const sorted = (map: VmMap) => keysOf(map).sort((a, b) => a - b);

/** Keys after each user-space insert of 1..12 into an 8-entry map, then a failing BPF_NOEXIST and a BPF_EXIST update of key 12. */
function fill(type: number, flags: number): { after: number[][]; noexist: number; afterNoexist: number[]; afterExist: number[] } {
  const { map } = makeMap(mapSpec(type, { valueSize: 8, maxEntries: 8, flags }), 2);
  const after: number[][] = [];
  for (let k = 1; k <= 12; k++) {
    expect(map.write(le(k), [le(1, 8)], BPF_ANY)).toBe(0);
    after.push(sorted(map));
  }
  const noexist = map.write(le(12), [le(1, 8)], BPF_NOEXIST);
  const afterNoexist = sorted(map);
  expect(map.write(le(12), [le(1, 8)], BPF_EXIST)).toBe(0);
  return { after, noexist, afterNoexist, afterExist: sorted(map) };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('maps', () => {
  describe('LruHashMap', () => {
    // Observed on Linux 6.18 (2 possible CPUs), `taskset -c 0 bpftool map update ... any` of keys
    // 1..12 into `lru_hash key 4 value 8 entries 8`: 1..8 fill the map; 9 evicts 1 and 2, 11
    // evicts 3 and 4 (target_free = 8 / 2 CPUs / 2 = 2 nodes at a time); a BPF_NOEXIST update of
    // the present key 12 fails with "File exists" yet evicts 5 and 6; a BPF_EXIST update then
    // evicts nothing. lru_percpu_hash with the common LRU behaves the same.
    it.each([
      { name: 'LRU_HASH', type: LRU },
      { name: 'LRU_PERCPU_HASH', type: LRU_PERCPU },
    ])('evicts in batches of target_free from the common LRU ($name)', ({ type }) => {
      const got = fill(type, 0);
      for (let k = 1; k <= 8; k++) expect(got.after[k - 1]).toEqual(range(1, k));
      expect(got.after[8]).toEqual(range(3, 9));
      expect(got.after[9]).toEqual(range(3, 10));
      expect(got.after[10]).toEqual(range(5, 11));
      expect(got.after[11]).toEqual(range(5, 12));
      expect(got.noexist).toBe(EEXIST);
      expect(got.afterNoexist).toEqual(range(7, 12));
      expect(got.afterExist).toEqual(range(7, 12));
    });

    // Observed on Linux 6.18, the same with flags 2 (BPF_F_NO_COMMON_LRU): each CPU's list has
    // 4 nodes; the fifth key evicts all four (PERCPU_FREE_TARGET = 4), as does the ninth; the
    // BPF_NOEXIST update of key 12 evicts 9..12, key 12 included, and so succeeds.
    it('evicts up to four at a time from a per-CPU LRU', () => {
      const got = fill(LRU, BPF_F_NO_COMMON_LRU);
      expect(got.after[3]).toEqual([1, 2, 3, 4]);
      expect(got.after[4]).toEqual([5]);
      expect(got.after[7]).toEqual([5, 6, 7, 8]);
      expect(got.after[8]).toEqual([9]);
      expect(got.after[11]).toEqual([9, 10, 11, 12]);
      expect(got.noexist).toBe(0);
      expect(got.afterNoexist).toEqual([12]);
      expect(got.afterExist).toEqual([12]);
    });

    it('keeps a key a program looked up (ref bit) and evicts an unreferenced one', () => {
      // As the kernel selftest test_lru_sanity0: a 2-entry map, key 1 referenced, key 3 evicts 2.
      const { map } = makeMap(mapSpec(LRU, { valueSize: 8, maxEntries: 2 }), 2);
      expect(map.update(le(1), le(1234, 8), BPF_NOEXIST, 0)).toBe(0);
      expect(map.update(le(1), le(1234, 8), BPF_NOEXIST, 0)).toBe(EEXIST);
      expect(map.update(le(1), le(1234, 8), -1, 0)).toBe(EINVAL);
      expect(map.update(le(2), le(1, 8), BPF_EXIST, 0)).toBe(ENOENT);
      expect(map.update(le(2), le(2, 8), BPF_NOEXIST, 0)).toBe(0);
      expect(map.lookup(le(1), 0)).not.toBe(0);
      expect(map.update(le(3), le(3, 8), BPF_NOEXIST, 0)).toBe(0);
      expect(sorted(map)).toEqual([1, 3]);
      expect(map.delete(le(1))).toBe(0);
      expect(map.delete(le(1))).toBe(ENOENT);
      expect(sorted(map)).toEqual([3]);
    });

    it('does not set the ref bit on user-space reads', () => {
      const { map } = makeMap(mapSpec(LRU, { valueSize: 8, maxEntries: 2 }), 2);
      map.write(le(1), [le(1, 8)], BPF_NOEXIST);
      map.write(le(2), [le(2, 8)], BPF_NOEXIST);
      expect(map.read(le(1))!.map(num)).toEqual([1]);
      map.write(le(3), [le(3, 8)], BPF_NOEXIST);
      expect(sorted(map)).toEqual([2, 3]);
    });

    it('keeps referenced keys through a shrink and evicts the oldest unreferenced ones', () => {
      // One CPU, 24 entries: target_free = 24 / 1 / 2 = 12. Keys 1..24 fill the map in two
      // batches; a program looks up 1..6; keys 25..36 need one shrink, which promotes 1..6 to
      // the active list and evicts the 12 oldest unreferenced keys, 7..18.
      const { map } = makeMap(mapSpec(LRU, { valueSize: 8, maxEntries: 24 }), 1);
      expect((map as LruHashMap).lru.targetFree).toBe(12);
      for (let k = 1; k <= 24; k++) expect(map.update(le(k), le(k, 8), BPF_NOEXIST, 0)).toBe(0);
      for (let k = 1; k <= 6; k++) expect(map.lookup(le(k), 0)).not.toBe(0);
      for (let k = 25; k <= 36; k++) expect(map.update(le(k), le(k, 8), BPF_NOEXIST, 0)).toBe(0);
      expect(sorted(map)).toEqual([...range(1, 6), ...range(19, 36)]);
    });

    it('replaces a present key with a new element whose value is the new one, keeping its place', () => {
      const { map, mem } = makeMap(mapSpec(LRU, { valueSize: 8, maxEntries: 4 }), 1);
      map.update(le(1), le(10, 8), BPF_ANY, 0);
      map.update(le(2), le(20, 8), BPF_ANY, 0);
      const before = map.lookup(le(1), 0);
      expect(map.update(le(1), le(11, 8), BPF_EXIST, 0)).toBe(0);
      const after = map.lookup(le(1), 0);
      expect(after).not.toBe(before);
      expect(num(mem.u8.subarray(after, after + 8))).toBe(11);
      expect(keysOf(map)).toEqual([1, 2]);
    });

    it('rounds max_entries up to the CPU count with BPF_F_NO_COMMON_LRU', () => {
      const { map } = makeMap(mapSpec(LRU, { maxEntries: 5, flags: BPF_F_NO_COMMON_LRU }), 2);
      expect((map as LruHashMap).capacity).toBe(6);
      for (let k = 1; k <= 3; k++) map.update(le(k), le(k), BPF_ANY, 1);
      for (let k = 11; k <= 13; k++) map.update(le(k), le(k), BPF_ANY, 0);
      expect(sorted(map)).toEqual([1, 2, 3, 11, 12, 13]);
      // CPU 0's list is full: its next key evicts only CPU 0's keys.
      map.update(le(14), le(14), BPF_ANY, 0);
      expect(sorted(map)).toEqual([1, 2, 3, 14]);
    });
  });

  describe('LruPercpuHashMap', () => {
    it('updates present keys in place per CPU and takes no node for BPF_EXIST', () => {
      const { map } = makeMap(mapSpec(LRU_PERCPU, { valueSize: 8, maxEntries: 8 }), 4);
      expect(map.update(le(1), le(5, 8), BPF_ANY, 2)).toBe(0);
      expect(map.read(le(1))!.map(num)).toEqual([0, 0, 5, 0]);
      const addr = map.lookup(le(1), 2);
      expect(map.update(le(1), le(6, 8), BPF_EXIST, 2)).toBe(0);
      expect(map.lookup(le(1), 2)).toBe(addr);
      expect(map.read(le(1))!.map(num)).toEqual([0, 0, 6, 0]);
      expect(map.update(le(2), le(6, 8), BPF_EXIST, 2)).toBe(ENOENT);
      expect(map.write(le(1), [le(1, 8), le(2, 8), le(3, 8), le(4, 8)], BPF_ANY)).toBe(0);
      expect(map.read(le(1))!.map(num)).toEqual([1, 2, 3, 4]);
    });
  });
});
