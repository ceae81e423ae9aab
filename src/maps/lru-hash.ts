import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import { HashLayoutRecord } from './hash-layout.js';
import type { VmMemory } from '../vm/memory.js';
import { BPF_EXIST, BPF_F_NO_COMMON_LRU } from '../uapi/bpf.js';
import { EINVAL, ENOMEM, badUpdateFlags, checkFlags } from './check.js';
import { HashTableMap } from './hash-table-map.js';
import { LruList } from './lru-list.js';
import type { MapOptions } from './options.js';

/**
 * BPF_MAP_TYPE_LRU_HASH: a preallocated hash map that makes room for a new key by evicting
 * the least recently used ones (kernel/bpf/hashtab.c htab_lru_map_*, with the list model of
 * {@link LruList}, which documents how eviction works and where it can differ from the kernel).
 *
 * - Every update first takes a free node from the LRU (possibly evicting), even one that then
 *   fails with -EEXIST/-ENOENT or replaces a present key (htab_lru_map_update_elem), so such an
 *   update can evict another key, or the very key it names.
 * - A program's lookup sets the element's ref bit; user-space reads do not (lookup_elem_sys).
 *   Replacing a key gives it a new element with the ref bit set.
 * - Never -E2BIG: a full map evicts. get_next_key walks keys in insertion order (a replaced key
 *   keeps its place).
 * - BPF_F_NO_COMMON_LRU gives one LRU per CPU with max_entries rounded up to a multiple of the
 *   CPU count, as the kernel does.
 */
export class LruHashMap extends HashTableMap implements VmMap {
  /** Elements the map preallocates: max_entries, rounded to the CPU count with BPF_F_NO_COMMON_LRU. */
  readonly capacity: number;
  readonly lru: LruList;
  protected readonly layout: HashLayoutRecord;

  constructor(spec: MapSpec, mem: VmMemory, opts: MapOptions, percpu = false) {
    const percpuLru = (spec.flags & BPF_F_NO_COMMON_LRU) !== 0;
    let capacity = spec.maxEntries;
    if (percpuLru) {
      capacity = Math.ceil(spec.maxEntries / opts.cpus) * opts.cpus;
      if (capacity > 0xffffffff) capacity = Math.floor(spec.maxEntries / opts.cpus) * opts.cpus;
    }
    super(spec, mem, opts, percpu, capacity);
    this.capacity = capacity;
    // Ref bits in VM memory too, where the WebAssembly engine sets them (inlineSlot).
    this.lru = new LruList(
      capacity,
      opts.cpus,
      percpuLru,
      (node) => {
        if (!this.table.has(node)) return false;
        this.table.remove(node);
        return true;
      },
      mem,
    );
    this.layout = new HashLayoutRecord(mem, this.table, this.values, this.perSlot > 1 ? this.values.stride : 0, this.lru.refAddr);
  }

  lookup(key: Uint8Array, cpu: number): number {
    return this.lookupAt(key, 0, cpu);
  }

  lookupAt(bytes: Uint8Array, off: number, cpu: number): number {
    const slot = this.table.find(bytes, off);
    if (slot < 0) return 0;
    this.lru.ref[slot] = 1;
    return this.values.addr(slot, this.perSlot > 1 ? cpu : 0);
  }

  /** The value address of `key` on `cpu` as {@link lookup} gives it, without setting the ref bit (a walk of the buckets), 0 when absent. */
  peek(key: Uint8Array, cpu: number): number {
    const slot = this.table.find(key, 0);
    return slot < 0 ? 0 : this.values.addr(slot, this.perSlot > 1 ? cpu : 0);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    try {
      return this.updateElem(key, [value], flags, cpu, this.perSlot > 1 ? cpu : 0);
    } finally {
      this.layout.write();
    }
  }

  protected override releaseSlot(slot: number): void {
    this.lru.pushFree(slot);
  }

  /** A free node for `cpu`, with key and value storage ready, or -1. */
  protected popNode(cpu: number): number {
    const node = this.lru.popFree(cpu);
    return node >= 0 ? this.prepareSlot(node) : node;
  }

  /** `cpu`: the CPU whose LRU lists serve the update; `onCpu`: the value to write (-1: all, from user space). */
  protected override updateElem(key: Uint8Array, values: readonly Uint8Array[], flags: number, cpu: number, onCpu: number): number {
    if (badUpdateFlags(flags)) return -EINVAL;
    return this.perSlot > 1 ? this.updatePercpu(key, values, flags, cpu, onCpu) : this.updateShared(key, values, flags, cpu);
  }

  /** htab_lru_map_update_elem. */
  private updateShared(key: Uint8Array, values: readonly Uint8Array[], flags: number, cpu: number): number {
    const node = this.popNode(cpu);
    if (node < 0) return -ENOMEM;
    this.values.write(node, 0, values[0]!);
    const old = this.table.find(key);
    const err = checkFlags(old >= 0, flags);
    if (err) {
      this.lru.pushFree(node);
      return err;
    }
    if (old >= 0) {
      this.table.replace(old, node);
      this.lru.ref[node] = 1;
      this.lru.pushFree(old);
    } else {
      this.table.insert(key, node);
    }
    return 0;
  }

  /** __htab_lru_percpu_map_update_elem: values are updated in place; BPF_EXIST takes no node. */
  private updatePercpu(key: Uint8Array, values: readonly Uint8Array[], flags: number, cpu: number, onCpu: number): number {
    let node = -1;
    if (flags !== BPF_EXIST) {
      node = this.popNode(cpu);
      if (node < 0) return -ENOMEM;
    }
    const old = this.table.find(key);
    const err = checkFlags(old >= 0, flags);
    if (!err) {
      if (old >= 0) {
        this.lru.ref[old] = 1;
        this.values.store(old, values, onCpu, false);
      } else {
        this.values.store(node, values, onCpu, true);
        this.table.insert(key, node);
        node = -1;
      }
    }
    if (node >= 0) this.lru.pushFree(node);
    return err;
  }
}
