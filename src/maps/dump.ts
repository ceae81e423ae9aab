import type { VmMap } from '../vm/env.js';
import { ArrayMap } from './array.js';
import { ArrayOfMaps } from './array-of-maps.js';
import { u32Bytes } from './check.js';
import { ProgArray } from './prog-array.js';

/** One map entry as the run result lists it: the key and its values (one per CPU for per-CPU maps). */
export interface MapEntry {
  key: Uint8Array;
  values: Uint8Array[];
}

/**
 * Every entry of `map` in get_next_key order, as the run result's `maps` lists them: all
 * entries of hash-like maps (hash, LRU, LPM trie, devmap hash), the non-zero entries of arrays
 * (a value counts when any CPU's copy has a non-zero byte), and the filled slots of sparse
 * arrays (devmap, prog array).
 */
export function dumpMap(map: VmMap): MapEntry[] {
  const out: MapEntry[] = [];
  if (map instanceof ArrayMap) {
    for (let i = 0; i < map.spec.maxEntries; i++) {
      if (!map.nonZero(i)) continue;
      const key = u32Bytes(i);
      out.push({ key, values: map.read(key)! });
    }
    return out;
  }
  if (map instanceof ProgArray || map instanceof ArrayOfMaps) {
    // get_next_key would walk every index up to max_entries; only the filled slots have values.
    for (const slot of map.filledSlots()) out.push({ key: u32Bytes(slot), values: map.read(u32Bytes(slot))! });
    return out;
  }
  for (let key = map.nextKey(null); key; key = map.nextKey(key)) {
    const values = map.read(key);
    if (values) out.push({ key, values });
  }
  return out;
}
