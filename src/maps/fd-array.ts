import type { MapSpec } from '../loader/spec.js';
import { BPF_ANY } from '../uapi/bpf.js';
import { E2BIG, EBADF, EINVAL, ENOENT, arrayNextKey, checkKey, u32At, u32Bytes, userValue } from './check.js';

/**
 * What the arrays of references share (prog array, array of maps; kernel/bpf/arraymap.c
 * fd_array_map_*): sparse slots that each hold a u32 naming an object (a program or a map; bpfsim
 * has no file descriptors), written and read back from user space as that u32.
 *
 * - Update: flags other than BPF_ANY -EINVAL, index past the end -E2BIG, a u32 naming nothing
 *   ({@link validEntry}) -EBADF. Delete: past the end -E2BIG, empty -ENOENT.
 * - get_next_key as an array's, over every index.
 */
export abstract class FdArrayMap {
  readonly spec: MapSpec;
  /** Filled slots only: max_entries may be up to 2^32 - 1, far more than a dense table could hold. */
  protected readonly slots = new Map<number, number>();

  constructor(spec: MapSpec) {
    this.spec = spec;
  }

  /** True when `entry` may name an object (a program or a map of the object). */
  protected abstract validEntry(entry: number): boolean;

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): number {
    if (flags !== BPF_ANY) return -EINVAL;
    const index = u32At(key);
    if (index >= this.spec.maxEntries) return -E2BIG;
    const entry = u32At(value);
    if (!this.validEntry(entry)) return -EBADF;
    this.slots.set(index, entry);
    return 0;
  }

  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    return this.update(key, userValue(this.spec, key, values), flags, 0);
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
    return arrayNextKey(this.spec, key);
  }

  read(key: Uint8Array): Uint8Array[] | null {
    checkKey(this.spec, key);
    const entry = this.slots.get(u32At(key));
    return entry === undefined ? null : [u32Bytes(entry)];
  }
}
