import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BPF_ANY, BPF_EXIST, BPF_F_NO_PREALLOC, BPF_MAP_TYPE, BPF_NOEXIST } from '../../src/uapi/bpf.js';
import type { VmMap } from '../../src/vm/env.js';
import { dumpMap } from '../../src/maps/index.js';
import { EEXIST, EINVAL, ENOENT, ENOSPC, makeMap, mapSpec, num } from './ops.js';

const LPM = BPF_MAP_TYPE.BPF_MAP_TYPE_LPM_TRIE;

/** An LPM key: u32 prefixlen (host order) then the data bytes. */
function key(prefixlen: number, ...data: number[]): Uint8Array {
  const b = new Uint8Array(4 + data.length);
  new DataView(b.buffer).setUint32(0, prefixlen, true);
  b.set(data, 4);
  return b;
}

const v = (n: number) => new Uint8Array([n, 0, 0, 0]);

function lookupValue(map: VmMap, mem: { u8: Uint8Array }, k: Uint8Array): number | null {
  const addr = map.lookup(k, 0);
  return addr === 0 ? null : num(mem.u8.subarray(addr, addr + 4));
}

/** The naive reference: the longest stored prefix, no longer than the key's, whose bits match. */
function naive(entries: Map<string, { len: number; data: number[]; value: number }>, len: number, data: number[]): number | null {
  let best: { len: number; value: number } | null = null;
  for (const e of entries.values()) {
    if (e.len > len) continue;
    let ok = true;
    for (let i = 0; i < e.len && ok; i++) if (((e.data[i >> 3]! ^ data[i >> 3]!) >> (7 - (i & 7))) & 1) ok = false;
    if (ok && (!best || e.len > best.len)) best = e;
  }
  return best ? best.value : null;
}

/** The entry id of a prefix: its length and its first `len` bits. */
function prefixId(len: number, data: number[]): string {
  const bits: number[] = [];
  for (let i = 0; i < len; i++) bits.push((data[i >> 3]! >> (7 - (i & 7))) & 1);
  return `${len}/${bits.join('')}`;
}

describe('maps', () => {
  describe('LpmTrieMap', () => {
    // Observed on Linux 6.18 (lpm_trie key 8 value 4 entries 2 flags 1): prefixlen 33
    // "Invalid argument", noexist on a present prefix "File exists", exist on an absent one
    // "No such file or directory", a third prefix "No space left on device" while replacing
    // a present one succeeds, lookup of 10.0.0.7/32 gives the /24 entry and of 10.0.0.7/8
    // nothing, delete of an absent prefix -ENOENT and of prefixlen 40 -EINVAL.
    it('follows trie_update_elem, trie_lookup_elem and trie_delete_elem', () => {
      const { map, mem } = makeMap(mapSpec(LPM, { keySize: 8, maxEntries: 2, flags: BPF_F_NO_PREALLOC }));
      expect(map.update(key(24, 10, 0, 0, 0), v(1), BPF_ANY, 0)).toBe(0);
      expect(map.update(key(33, 10, 0, 0, 0), v(1), BPF_ANY, 0)).toBe(EINVAL);
      expect(map.update(key(24, 10, 0, 0, 0), v(1), BPF_NOEXIST, 0)).toBe(EEXIST);
      expect(map.update(key(16, 10, 0, 0, 0), v(1), BPF_EXIST, 0)).toBe(ENOENT);
      expect(map.update(key(16, 10, 0, 0, 0), v(2), BPF_ANY, 0)).toBe(0);
      expect(map.update(key(8, 10, 0, 0, 0), v(3), BPF_ANY, 0)).toBe(ENOSPC);
      expect(map.update(key(24, 10, 0, 0, 0), v(4), BPF_ANY, 0)).toBe(0);
      expect(map.update(key(24, 10, 0, 0, 0), v(4), 3, 0)).toBe(EINVAL);
      expect(lookupValue(map, mem, key(32, 10, 0, 0, 7))).toBe(4);
      expect(lookupValue(map, mem, key(20, 10, 0, 0, 7))).toBe(2);
      expect(lookupValue(map, mem, key(8, 10, 0, 0, 7))).toBeNull();
      expect(lookupValue(map, mem, key(33, 10, 0, 0, 7))).toBeNull();
      expect(map.read(key(32, 10, 0, 1, 7))!.map(num)).toEqual([2]);
      expect(map.delete(key(8, 10, 0, 0, 0))).toBe(ENOENT);
      expect(map.delete(key(40, 10, 0, 0, 0))).toBe(EINVAL);
      expect(map.delete(key(16, 10, 0, 0, 0))).toBe(0);
      expect(lookupValue(map, mem, key(32, 10, 0, 1, 7))).toBeNull();
    });

    it('walks get_next_key in postorder, more specific prefixes first', () => {
      // The kernel's own example: 192.168.0.0/16, /24, 192.168.1.0/24, 192.168.128.0/24.
      const { map } = makeMap(mapSpec(LPM, { keySize: 8, maxEntries: 8, flags: BPF_F_NO_PREALLOC }));
      map.update(key(16, 192, 168, 0, 0), v(1), BPF_ANY, 0);
      map.update(key(24, 192, 168, 0, 0), v(2), BPF_ANY, 0);
      map.update(key(24, 192, 168, 128, 0), v(3), BPF_ANY, 0);
      map.update(key(24, 192, 168, 1, 0), v(5), BPF_ANY, 0);
      const order = dumpMap(map).map((e) => `${[...e.key.subarray(4)].join('.')}/${num(e.key.subarray(0, 4))}=${e.values[0]![0]}`);
      expect(order).toEqual(['192.168.0.0/24=2', '192.168.1.0/24=5', '192.168.128.0/24=3', '192.168.0.0/16=1']);
      expect(map.nextKey(key(99, 1, 2, 3, 4))).toEqual(key(24, 192, 168, 0, 0));
      expect(map.nextKey(key(16, 192, 168, 0, 0))).toBeNull();
    });

    it('agrees with a naive longest-prefix reference over random updates, deletes and lookups', () => {
      const data = fc.array(fc.constantFrom(0, 0x80, 0xc0, 0x0a, 0xff, 0x12), { minLength: 2, maxLength: 2 });
      const op = fc.record({ kind: fc.constantFrom('update', 'update', 'delete', 'lookup'), len: fc.integer({ min: 0, max: 16 }), data, flags: fc.constantFrom(BPF_ANY, BPF_NOEXIST, BPF_EXIST) });
      fc.assert(
        fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
          const max = 12;
          const { map, mem } = makeMap(mapSpec(LPM, { keySize: 6, maxEntries: max, flags: BPF_F_NO_PREALLOC }));
          const model = new Map<string, { len: number; data: number[]; value: number }>();
          ops.forEach(({ kind, len, data, flags }, i) => {
            const id = prefixId(len, data);
            const k = key(len, ...data);
            if (kind === 'update') {
              const present = model.has(id);
              let want = 0;
              if (present && flags === BPF_NOEXIST) want = EEXIST;
              else if (!present && flags === BPF_EXIST) want = ENOENT;
              else if (!present && model.size === max) want = ENOSPC;
              expect(map.update(k, v(i), flags, 0)).toBe(want);
              if (want === 0) model.set(id, { len, data, value: i & 0xff });
            } else if (kind === 'delete') {
              expect(map.delete(k)).toBe(model.delete(id) ? 0 : ENOENT);
            } else {
              expect(lookupValue(map, mem, k)).toBe(naive(model, len, data));
            }
          });
          const dumped = dumpMap(map);
          expect(dumped.length).toBe(model.size);
          for (const e of dumped) {
            const len = num(e.key.subarray(0, 4));
            expect(model.get(prefixId(len, [...e.key.subarray(4)]))?.value).toBe(e.values[0]![0]);
          }
        }),
        { numRuns: 150 },
      );
    });
  });
});
