import type { MapSpec } from '../loader/spec.js';
import { MAP_SLOT } from './inline-lookup.js';
import type { VmMemory } from '../vm/memory.js';
import { BPF_F_RDONLY_PROG } from '../uapi/bpf.js';
import { checkKey, mapLabel, userValues } from './check.js';
import type { HashLayoutRecord } from './hash-layout.js';
import { KeyTable } from './key-table.js';
import { KeyedMap } from './keyed-map.js';
import type { MapOptions } from './options.js';
import { ValueStore } from './value-store.js';

/** The CPU user-space operations count as (the kernel backend pins itself to CPU 0 too). */
const USER_CPU = 0;

/**
 * What the hash maps a program can look up in place share (BPF_MAP_TYPE_HASH, LRU_HASH and
 * their per-CPU forms, kernel/bpf/hashtab.c): a {@link KeyTable} and a {@link ValueStore} in VM
 * memory, described by a HASH_LAYOUT record (src/vm/layout.ts) the WebAssembly engine searches
 * itself, and the user-space update path. Subclasses own the program-side lookup and update and
 * the update semantics ({@link updateElem}); they create {@link layout} once their own VM
 * memory is allocated.
 */
export abstract class HashTableMap extends KeyedMap {
  readonly cpus: number;
  /** Values per key: the CPU count for per-CPU maps, else 1. */
  protected readonly perSlot: number;
  protected readonly values: ValueStore;
  protected abstract readonly layout: HashLayoutRecord;

  /** `capacity`: the most keys the map can hold (value slots it may allocate). */
  constructor(spec: MapSpec, mem: VmMemory, opts: MapOptions, percpu: boolean, capacity: number) {
    // Index and value addresses in VM memory, where the WebAssembly engine looks keys up (inlineSlot).
    super(spec, new KeyTable(spec.keySize, Math.min(capacity, 16), mem));
    this.cpus = opts.cpus;
    this.perSlot = percpu ? opts.cpus : 1;
    const writable = (spec.flags & BPF_F_RDONLY_PROG) === 0;
    this.values = new ValueStore(mem, spec.valueSize, this.perSlot, capacity, `${mapLabel(spec)} value`, writable, true);
    this.values.lockOff = spec.spinLockOff ?? -1;
  }

  /** The index lives in VM memory, described by its HASH_LAYOUT record (MAP_SLOT.hash). */
  inlineSlot(): readonly number[] | undefined {
    return this.spec.keySize > 0 ? MAP_SLOT.hash(this.layout.addr) : undefined;
  }

  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    checkKey(this.spec, key);
    try {
      return this.updateElem(key, userValues(this.spec, values, this.perSlot), flags, USER_CPU, -1);
    } finally {
      this.layout.write();
    }
  }

  /**
   * Inserts or replaces `key` as the kernel's update_elem does; 0 or a negative errno. `cpu`: the
   * CPU the update runs on; `onCpu`: the value to write (-1: all `perSlot` values, from user space).
   */
  protected abstract updateElem(key: Uint8Array, values: readonly Uint8Array[], flags: number, cpu: number, onCpu: number): number;

  protected readSlot(slot: number): Uint8Array[] {
    return this.values.read(slot);
  }

  protected growSlots(n: number): void {
    this.values.ensure(n);
  }
}
