import { describe, expect, it } from 'vitest';
import { VmFault } from '../../src/internal/errors.js';
import { BPF_ANY, BPF_EXIST, BPF_F_RDONLY_PROG, BPF_MAP_TYPE, BPF_NOEXIST } from '../../src/uapi/bpf.js';
import { dumpMap } from '../../src/maps/index.js';
import { valueStride } from '../../src/vm/memory.js';
import { E2BIG, EEXIST, EINVAL, type Op, le, makeMap, mapSpec, num, runOps } from './ops.js';

const ARRAY = BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY;
const PERCPU_ARRAY = BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_ARRAY;

// Observed on Linux 6.18 with bpftool (array, key 4, value 4, entries 3): update of index 3
// "Argument list too long" (-E2BIG), noexist "File exists" (-EEXIST), exist succeeds, delete
// "Invalid argument" (-EINVAL), lookup of index 3 "Not found", getnext of the last index
// -ENOENT, getnext of 7 and without a key gives 0.
const table: { name: string; have: Op[] }[] = [
  {
    name: 'update bounds and flags',
    have: [
      ['lookup', 0, 0],
      ['update', 3, 1, BPF_ANY, E2BIG],
      ['update', 1, 1, BPF_NOEXIST, EEXIST],
      ['update', 1, 5, BPF_EXIST, 0],
      ['update', 1, 6, 3, EINVAL],
      ['update', 7, 6, 3, EINVAL],
      ['lookup', 1, 5],
      ['lookup', 3, null],
      ['lookup', 0xffffffff, null],
      ['read', 3, null],
      ['read', 1, [5]],
      ['delete', 1, EINVAL],
      ['delete', 3, EINVAL],
    ],
  },
  {
    name: 'get_next_key',
    have: [
      ['next', null, 0],
      ['next', 0, 1],
      ['next', 1, 2],
      ['next', 2, null],
      ['next', 3, 0],
      ['next', 7, 0],
    ],
  },
];

describe('maps', () => {
  describe('ArrayMap', () => {
    it.each(table)('$name', ({ have }) => {
      const { map, mem } = makeMap(mapSpec(ARRAY, { maxEntries: 3 }));
      runOps(map, mem, have);
    });

    it('lays values out 8-aligned a fixed stride apart, with guard bytes after each, so lookup is arithmetic', () => {
      const { map } = makeMap(mapSpec(ARRAY, { valueSize: 12, maxEntries: 4 }));
      const a0 = map.lookup(le(0), 0);
      expect(a0 % 8).toBe(0);
      expect(map.lookup(le(3), 0) - a0).toBe(3 * valueStride(12));
      expect(valueStride(12)).toBeGreaterThanOrEqual(16 + 8);
    });

    it('starts global data from the section bytes', () => {
      const data = new Uint8Array([1, 2, 3, 4, 5, 6]);
      const { map, mem } = makeMap(mapSpec(ARRAY, { name: '.data', valueSize: 6, maxEntries: 1, data, source: 'data' }));
      const addr = map.lookup(le(0), 0);
      expect([...mem.u8.subarray(addr, addr + 6)]).toEqual([1, 2, 3, 4, 5, 6]);
      expect(dumpMap(map).map((e) => [num(e.key), [...e.values[0]!]])).toEqual([[0, [1, 2, 3, 4, 5, 6]]]);
    });

    it('makes .rodata read-only to programs but writable from user space', () => {
      const data = new Uint8Array([42, 0, 0, 0]);
      const spec = mapSpec(ARRAY, { name: '.rodata', flags: BPF_F_RDONLY_PROG, maxEntries: 1, data, source: 'data' });
      const { map, mem } = makeMap(spec);
      const addr = map.lookup(le(0), 0);
      expect(mem.check(addr, 4, false, 7)).toBe('slab');
      let fault: unknown;
      try {
        mem.check(addr, 4, true, 7);
      } catch (err) {
        fault = err;
      }
      expect(fault).toBeInstanceOf(VmFault);
      expect((fault as VmFault).code).toBe('vm/read-only');
      expect(map.write(le(0), [le(43)], BPF_ANY)).toBe(0);
      expect(num(mem.u8.subarray(addr, addr + 4))).toBe(43);
    });

    it('dumps only non-zero entries', () => {
      const { map } = makeMap(mapSpec(ARRAY, { maxEntries: 5 }));
      map.update(le(3), le(9), BPF_ANY, 0);
      map.update(le(1), le(1), BPF_ANY, 0);
      expect(dumpMap(map).map((e) => [num(e.key), num(e.values[0]!)])).toEqual([
        [1, 1],
        [3, 9],
      ]);
    });
  });

  describe('PercpuArrayMap', () => {
    it('keeps a value per CPU for each index', () => {
      const { map, mem } = makeMap(mapSpec(PERCPU_ARRAY, { maxEntries: 2 }), 4);
      runOps(map, mem, [['update', 1, 7, BPF_ANY, 0], ['lookup', 1, 7], ['update', 2, 7, BPF_ANY, E2BIG], ['update', 0, 1, BPF_NOEXIST, EEXIST]], 3);
      expect(map.read(le(1))!.map(num)).toEqual([0, 0, 0, 7]);
      expect(map.lookup(le(1), 3) - map.lookup(le(1), 0)).toBe(3 * valueStride(4));
      expect(map.write(le(0), [le(5)], BPF_ANY)).toBe(0);
      expect(map.read(le(0))!.map(num)).toEqual([5, 5, 5, 5]);
      expect(map.write(le(0), [le(1), le(2), le(3), le(4)], BPF_EXIST)).toBe(0);
      expect(map.read(le(0))!.map(num)).toEqual([1, 2, 3, 4]);
      expect(dumpMap(map).map((e) => e.values.map(num))).toEqual([
        [1, 2, 3, 4],
        [0, 0, 0, 7],
      ]);
    });
  });
});
