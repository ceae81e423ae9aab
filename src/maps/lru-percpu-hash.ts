import type { MapSpec } from '../loader/spec.js';
import type { VmMemory } from '../vm/memory.js';
import { LruHashMap } from './lru-hash.js';
import type { MapOptions } from './options.js';

/**
 * BPF_MAP_TYPE_LRU_PERCPU_HASH: an LRU hash map with one value per possible CPU
 * (kernel/bpf/hashtab.c __htab_lru_percpu_map_update_elem). Eviction is as {@link LruHashMap};
 * unlike it, a present key's values are updated in place (its ref bit set), and a BPF_EXIST
 * update takes no free node, so it never evicts.
 */
export class LruPercpuHashMap extends LruHashMap {
  constructor(spec: MapSpec, mem: VmMemory, opts: MapOptions) {
    super(spec, mem, opts, true);
  }
}
