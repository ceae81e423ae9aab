import { MapError } from '../internal/errors.js';
import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import { mapHandle } from '../vm/layout.js';
import type { VmMemory } from '../vm/memory.js';
import { BPF_ANY } from '../uapi/bpf.js';
import { E2BIG, EBADF, EINVAL, ENOENT, checkKey, mapLabel, u32At, u32Bytes, userValues } from './check.js';
import type { MapOptions } from './options.js';

const U32_MAX = 0xffffffff;

/** Resolves a spec's initial inner maps (`.values = { [0] = &inner }`) to map indices. */
export function initialInnerMaps(spec: MapSpec, opts: MapOptions): { slot: number; index: number }[] {
  return (spec.initialMaps ?? []).map(({ slot, map }) => {
    const index = opts.mapIndex?.(map);
    if (index === undefined) throw new MapError('map/unknown-map', `${mapLabel(spec)}: slot ${slot}: no map '${map}' in the object`);
    return { slot, index };
  });
}

/** True when `index` may name an inner map (within the object's maps when their count is known). */
export function validInner(index: number, opts: MapOptions): boolean {
  return opts.mapCount === undefined || index < opts.mapCount;
}

/**
 * BPF_MAP_TYPE_ARRAY_OF_MAPS: slots of inner maps (kernel/bpf/arraymap.c, map_in_map.c). bpfsim
 * has no file descriptors: a slot holds the inner map's index in ObjectSpec.maps, written and
 * read from user space as a u32 (where the kernel reads back a map id). A program's lookup gives
 * the inner map pointer, the handle `mapHandle(index)` (src/vm/layout.ts) that map helpers
 * accept, or NULL for an empty slot. Update: flags other than BPF_ANY -EINVAL, index past the
 * end -E2BIG, an index naming no map -EBADF; delete: past the end -E2BIG, empty -ENOENT.
 * Inner maps are not checked for compatibility with the template (bpf_map_meta_equal).
 */
export class ArrayOfMaps implements VmMap {
  readonly spec: MapSpec;
  /** Filled slots only: max_entries may be up to 2^32 - 1, far more than a dense table could hold. */
  private readonly slots = new Map<number, number>();

  constructor(
    spec: MapSpec,
    _mem: VmMemory,
    private readonly opts: MapOptions,
  ) {
    this.spec = spec;
    for (const { slot, index } of initialInnerMaps(spec, opts)) {
      if (slot < 0 || slot >= spec.maxEntries) throw new MapError('map/invalid-spec', `${mapLabel(spec)}: slot ${slot} is past max_entries ${spec.maxEntries}`);
      this.slots.set(slot, index);
    }
  }

  /** The inner map index in slot `index`, or undefined. */
  innerAt(index: number): number | undefined {
    return this.slots.get(index);
  }

  lookup(key: Uint8Array, _cpu: number): number {
    const m = this.innerAt(u32At(key));
    return m === undefined ? 0 : mapHandle(m);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): number {
    if (flags !== BPF_ANY) return -EINVAL;
    const index = u32At(key);
    if (index >= this.spec.maxEntries) return -E2BIG;
    const inner = u32At(value);
    if (!validInner(inner, this.opts)) return -EBADF;
    this.slots.set(index, inner);
    return 0;
  }

  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    checkKey(this.spec, key);
    return this.update(key, userValues(this.spec, values, 1)[0]!, flags, 0);
  }

  delete(key: Uint8Array): number {
    checkKey(this.spec, key);
    const index = u32At(key);
    if (index >= this.spec.maxEntries) return -E2BIG;
    return this.slots.delete(index) ? 0 : -ENOENT;
  }

  /** The filled slots in ascending order (what a dump lists, without walking every index). */
  filledSlots(): number[] {
    return [...this.slots.keys()].sort((a, b) => a - b);
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    if (key) checkKey(this.spec, key);
    const index = key ? u32At(key) : U32_MAX;
    if (index >= this.spec.maxEntries) return u32Bytes(0);
    if (index === this.spec.maxEntries - 1) return null;
    return u32Bytes(index + 1);
  }

  read(key: Uint8Array): Uint8Array[] | null {
    checkKey(this.spec, key);
    const m = this.innerAt(u32At(key));
    return m === undefined ? null : [u32Bytes(m)];
  }
}
