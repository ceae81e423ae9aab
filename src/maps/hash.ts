import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import { HashLayoutRecord } from './hash-layout.js';
import type { VmMemory } from '../vm/memory.js';
import { E2BIG, EINVAL, badUpdateFlags, checkFlags } from './check.js';
import { HashTableMap } from './hash-table-map.js';
import type { MapOptions } from './options.js';

/**
 * BPF_MAP_TYPE_HASH: a hash table of at most max_entries keys (kernel/bpf/hashtab.c).
 *
 * - Update flags as `htab_map_update_elem`: anything but BPF_ANY/BPF_NOEXIST/BPF_EXIST is
 *   -EINVAL, BPF_NOEXIST on a present key -EEXIST, BPF_EXIST on an absent one -ENOENT.
 * - A new key when max_entries keys are present is -E2BIG, preallocated or not (the prealloc
 *   free list holds exactly max_entries elements; the per-CPU extra elements only serve
 *   replacements), while replacing a present key always succeeds.
 * - get_next_key walks keys in insertion order, as {@link KeyedMap} does.
 * - Replacing a key writes the value in place. The kernel swaps in a fresh element, so a program
 *   holding a pointer from an earlier lookup keeps seeing the old value there; here it sees the new one.
 */
export class HashMap extends HashTableMap implements VmMap {
  protected readonly layout: HashLayoutRecord;

  constructor(spec: MapSpec, mem: VmMemory, opts: MapOptions, percpu = false) {
    super(spec, mem, opts, percpu, spec.maxEntries);
    this.layout = new HashLayoutRecord(mem, this.table, this.values, this.perSlot > 1 ? this.values.stride : 0);
  }

  lookup(key: Uint8Array, cpu: number): number {
    return this.lookupAt(key, 0, cpu);
  }

  lookupAt(bytes: Uint8Array, off: number, cpu: number): number {
    const slot = this.table.find(bytes, off);
    if (slot < 0) return 0;
    return this.values.addr(slot, this.perSlot > 1 ? cpu : 0);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    try {
      return this.updateElem(key, [value], flags, cpu, this.perSlot > 1 ? cpu : 0);
    } finally {
      this.layout.write();
    }
  }

  protected override updateElem(key: Uint8Array, values: readonly Uint8Array[], flags: number, _cpu: number, onCpu: number): number {
    if (badUpdateFlags(flags, this.spec.spinLockOff !== undefined)) return -EINVAL;
    const slot = this.table.find(key);
    const err = checkFlags(slot >= 0, flags);
    if (err) return err;
    if (slot >= 0) {
      this.values.store(slot, values, onCpu, false);
      return 0;
    }
    if (this.table.size >= this.spec.maxEntries) return -E2BIG;
    const fresh = this.allocSlot();
    this.values.store(fresh, values, onCpu, true);
    this.table.insert(key, fresh);
    return 0;
  }
}
