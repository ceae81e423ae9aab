import { MapError } from '../internal/errors.js';
import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import { mapHandle } from '../vm/layout.js';
import type { VmMemory } from '../vm/memory.js';
import { mapLabel, u32At } from './check.js';
import { FdArrayMap } from './fd-array.js';
import type { MapOptions } from './options.js';

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
 * accept, or NULL for an empty slot. Update, delete and get_next_key as {@link FdArrayMap}; an
 * index naming no map is -EBADF. Inner maps are not checked for compatibility with the
 * template (bpf_map_meta_equal).
 */
export class ArrayOfMaps extends FdArrayMap implements VmMap {
  constructor(
    spec: MapSpec,
    _mem: VmMemory,
    private readonly opts: MapOptions,
  ) {
    super(spec);
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

  protected validEntry(inner: number): boolean {
    return validInner(inner, this.opts);
  }
}
