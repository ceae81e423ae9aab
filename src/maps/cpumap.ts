import type { MapSpec } from '../loader/spec.js';
import { ERRNO } from '../uapi/errno.js';
import type { VmMap } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { E2BIG, EEXIST, EINVAL, arrayNextKey, badUpdateFlags, checkKey, mapLabel, u32At, userValue } from './check.js';
import type { MapOptions } from './options.js';
import { ValueStore } from './value-store.js';

/** The largest queue a CPUMAP entry may ask for (cpu_map_update_elem's sanity limit). */
export const CPUMAP_MAX_QSIZE = 16384;

/**
 * BPF_MAP_TYPE_CPUMAP: CPUs bpf_redirect_map can send a frame to (kernel/bpf/cpumap.c). The key
 * is a CPU number, the value `struct bpf_cpumap_val` (u32 qsize, then the program to run there
 * when the value has 8 bytes; bpfsim keeps its id as written, as for devmaps). Update: flags past
 * BPF_EXIST -EINVAL, a key past max_entries -E2BIG, BPF_NOEXIST -EEXIST, qsize over 16384
 * -EOVERFLOW, a CPU that is not possible (the object's `cpus`) -ENODEV, qsize 0 empties the slot;
 * delete past the end -EINVAL, else 0; get_next_key over every index, as an array's. Programs may
 * only redirect through it (the verifier refuses a lookup), user space reads present slots.
 */
export class CpuMap implements VmMap {
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
    this.values.ensure(Math.min(spec.maxEntries, 64));
    this.present = new Uint8Array(spec.maxEntries);
  }

  /** The entry's address for a redirect (__cpu_map_lookup_elem), 0 when the slot is empty. */
  lookup(key: Uint8Array, _cpu: number): number {
    const index = u32At(key);
    return index < this.spec.maxEntries && this.present[index] ? this.values.addr(index) : 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): number {
    if (badUpdateFlags(flags)) return -EINVAL;
    const index = u32At(key);
    if (index >= this.spec.maxEntries) return -E2BIG;
    if (flags === 1) return -EEXIST;
    const qsize = u32At(value);
    if (qsize > CPUMAP_MAX_QSIZE) return -ERRNO.EOVERFLOW;
    if (index >= this.opts.cpus) return -ERRNO.ENODEV;
    if (qsize === 0) {
      this.present[index] = 0;
      return 0;
    }
    this.values.ensure(index + 1);
    this.values.write(index, 0, value);
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
