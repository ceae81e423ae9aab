import type { MapSpec } from '../loader/spec.js';
import type { VmMemory } from '../vm/memory.js';
import { ArrayMap } from './array.js';
import type { MapOptions } from './options.js';

/**
 * BPF_MAP_TYPE_PERCPU_ARRAY: an array with one value per possible CPU for each index
 * (kernel/bpf/arraymap.c). A program's lookup and update see only its CPU's value; user space
 * reads every CPU's value and writes one value for all CPUs or one per CPU
 * (bpf_percpu_array_update takes round_up(value_size, 8) bytes per CPU). Flags, bounds and
 * get_next_key are as {@link ArrayMap}.
 */
export class PercpuArrayMap extends ArrayMap {
  constructor(spec: MapSpec, mem: VmMemory, opts: MapOptions) {
    super(spec, mem, opts, true);
  }
}
