import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import { HashLayoutRecord } from './hash-layout.js';
import type { VmMemory } from '../vm/memory.js';
import { BPF_F_RDONLY_PROG } from '../uapi/bpf.js';
import { E2BIG, EINVAL, ENOENT, badUpdateFlags, checkFlags, checkKey, mapLabel, userValues } from './check.js';
import { KeyTable } from './key-table.js';
import type { MapOptions } from './options.js';
import { ValueStore } from './value-store.js';

/**
 * BPF_MAP_TYPE_HASH: a hash table of at most max_entries keys (kernel/bpf/hashtab.c).
 *
 * - Update flags as `htab_map_update_elem`: anything but BPF_ANY/BPF_NOEXIST/BPF_EXIST is
 *   -EINVAL, BPF_NOEXIST on a present key -EEXIST, BPF_EXIST on an absent one -ENOENT.
 * - A new key when max_entries keys are present is -E2BIG, preallocated or not (the prealloc
 *   free list holds exactly max_entries elements; the per-CPU extra elements only serve
 *   replacements), while replacing a present key always succeeds.
 * - get_next_key walks keys in insertion order. The kernel walks buckets of a hash with a random
 *   seed, so no order is promised there; ours is deterministic, and a replaced key keeps its place.
 * - Replacing a key writes the value in place. The kernel swaps in a fresh element, so a program
 *   holding a pointer from an earlier lookup keeps seeing the old value there; here it sees the new one.
 */
export class HashMap implements VmMap {
  readonly spec: MapSpec;
  readonly cpus: number;
  protected readonly table: KeyTable;
  protected readonly values: ValueStore;
  /** Values per key: the CPU count for per-CPU maps, else 1. */
  protected readonly perSlot: number;
  private readonly freeSlots: number[] = [];
  private fresh = 0;
  private readonly layout: HashLayoutRecord;

  constructor(spec: MapSpec, mem: VmMemory, opts: MapOptions, percpu = false) {
    this.spec = spec;
    this.cpus = opts.cpus;
    this.perSlot = percpu ? opts.cpus : 1;
    const first = Math.min(spec.maxEntries, 16);
    // Index and value addresses in VM memory, where the WebAssembly engine looks keys up (hashLayout).
    this.table = new KeyTable(spec.keySize, first, mem);
    const writable = (spec.flags & BPF_F_RDONLY_PROG) === 0;
    this.values = new ValueStore(mem, spec.valueSize, this.perSlot, spec.maxEntries, `${mapLabel(spec)} value`, writable, true);
    this.layout = new HashLayoutRecord(mem, this.table, this.values, this.perSlot > 1 ? this.values.stride : 0);
  }

  hashLayout(): number | undefined {
    return this.spec.keySize > 0 ? this.layout.addr : undefined;
  }

  /** Number of keys present. */
  get size(): number {
    return this.table.size;
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
      return this.updateElem(key, [value], flags, this.perSlot > 1 ? cpu : 0);
    } finally {
      this.layout.write();
    }
  }

  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    checkKey(this.spec, key);
    try {
      return this.updateElem(key, userValues(this.spec, values, this.perSlot), flags, -1);
    } finally {
      this.layout.write();
    }
  }

  /** `onCpu` >= 0: a program's update on that CPU (one value); -1: user space (perSlot values). */
  private updateElem(key: Uint8Array, values: readonly Uint8Array[], flags: number, onCpu: number): number {
    if (badUpdateFlags(flags)) return -EINVAL;
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
    return slot < 0 ? null : this.values.read(slot);
  }

  private allocSlot(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    const slot = this.fresh++;
    this.values.ensure(slot + 1);
    this.table.ensureSlots(slot + 1);
    return slot;
  }
}
