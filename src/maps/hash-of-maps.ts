import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import { mapHandle } from '../vm/layout.js';
import type { VmMemory } from '../vm/memory.js';
import { initialInnerMaps, validInner } from './array-of-maps.js';
import { E2BIG, EBADF, EINVAL, badUpdateFlags, checkFlags, u32At, u32Bytes, userValue } from './check.js';
import { KeyTable } from './key-table.js';
import { KeyedMap } from './keyed-map.js';
import type { MapOptions } from './options.js';

/**
 * BPF_MAP_TYPE_HASH_OF_MAPS: a hash map whose values are inner maps (kernel/bpf/hashtab.c
 * fd_htab ops, map_in_map.c). Values are inner map indices as in {@link ArrayOfMaps}; a
 * program's lookup gives the inner map's handle or NULL. Keys, update flags, -E2BIG when full
 * and insertion-order get_next_key are as a hash map's; an index naming no map is -EBADF.
 */
export class HashOfMaps extends KeyedMap implements VmMap {
  private inner = new Int32Array(16);

  constructor(
    spec: MapSpec,
    _mem: VmMemory,
    private readonly opts: MapOptions,
  ) {
    super(spec, new KeyTable(spec.keySize, 16));
    for (const { slot, index } of initialInnerMaps(spec, opts)) {
      const key = new Uint8Array(spec.keySize);
      key.set(u32Bytes(slot).subarray(0, Math.min(4, spec.keySize)));
      this.update(key, u32Bytes(index), 0, 0);
    }
  }

  lookup(key: Uint8Array, _cpu: number): number {
    const slot = this.table.find(key);
    return slot < 0 ? 0 : mapHandle(this.inner[slot]!);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): number {
    if (badUpdateFlags(flags)) return -EINVAL;
    const index = u32At(value);
    if (!validInner(index, this.opts)) return -EBADF;
    let slot = this.table.find(key);
    const err = checkFlags(slot >= 0, flags);
    if (err) return err;
    if (slot < 0) {
      if (this.table.size >= this.spec.maxEntries) return -E2BIG;
      slot = this.allocSlot();
      this.table.insert(key, slot);
    }
    this.inner[slot] = index;
    return 0;
  }

  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    return this.update(key, userValue(this.spec, key, values), flags, 0);
  }

  protected readSlot(slot: number): Uint8Array[] {
    return [u32Bytes(this.inner[slot]!)];
  }

  protected growSlots(n: number): void {
    if (n <= this.inner.length) return;
    const grown = new Int32Array(Math.max(n, this.inner.length * 2));
    grown.set(this.inner);
    this.inner = grown;
  }
}
