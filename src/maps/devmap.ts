import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { E2BIG, EEXIST, EINVAL, arrayNextKey, badUpdateFlags, checkKey, mapLabel, u32At, userValue } from './check.js';
import type { MapOptions } from './options.js';
import { ValueStore } from './value-store.js';

/** A devmap entry: the target interface and the id of the XDP program to run on it (0: none). */
export interface DevTarget {
  ifindex: number;
  progId: number;
}

/**
 * Decodes and checks a devmap value as __dev_map_update_elem does: a u32 ifindex, or
 * struct bpf_devmap_val { u32 ifindex; union { int fd; u32 id; } bpf_prog; } (bpf.h). Returns
 * the entry, null for "ifindex 0" (an empty slot), or a negative errno (-EINVAL for a program
 * without an interface, or an interface that does not exist).
 *
 * bpfsim has no file descriptors: the program field is kept as written and read back as the
 * program's id; a value > 0 means "run this program", as a prog fd > 0 does in the kernel.
 */
export function decodeDevValue(value: Uint8Array, opts: MapOptions): DevTarget | null | number {
  const ifindex = u32At(value);
  const prog = value.length >= 8 ? u32At(value, 4) | 0 : 0;
  if (ifindex === 0) return prog > 0 ? -EINVAL : null;
  if (opts.ifindexExists && !opts.ifindexExists(ifindex)) return -EINVAL;
  return { ifindex, progId: prog > 0 ? prog : 0 };
}

/** Writes `target` into a value slot as the kernel stores it (ifindex, then the program id when the value has room). */
export function encodeDevValue(target: DevTarget, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, target.ifindex, true);
  if (size >= 8) view.setUint32(4, target.progId, true);
  return out;
}

/**
 * BPF_MAP_TYPE_DEVMAP: an array of interfaces for bpf_redirect_map (kernel/bpf/devmap.c). Slots
 * start empty; writing ifindex 0 empties one. Values are read-only to programs (the kernel forces
 * BPF_F_RDONLY_PROG). Update: flags past BPF_EXIST -EINVAL, index past the end -E2BIG,
 * BPF_NOEXIST -EEXIST; delete past the end -EINVAL, otherwise 0 even for an empty slot;
 * get_next_key as an array's, over every index. Lookups of empty slots are NULL.
 */
export class DevMap implements VmMap {
  readonly spec: MapSpec;
  private readonly values: ValueStore;
  private readonly present: Uint8Array;

  constructor(
    spec: MapSpec,
    mem: VmMemory,
    private readonly opts: MapOptions,
  ) {
    this.spec = spec;
    this.values = new ValueStore(mem, spec.valueSize, 1, spec.maxEntries, `${mapLabel(spec)} value`, false);
    this.values.ensure(spec.maxEntries);
    this.present = new Uint8Array(spec.maxEntries);
  }

  lookup(key: Uint8Array, _cpu: number): number {
    const index = u32At(key);
    return index < this.spec.maxEntries && this.present[index] ? this.values.addr(index) : 0;
  }

  /** The entry at `index`, for bpf_redirect_map; undefined when empty or out of range. */
  target(index: number): DevTarget | undefined {
    if (index >= this.spec.maxEntries || !this.present[index]) return undefined;
    const v = this.values.read(index)[0]!;
    return { ifindex: u32At(v), progId: v.length >= 8 ? u32At(v, 4) : 0 };
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): number {
    if (badUpdateFlags(flags)) return -EINVAL;
    const index = u32At(key);
    if (index >= this.spec.maxEntries) return -E2BIG;
    if (flags === 1) return -EEXIST;
    const target = decodeDevValue(value, this.opts);
    if (typeof target === 'number') return target;
    if (target === null) {
      this.present[index] = 0;
      this.values.zero(index, 0);
      return 0;
    }
    this.values.write(index, 0, encodeDevValue(target, this.spec.valueSize));
    this.present[index] = 1;
    return 0;
  }

  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    return this.update(key, userValue(this.spec, key, values), flags, 0);
  }

  delete(key: Uint8Array): number {
    checkKey(this.spec, key);
    const index = u32At(key);
    if (index >= this.spec.maxEntries) return -EINVAL;
    this.present[index] = 0;
    this.values.zero(index, 0);
    return 0;
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    return arrayNextKey(this.spec, key);
  }

  read(key: Uint8Array): Uint8Array[] | null {
    checkKey(this.spec, key);
    const index = u32At(key);
    return index < this.spec.maxEntries && this.present[index] ? this.values.read(index) : null;
  }
}
