import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MapError } from '../../src/internal/errors.js';
import type { MapSpec } from '../../src/loader/spec.js';
import { createMap, dumpMap, KeyTable } from '../../src/maps/index.js';
import { BPF_ANY, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BPF_MAP_TYPE as T } from '../../src/uapi/bpf.js';
import { VmMemory } from '../../src/vm/memory.js';
import { le, makeMap, mapSpec, num } from './ops.js';

function codeOf(spec: MapSpec): string | null {
  try {
    createMap(spec, new VmMemory(), { cpus: 2 });
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(MapError);
    return (err as MapError).code;
  }
}

// Observed on Linux 6.18 with `bpftool map create`: array key 8 "Invalid argument", hash entries
// 0 "Invalid argument", lru_hash flags 1 error 524 (ENOTSUPP), hash flags 2 "Invalid argument",
// lpm_trie without flags 1 "Invalid argument", devmap value 6 "Invalid argument".
const invalid: { name: string; have: MapSpec; want: string }[] = [
  { name: 'an array with 8-byte keys', have: mapSpec(T.BPF_MAP_TYPE_ARRAY, { keySize: 8 }), want: 'map/invalid-spec' },
  { name: 'a hash with max_entries 0', have: mapSpec(T.BPF_MAP_TYPE_HASH, { maxEntries: 0 }), want: 'map/invalid-spec' },
  { name: 'a hash with 0-byte values', have: mapSpec(T.BPF_MAP_TYPE_HASH, { valueSize: 0 }), want: 'map/invalid-spec' },
  { name: 'a hash with 0-byte keys', have: mapSpec(T.BPF_MAP_TYPE_HASH, { keySize: 0 }), want: 'map/invalid-spec' },
  { name: 'an LRU without preallocation', have: mapSpec(T.BPF_MAP_TYPE_LRU_HASH, { flags: BPF_F_NO_PREALLOC }), want: 'map/invalid-spec' },
  { name: 'a hash with BPF_F_NO_COMMON_LRU', have: mapSpec(T.BPF_MAP_TYPE_HASH, { flags: BPF_F_NO_COMMON_LRU }), want: 'map/invalid-spec' },
  { name: 'read-only and write-only for programs', have: mapSpec(T.BPF_MAP_TYPE_ARRAY, { flags: BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG }), want: 'map/invalid-spec' },
  { name: 'an LPM trie without BPF_F_NO_PREALLOC', have: mapSpec(T.BPF_MAP_TYPE_LPM_TRIE, { keySize: 8 }), want: 'map/invalid-spec' },
  { name: 'an LPM trie with 4-byte keys', have: mapSpec(T.BPF_MAP_TYPE_LPM_TRIE, { keySize: 4, flags: BPF_F_NO_PREALLOC }), want: 'map/invalid-spec' },
  { name: 'a devmap with 6-byte values', have: mapSpec(T.BPF_MAP_TYPE_DEVMAP, { valueSize: 6 }), want: 'map/invalid-spec' },
  { name: 'a prog array with 8-byte values', have: mapSpec(T.BPF_MAP_TYPE_PROG_ARRAY, { valueSize: 8 }), want: 'map/invalid-spec' },
  { name: 'an array with unknown flags', have: mapSpec(T.BPF_MAP_TYPE_ARRAY, { flags: 1 << 20 }), want: 'map/invalid-spec' },
  // Also observed on 6.18: "Argument list too long" (E2BIG) for hash key 4194252 value 4,
  // percpu_hash and percpu_array value 32769, array value 4294967295.
  { name: 'a hash whose key and value reach KMALLOC_MAX_SIZE', have: mapSpec(T.BPF_MAP_TYPE_HASH, { keySize: 4194252, valueSize: 4 }), want: 'map/invalid-spec' },
  { name: 'a hash with a 600 MB key', have: mapSpec(T.BPF_MAP_TYPE_HASH, { keySize: 600_000_000 }), want: 'map/invalid-spec' },
  { name: 'a per-CPU hash with 32769-byte values', have: mapSpec(T.BPF_MAP_TYPE_PERCPU_HASH, { valueSize: 32769 }), want: 'map/invalid-spec' },
  { name: 'a per-CPU array with 32769-byte values', have: mapSpec(T.BPF_MAP_TYPE_PERCPU_ARRAY, { valueSize: 32769 }), want: 'map/invalid-spec' },
  { name: 'an array with 2^32 - 1 byte values', have: mapSpec(T.BPF_MAP_TYPE_ARRAY, { valueSize: 0xffff_ffff }), want: 'map/invalid-spec' },
  { name: 'a stack trace map', have: mapSpec(T.BPF_MAP_TYPE_STACK_TRACE), want: 'map/unsupported-type' },
  { name: 'an unknown type', have: mapSpec(99), want: 'map/unsupported-type' },
];

describe('maps', () => {
  describe('createMap', () => {
    it.each(invalid)('refuses $name', ({ have, want }) => {
      expect(codeOf(have)).toBe(want);
    });

    it('names the type of an unsupported map', () => {
      expect(() => createMap(mapSpec(99), new VmMemory(), { cpus: 1 })).toThrow(/MapType\(99\)/);
    });

    it.each([
      { name: 'hash', have: mapSpec(T.BPF_MAP_TYPE_HASH) },
      { name: 'percpu array', have: mapSpec(T.BPF_MAP_TYPE_PERCPU_ARRAY) },
      { name: 'hash just under KMALLOC_MAX_SIZE', have: mapSpec(T.BPF_MAP_TYPE_HASH, { keySize: 4194251, valueSize: 4, maxEntries: 1 }) },
      { name: 'percpu hash with 32768-byte values', have: mapSpec(T.BPF_MAP_TYPE_PERCPU_HASH, { valueSize: 32768, maxEntries: 1 }) },
      { name: 'LPM trie', have: mapSpec(T.BPF_MAP_TYPE_LPM_TRIE, { keySize: 8, flags: BPF_F_NO_PREALLOC }) },
      { name: 'devmap hash', have: mapSpec(T.BPF_MAP_TYPE_DEVMAP_HASH, { valueSize: 8 }) },
    ])('accepts a valid $name', ({ have }) => {
      expect(codeOf(have)).toBeNull();
    });
  });

  describe('dumpMap', () => {
    it('lists every hash entry in iteration order with all CPU values', () => {
      const { map } = makeMap(mapSpec(T.BPF_MAP_TYPE_PERCPU_HASH), 2);
      map.update(le(5), le(1), BPF_ANY, 1);
      map.update(le(2), le(0), BPF_ANY, 0);
      expect(dumpMap(map).map((e) => [num(e.key), e.values.map(num)])).toEqual([
        [5, [0, 1]],
        [2, [0, 0]],
      ]);
    });
  });

  describe('KeyTable', () => {
    it('agrees with a JS Map through inserts and removals, including probe-run deletions', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 200 })), { maxLength: 500 }), (ops) => {
          const table = new KeyTable(3, 1);
          const model = new Map<number, number>();
          const free: number[] = [];
          let fresh = 0;
          for (const [add, k] of ops) {
            const key = le(k, 3);
            const slot = table.find(key);
            expect(slot >= 0).toBe(model.has(k));
            if (add && slot < 0) {
              const s = free.pop() ?? fresh++;
              table.ensureSlots(s + 1);
              table.insert(key, s);
              model.set(k, s);
            } else if (!add && slot >= 0) {
              expect(slot).toBe(model.get(k));
              table.remove(slot);
              free.push(slot);
              model.delete(k);
            }
          }
          expect(table.size).toBe(model.size);
          const order: number[] = [];
          for (let s = table.first(); s >= 0; s = table.after(s)) order.push(num(table.keyAt(s)));
          expect(order).toEqual([...model.keys()]);
          for (const [k, s] of model) expect(table.find(le(k, 3))).toBe(s);
        }),
        { numRuns: 100 },
      );
    });
  });
});
