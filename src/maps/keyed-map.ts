import type { MapSpec } from '../loader/spec.js';
import { ENOENT, checkKey } from './check.js';
import type { KeyTable } from './key-table.js';

/**
 * The part every map indexed by a {@link KeyTable} shares (hash, LRU hash, devmap hash, hash of
 * maps; kernel/bpf/hashtab.c and devmap.c): the user-space delete, get_next_key and lookup
 * paths, and a free list of slots. Each map keeps its own program-side lookup and update (the
 * hot paths) and says how a slot's storage grows and what its value reads as.
 *
 * - delete of an absent key is -ENOENT (htab_map_delete_elem).
 * - get_next_key walks keys in insertion order; a null or absent key gives the first. The kernel
 *   walks buckets of a hash with a random seed, so no order is promised there; ours is
 *   deterministic, and a replaced key keeps its place.
 */
export abstract class KeyedMap {
  readonly spec: MapSpec;
  protected readonly table: KeyTable;
  private readonly freeSlots: number[] = [];
  private fresh = 0;

  constructor(spec: MapSpec, table: KeyTable) {
    this.spec = spec;
    this.table = table;
  }

  /** Number of keys present. */
  get size(): number {
    return this.table.size;
  }

  delete(key: Uint8Array): number {
    checkKey(this.spec, key);
    const slot = this.table.find(key);
    if (slot < 0) return -ENOENT;
    this.table.remove(slot);
    this.releaseSlot(slot);
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
    return slot < 0 ? null : this.readSlot(slot);
  }

  /** Every value of the key at `slot`, as {@link read} returns them. */
  protected abstract readSlot(slot: number): Uint8Array[];

  /** Makes sure the map's own per-slot storage holds slots below `n`. */
  protected abstract growSlots(n: number): void;

  /** Takes back a slot whose key was just removed from the table. */
  protected releaseSlot(slot: number): void {
    this.freeSlots.push(slot);
  }

  /** A free slot (the last released, else a fresh one), with key and value storage ready. */
  protected allocSlot(): number {
    const reused = this.freeSlots.pop();
    // A released slot keeps its storage: only a fresh one may need the stores to grow.
    return reused !== undefined ? reused : this.prepareSlot(this.fresh++);
  }

  /** Grows the map's storage, then the table's, so that `slot` can be used; returns `slot`. */
  protected prepareSlot(slot: number): number {
    this.growSlots(slot + 1);
    this.table.ensureSlots(slot + 1);
    return slot;
  }
}
