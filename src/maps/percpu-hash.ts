import type { MapSpec } from '../loader/spec.js';
import type { VmMemory } from '../vm/memory.js';
import { HashMap } from './hash.js';
import type { MapOptions } from './options.js';

/**
 * BPF_MAP_TYPE_PERCPU_HASH: a hash map with one value per possible CPU (kernel/bpf/hashtab.c).
 * A program's lookup and update touch only its CPU's value; a key a program creates starts with
 * zeros on every other CPU (pcpu_init_value). User space reads every CPU's value and writes one
 * value for all CPUs or one per CPU. Keys, flags and -E2BIG are as {@link HashMap}.
 */
export class PercpuHashMap extends HashMap {
  constructor(spec: MapSpec, mem: VmMemory, opts: MapOptions) {
    super(spec, mem, opts, true);
  }
}
