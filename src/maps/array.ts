import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import { MAP_SLOT } from './inline-lookup.js';
import type { VmMemory } from '../vm/memory.js';
import { BPF_F_RDONLY_PROG } from '../uapi/bpf.js';
import { BPF_F_LOCK, E2BIG, EEXIST, EINVAL, arrayNextKey, badUpdateFlags, checkKey, mapLabel, u32At, userValues } from './check.js';
import type { MapOptions } from './options.js';
import { ValueStore } from './value-store.js';

/**
 * BPF_MAP_TYPE_ARRAY: max_entries zero-initialised values indexed by a u32 key, all allocated
 * at creation (kernel/bpf/arraymap.c). Also the map behind global data (`.data`, `.bss`,
 * `.rodata*`): one entry whose initial value is the section's bytes.
 *
 * - Lookup past the end is NULL (0); update there is -E2BIG; BPF_NOEXIST is -EEXIST (every
 *   element exists); other flags past BPF_EXIST are -EINVAL; delete is always -EINVAL.
 * - get_next_key: a null key or one >= max_entries gives 0, the last index ends the walk,
 *   otherwise index + 1 (array_map_get_next_key).
 * - With BPF_F_RDONLY_PROG (`.rodata`) the values are read-only to programs: a program's store
 *   faults `vm/read-only`, while user-space writes still land.
 */
export class ArrayMap implements VmMap {
  readonly spec: MapSpec;
  readonly cpus: number;
  protected readonly values: ValueStore;
  protected readonly perSlot: number;

  constructor(spec: MapSpec, mem: VmMemory, opts: MapOptions, percpu = false) {
    this.spec = spec;
    this.cpus = opts.cpus;
    this.perSlot = percpu ? opts.cpus : 1;
    const writable = (spec.flags & BPF_F_RDONLY_PROG) === 0;
    const name = spec.source === 'data' ? spec.name : `${mapLabel(spec)} value`;
    this.values = new ValueStore(mem, spec.valueSize, this.perSlot, spec.maxEntries, name, writable);
    this.values.lockOff = spec.spinLockOff ?? -1;
    this.values.ensure(spec.maxEntries);
    if (spec.data) {
      const init = spec.data.subarray(0, spec.valueSize);
      for (let c = 0; c < this.perSlot; c++) this.values.write(0, c, init);
    }
  }

  lookup(key: Uint8Array, cpu: number): number {
    return this.lookupAt(key, 0, cpu);
  }

  lookupAt(bytes: Uint8Array, off: number, cpu: number): number {
    const index = u32At(bytes, off);
    if (index >= this.spec.maxEntries) return 0;
    return this.values.addr(index, this.perSlot > 1 ? cpu : 0);
  }

  /** The values are one slab, allocated at creation: lookups are arithmetic (MAP_SLOT.array). */
  inlineSlot(): readonly number[] | undefined {
    const v = this.values;
    if (this.spec.keySize !== 4 || v.allocated < this.spec.maxEntries || this.spec.maxEntries === 0) return undefined;
    return MAP_SLOT.array(v.addr(0, 0), v.stride * this.perSlot, this.perSlot > 1 ? v.stride : 0, this.spec.maxEntries);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    return this.updateElem(key, [value], flags, this.perSlot > 1 ? cpu : 0);
  }

  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    checkKey(this.spec, key);
    return this.updateElem(key, userValues(this.spec, values, this.perSlot), flags, -1);
  }

  private updateElem(key: Uint8Array, values: readonly Uint8Array[], flags: number, onCpu: number): number {
    if (badUpdateFlags(flags, this.spec.spinLockOff !== undefined)) return -EINVAL;
    const index = u32At(key);
    if (index >= this.spec.maxEntries) return -E2BIG;
    if ((flags & ~BPF_F_LOCK) === 1) return -EEXIST;
    this.values.store(index, values, onCpu, false);
    return 0;
  }

  delete(key: Uint8Array): number {
    checkKey(this.spec, key);
    return -EINVAL;
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    return arrayNextKey(this.spec, key);
  }

  read(key: Uint8Array): Uint8Array[] | null {
    checkKey(this.spec, key);
    const index = u32At(key);
    return index >= this.spec.maxEntries ? null : this.values.read(index);
  }

  /** True when any byte of entry `index` (on any CPU) is non-zero. */
  nonZero(index: number): boolean {
    return this.values.nonZero(index);
  }
}
