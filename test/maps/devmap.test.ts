import { describe, expect, it } from 'vitest';
import { VmFault } from '../../src/internal/errors.js';
import { BPF_ANY, BPF_EXIST, BPF_MAP_TYPE, BPF_NOEXIST } from '../../src/uapi/bpf.js';
import { createMap, DevMap, DevMapHash, dumpMap, ProgArray } from '../../src/maps/index.js';
import { VmMemory } from '../../src/vm/memory.js';
import { E2BIG, EEXIST, EINVAL, ENOENT, keysOf, le, mapSpec, num } from './ops.js';

const DEVMAP = BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP;
const DEVMAP_HASH = BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP_HASH;
const PROG_ARRAY = BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY;

/** ifindex 1 (lo) and 2 exist; others do not, as in a namespace with two interfaces. */
const opts = { cpus: 1, ifindexExists: (i: number) => i === 1 || i === 2 };

function val(ifindex: number, prog?: number): Uint8Array {
  const b = new Uint8Array(prog === undefined ? 4 : 8);
  const v = new DataView(b.buffer);
  v.setUint32(0, ifindex, true);
  if (prog !== undefined) v.setInt32(4, prog, true);
  return b;
}

describe('maps', () => {
  describe('DevMap', () => {
    // Observed on Linux 6.18 (devmap key 4 value 4 entries 4, in a namespace with only lo):
    // ifindex 1 accepted, ifindex 99 "Invalid argument", noexist "File exists", index 4
    // "Argument list too long", delete of an empty slot 0, delete of index 4 "Invalid argument",
    // lookup of an empty slot "Not found", ifindex 0 empties a slot.
    it('follows __dev_map_update_elem and dev_map_delete_elem', () => {
      const mem = new VmMemory();
      const map = createMap(mapSpec(DEVMAP), mem, opts) as DevMap;
      expect(map.write(le(0), [val(1)], BPF_ANY)).toBe(0);
      expect(map.write(le(1), [val(99)], BPF_ANY)).toBe(EINVAL);
      expect(map.write(le(1), [val(1)], BPF_NOEXIST)).toBe(EEXIST);
      expect(map.write(le(4), [val(1)], BPF_ANY)).toBe(E2BIG);
      expect(map.write(le(1), [val(2)], 4)).toBe(EINVAL);
      expect(map.delete(le(2))).toBe(0);
      expect(map.delete(le(4))).toBe(EINVAL);
      expect(map.read(le(2))).toBeNull();
      expect(map.lookup(le(2), 0)).toBe(0);
      expect(map.target(0)).toEqual({ ifindex: 1, progId: 0 });
      expect(num(map.read(le(0))![0]!)).toBe(1);
      expect(map.write(le(0), [val(0)], BPF_ANY)).toBe(0);
      expect(map.read(le(0))).toBeNull();
      expect(map.target(0)).toBeUndefined();
      expect(map.nextKey(null)).toEqual(le(0));
      expect(map.nextKey(le(3))).toBeNull();
    });

    it('takes struct bpf_devmap_val with a program and refuses a program without an interface', () => {
      const mem = new VmMemory();
      const map = createMap(mapSpec(DEVMAP, { valueSize: 8 }), mem, opts) as DevMap;
      expect(map.write(le(0), [val(2, 5)], BPF_ANY)).toBe(0);
      expect(map.target(0)).toEqual({ ifindex: 2, progId: 5 });
      expect(map.write(le(1), [val(2, -1)], BPF_ANY)).toBe(0);
      expect(map.target(1)).toEqual({ ifindex: 2, progId: 0 });
      expect(map.write(le(2), [val(0, 3)], BPF_ANY)).toBe(EINVAL);
      expect(map.write(le(2), [val(0, -1)], BPF_ANY)).toBe(0);
      expect(dumpMap(map).map((e) => [num(e.key), [...e.values[0]!]])).toEqual([
        [0, [2, 0, 0, 0, 5, 0, 0, 0]],
        [1, [2, 0, 0, 0, 0, 0, 0, 0]],
      ]);
    });

    it('gives programs read-only values', () => {
      const mem = new VmMemory();
      const map = createMap(mapSpec(DEVMAP), mem, opts);
      map.write(le(0), [val(1)], BPF_ANY);
      const addr = map.lookup(le(0), 0);
      expect(mem.check(addr, 4, false, 0)).toBe('slab');
      expect(() => mem.check(addr, 4, true, 0)).toThrow(VmFault);
    });
  });

  describe('DevMapHash', () => {
    // Observed on Linux 6.18 (devmap_hash key 4 value 8 entries 1): exist on an absent key
    // succeeds, a second key "Argument list too long", ifindex 0 "Invalid argument", delete of
    // an absent key "No such file or directory".
    it('follows __dev_map_hash_update_elem', () => {
      const mem = new VmMemory();
      const map = createMap(mapSpec(DEVMAP_HASH, { valueSize: 8, maxEntries: 1 }), mem, opts) as DevMapHash;
      expect(map.write(le(7), [val(1, 0)], BPF_EXIST)).toBe(0);
      expect(map.write(le(8), [val(1, 0)], BPF_ANY)).toBe(E2BIG);
      expect(map.write(le(9), [val(0, 0)], BPF_ANY)).toBe(EINVAL);
      expect(map.write(le(7), [val(2, 0)], BPF_NOEXIST)).toBe(EEXIST);
      expect(map.write(le(7), [val(3, 0)], BPF_ANY)).toBe(EINVAL);
      expect(map.delete(le(9))).toBe(ENOENT);
      expect(map.write(le(7), [val(2, 0)], BPF_ANY)).toBe(0);
      expect(map.target(7)).toEqual({ ifindex: 2, progId: 0 });
      expect(map.target(8)).toBeUndefined();
      expect(map.delete(le(7))).toBe(0);
      expect(map.write(le(8), [val(1, 0)], BPF_ANY)).toBe(0);
      expect(keysOf(map)).toEqual([8]);
    });
  });

  describe('ProgArray', () => {
    const spec = mapSpec(PROG_ARRAY, { maxEntries: 4, initialPrograms: [{ slot: 2, program: 'tail_b' }] });
    const names = ['entry', 'tail_a', 'tail_b'];
    const make = () =>
      createMap(spec, new VmMemory(), { cpus: 1, programCount: 3, programIndex: (n) => (names.includes(n) ? names.indexOf(n) : undefined) }) as ProgArray;

    it('holds program indices and hides them from program lookups', () => {
      const map = make();
      expect(map.programAt(2)).toBe(2);
      expect(map.programAt(0)).toBeUndefined();
      expect(map.programAt(9)).toBeUndefined();
      expect(map.lookup(le(2), 0)).toBe(0);
      expect(map.write(le(0), [le(1)], BPF_ANY)).toBe(0);
      expect(map.programAt(0)).toBe(1);
      expect(map.read(le(0))!.map(num)).toEqual([1]);
      expect(map.read(le(1))).toBeNull();
      expect(dumpMap(map).map((e) => [num(e.key), num(e.values[0]!)])).toEqual([
        [0, 1],
        [2, 2],
      ]);
    });

    it('follows the kernel fd array errors', () => {
      const map = make();
      expect(map.write(le(0), [le(1)], BPF_NOEXIST)).toBe(EINVAL);
      expect(map.write(le(0), [le(1)], BPF_EXIST)).toBe(EINVAL);
      expect(map.write(le(4), [le(1)], BPF_ANY)).toBe(E2BIG);
      expect(map.write(le(0), [le(3)], BPF_ANY)).toBe(-9);
      expect(map.delete(le(1))).toBe(ENOENT);
      expect(map.delete(le(4))).toBe(E2BIG);
      expect(map.delete(le(2))).toBe(0);
      expect(map.programAt(2)).toBeUndefined();
      expect(map.nextKey(le(3))).toBeNull();
    });

    it('refuses an initial slot naming an unknown program', () => {
      const bad = mapSpec(PROG_ARRAY, { initialPrograms: [{ slot: 0, program: 'nope' }] });
      expect(() => createMap(bad, new VmMemory(), { cpus: 1, programIndex: () => undefined })).toThrow(expect.objectContaining({ code: 'map/unknown-program' }));
    });
  });
});
