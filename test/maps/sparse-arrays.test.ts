import { describe, expect, it } from 'vitest';
import { createMap, dumpMap } from '../../src/maps/index.js';
import { BPF_ANY, BPF_MAP_TYPE } from '../../src/uapi/bpf.js';
import { VmMemory } from '../../src/vm/memory.js';
import { le, mapSpec, num } from './ops.js';

// max_entries comes from the object: a prog array or array of maps may name up to 2^32 - 1 slots,
// which must cost nothing until they are filled (a dense table of 4 billion slots takes minutes).
const HUGE = 0xffff_ff01;
const opts = { cpus: 1, programCount: 2, mapCount: 2, programIndex: () => 0, mapIndex: () => 0 };

describe('maps', () => {
  describe.each([
    { name: 'ProgArray', type: BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY },
    { name: 'ArrayOfMaps', type: BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY_OF_MAPS },
  ])('$name with max_entries near 2^32', ({ type }) => {
    it('is created, filled at its last slot and dumped at once', () => {
      const started = Date.now();
      const map = createMap(mapSpec(type, { maxEntries: HUGE }), new VmMemory(), opts);
      expect(map.write(le(HUGE - 1), [le(1)], BPF_ANY)).toBe(0);
      expect(map.write(le(7), [le(0)], BPF_ANY)).toBe(0);
      expect(dumpMap(map).map((e) => [num(e.key), num(e.values[0]!)])).toEqual([
        [7, 0],
        [HUGE - 1, 1],
      ]);
      expect(map.delete(le(7))).toBe(0);
      expect(dumpMap(map)).toHaveLength(1);
      // A dense table of HUGE slots would take tens of seconds and gigabytes; 10 s leaves room for a loaded CI machine.
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });
});
