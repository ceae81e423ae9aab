import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import { mapHandle } from '../vm/layout.js';
import type { VmMemory } from '../vm/memory.js';
import { initialInnerMaps, validInner } from './array-of-maps.js';
import { E2BIG, EBADF, EINVAL, ENOENT, badUpdateFlags, checkFlags, checkKey, u32At, u32Bytes, userValues } from './check.js';
import { KeyTable } from './key-table.js';
import type { MapOptions } from './options.js';

/**
 * BPF_MAP_TYPE_HASH_OF_MAPS: a hash map whose values are inner maps (kernel/bpf/hashtab.c
 * fd_htab ops, map_in_map.c). Values are inner map indices as in {@link ArrayOfMaps}; a
 * program's lookup gives the inner map's handle or NULL. Keys, update flags, -E2BIG when full
 * and insertion-order get_next_key are as a hash map's; an index naming no map is -EBADF.
 */
export class HashOfMaps implements VmMap {
  readonly spec: MapSpec;
  private readonly table: KeyTable;
  private inner = new Int32Array(16);
  private readonly freeSlots: number[] = [];
  private fresh = 0;

  constructor(
    spec: MapSpec,
    _mem: VmMemory,
    private readonly opts: MapOptions,
  ) {
    this.spec = spec;
    this.table = new KeyTable(spec.keySize, 16);
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
      slot = this.freeSlots.pop() ?? this.fresh++;
      this.table.ensureSlots(slot + 1);
      if (slot >= this.inner.length) {
        const grown = new Int32Array(Math.max(slot + 1, this.inner.length * 2));
        grown.set(this.inner);
        this.inner = grown;
      }
      this.table.insert(key, slot);
    }
    this.inner[slot] = index;
    return 0;
  }

  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    checkKey(this.spec, key);
    return this.update(key, userValues(this.spec, values, 1)[0]!, flags, 0);
  }

  delete(key: Uint8Array): number {
    checkKey(this.spec, key);
    const slot = this.table.find(key);
    if (slot < 0) return -ENOENT;
    this.table.remove(slot);
    this.freeSlots.push(slot);
    return 0;
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    let slot = -1;
    if (key) {
      checkKey(this.spec, key);
      slot = this.table.find(key);
    }
    const next = slot < 0 ? this.table.first() : this.table.after(slot);
    return next < 0 ? null : this.table.keyAt(next);
  }

  read(key: Uint8Array): Uint8Array[] | null {
    checkKey(this.spec, key);
    const slot = this.table.find(key);
    return slot < 0 ? null : [u32Bytes(this.inner[slot]!)];
  }
}
