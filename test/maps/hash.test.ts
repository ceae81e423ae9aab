import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MapError } from '../../src/internal/errors.js';
import { BPF_ANY, BPF_EXIST, BPF_MAP_TYPE, BPF_NOEXIST } from '../../src/uapi/bpf.js';
import { valueStride } from '../../src/vm/memory.js';
import { E2BIG, EEXIST, EINVAL, ENOENT, type Op, keysOf, le, makeMap, mapSpec, num, runOps } from './ops.js';

const HASH = BPF_MAP_TYPE.BPF_MAP_TYPE_HASH;
const PERCPU_HASH = BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_HASH;

// Errors observed on Linux 6.18 with bpftool in a private namespace (hash, key 4, value 4,
// entries 2): noexist on a present key "File exists" (-EEXIST), exist on an absent key
// "No such file or directory" (-ENOENT), a third key "Argument list too long" (-E2BIG), replacing
// a key of a full map succeeds, delete of an absent key -ENOENT, getnext of an absent key gives
// the first key.
const table: { name: string; have: Op[] }[] = [
  {
    name: 'update flags and their errors',
    have: [
      ['update', 1, 10, BPF_NOEXIST, 0],
      ['update', 1, 11, BPF_NOEXIST, EEXIST],
      ['update', 2, 20, BPF_EXIST, ENOENT],
      ['update', 1, 12, BPF_EXIST, 0],
      ['lookup', 1, 12],
      ['update', 1, 13, BPF_ANY, 0],
      ['lookup', 1, 13],
      ['update', 1, 14, 3, EINVAL],
      ['update', 1, 14, 4, EINVAL],
      ['lookup', 1, 13],
    ],
  },
  {
    name: 'a full map refuses a new key with -E2BIG but replaces present ones',
    have: [
      ['update', 1, 1, BPF_ANY, 0],
      ['update', 2, 2, BPF_ANY, 0],
      ['update', 3, 3, BPF_ANY, 0],
      ['update', 4, 4, BPF_ANY, 0],
      ['update', 5, 5, BPF_ANY, E2BIG],
      ['update', 5, 5, BPF_NOEXIST, E2BIG],
      ['update', 4, 40, BPF_ANY, 0],
      ['delete', 2, 0],
      ['update', 5, 5, BPF_ANY, 0],
      ['lookup', 5, 5],
      ['lookup', 2, null],
    ],
  },
  {
    name: 'delete and get_next_key follow insertion order',
    have: [
      ['next', null, null],
      ['update', 7, 1, BPF_ANY, 0],
      ['update', 3, 1, BPF_ANY, 0],
      ['update', 9, 1, BPF_ANY, 0],
      ['next', null, 7],
      ['next', 7, 3],
      ['next', 3, 9],
      ['next', 9, null],
      ['next', 1234, 7],
      ['delete', 3, 0],
      ['delete', 3, ENOENT],
      ['next', 7, 9],
      ['update', 3, 2, BPF_ANY, 0],
      ['next', 9, 3],
      ['update', 7, 5, BPF_ANY, 0],
      ['next', null, 7],
    ],
  },
  {
    name: 'user-space writes and reads see the same values',
    have: [
      ['write', 1, 100, BPF_NOEXIST, 0],
      ['read', 1, [100]],
      ['write', 1, 101, BPF_NOEXIST, EEXIST],
      ['write', 2, 1, BPF_EXIST, ENOENT],
      ['read', 2, null],
      ['lookup', 1, 100],
    ],
  },
];

describe('maps', () => {
  describe('HashMap', () => {
    it.each(table)('$name', ({ have }) => {
      const { map, mem } = makeMap(mapSpec(HASH));
      runOps(map, mem, have);
    });

    it('keeps the value address of a key across replacements and program writes', () => {
      const { map, mem } = makeMap(mapSpec(HASH, { valueSize: 8 }));
      expect(map.update(le(1), le(5, 8), BPF_ANY, 0)).toBe(0);
      const addr = map.lookup(le(1), 0);
      expect(addr % 8).toBe(0);
      mem.u8[addr] = 77;
      expect(num(map.read(le(1))![0]!)).toBe(77);
      expect(mem.check(addr, 8, true, 0)).toBe('slab');
    });

    it('copies keys: changing the caller bytes afterwards does not change the map', () => {
      const { map } = makeMap(mapSpec(HASH));
      const key = le(1);
      map.update(key, le(2), BPF_ANY, 0);
      key[0] = 9;
      expect(keysOf(map)).toEqual([1]);
      expect(map.lookup(le(9), 0)).toBe(0);
    });

    it('finds keys read in place with lookupAt', () => {
      const { map, mem } = makeMap(mapSpec(HASH, { keySize: 13 }));
      const key = new Uint8Array(13).map((_, i) => i * 7);
      map.update(key, le(3), BPF_ANY, 0);
      mem.u8.set(key, 0x2100);
      expect(map.lookupAt!(mem.u8, 0x2100, 0)).toBe(map.lookup(key, 0));
      expect(map.lookupAt!(mem.u8, 0x2101, 0)).toBe(0);
    });

    it.each([
      { name: 'short key on write', have: () => makeMap(mapSpec(HASH)).map.write(new Uint8Array(3), [le(1)], 0), want: 'map/bad-key-size' },
      { name: 'long value on write', have: () => makeMap(mapSpec(HASH)).map.write(le(1), [new Uint8Array(5)], 0), want: 'map/bad-value-size' },
      { name: 'short key on read', have: () => makeMap(mapSpec(HASH)).map.read(new Uint8Array(8)), want: 'map/bad-key-size' },
      { name: 'two values for a shared map', have: () => makeMap(mapSpec(HASH)).map.write(le(1), [le(1), le(2)], 0), want: 'map/bad-value-size' },
    ])('rejects a $name with MapError', ({ have, want }) => {
      expect(have).toThrow(MapError);
      try {
        have();
      } catch (err) {
        expect((err as MapError).code).toBe(want);
      }
    });

    it('agrees with a model Map over random operation sequences', () => {
      const op = fc.oneof(
        fc.tuple(fc.constant('update' as const), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 })),
        fc.tuple(fc.constant('delete' as const), fc.integer({ min: 0, max: 40 }), fc.constant(0)),
      );
      fc.assert(
        fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
          const { map, mem } = makeMap(mapSpec(HASH, { keySize: 6, maxEntries: 16 }));
          const model = new Map<number, number>();
          ops.forEach(([kind, k, flags], i) => {
            if (kind === 'update') {
              const present = model.has(k);
              let want = 0;
              if (present && flags === BPF_NOEXIST) want = EEXIST;
              else if (!present && flags === BPF_EXIST) want = ENOENT;
              else if (!present && model.size >= 16) want = E2BIG;
              expect(map.update(le(k, 6), le(i), flags, 0)).toBe(want);
              if (want === 0) {
                if (!present) model.set(k, i);
                else model.set(k, i);
              }
            } else {
              expect(map.delete(le(k, 6))).toBe(model.has(k) ? 0 : ENOENT);
              model.delete(k);
            }
          });
          expect(keysOf(map)).toEqual([...model.keys()]);
          for (const [k, v] of model) {
            const addr = map.lookup(le(k, 6), 0);
            expect(num(mem.u8.subarray(addr, addr + 4))).toBe(v);
          }
        }),
        { numRuns: 60 },
      );
    });
  });

  describe('PercpuHashMap', () => {
    it('keeps a value per CPU: a program touches only its CPU, a new key is zero elsewhere', () => {
      const { map, mem } = makeMap(mapSpec(PERCPU_HASH), 4);
      expect(map.update(le(1), le(7), BPF_ANY, 2)).toBe(0);
      expect(map.read(le(1))!.map(num)).toEqual([0, 0, 7, 0]);
      expect(map.update(le(1), le(8), BPF_EXIST, 0)).toBe(0);
      expect(map.read(le(1))!.map(num)).toEqual([8, 0, 7, 0]);
      const a0 = map.lookup(le(1), 0);
      const a3 = map.lookup(le(1), 3);
      expect(a3 - a0).toBe(3 * valueStride(4));
      mem.u8[a3] = 5;
      expect(map.read(le(1))!.map(num)).toEqual([8, 0, 7, 5]);
    });

    it('takes one value for all CPUs, one per CPU, or the kernel round_up(value_size, 8) x ncpus buffer', () => {
      const { map } = makeMap(mapSpec(PERCPU_HASH), 4);
      expect(map.write(le(1), [le(9)], BPF_ANY)).toBe(0);
      expect(map.read(le(1))!.map(num)).toEqual([9, 9, 9, 9]);
      expect(map.write(le(1), [le(1), le(2), le(3), le(4)], BPF_ANY)).toBe(0);
      expect(map.read(le(1))!.map(num)).toEqual([1, 2, 3, 4]);
      const packed = new Uint8Array(32);
      for (let c = 0; c < 4; c++) packed[c * 8] = 10 + c;
      expect(map.write(le(1), [packed], BPF_ANY)).toBe(0);
      expect(map.read(le(1))!.map(num)).toEqual([10, 11, 12, 13]);
      expect(() => map.write(le(1), [le(1), le(2)], BPF_ANY)).toThrow(MapError);
    });

    it('refuses a new key past max_entries with -E2BIG', () => {
      const { map, mem } = makeMap(mapSpec(PERCPU_HASH, { maxEntries: 2 }), 4);
      runOps(map, mem, [
        ['update', 1, 1, BPF_ANY, 0],
        ['update', 2, 1, BPF_ANY, 0],
        ['update', 3, 1, BPF_ANY, E2BIG],
        ['update', 2, 5, BPF_NOEXIST, EEXIST],
        ['update', 2, 5, 7, EINVAL],
      ]);
    });
  });
});
