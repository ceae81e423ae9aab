import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { BPF_MAP_TYPE } from '../uapi/bpf.js';
import type { MapOptions } from './options.js';
import { libbpfRingbufSize } from './ringbuf.js';
import { checkMapSpec } from './map-types.js';

export { ArrayMap } from './array.js';
export { ArrayOfMaps } from './array-of-maps.js';
export { HashOfMaps } from './hash-of-maps.js';
export { DevMap, type DevTarget } from './devmap.js';
export { DevMapHash } from './devmap-hash.js';
export { dumpMap, type MapEntry } from './dump.js';
export { HashMap } from './hash.js';
export { KeyTable } from './key-table.js';
export { LpmTrieMap } from './lpm-trie.js';
export { LruHashMap } from './lru-hash.js';
export { LruList } from './lru-list.js';
export { LruPercpuHashMap } from './lru-percpu-hash.js';
export type { MapOptions } from './options.js';
export { PercpuArrayMap } from './percpu-array.js';
export { PercpuHashMap } from './percpu-hash.js';
export { ProgArray } from './prog-array.js';
export { CpuMap } from './cpumap.js';
export { XskMap } from './xskmap.js';
export { PerfEventArray } from './perf-event-array.js';
export { QueueStackMap } from './queue-stack.js';
export { BloomFilterMap } from './bloom-filter.js';
export { RingBufMap, isEventSource, type EventRecord, type EventSource } from './ringbuf.js';

const T = BPF_MAP_TYPE;

/**
 * Makes the live map of `spec` with its values in `mem`, after checking the spec as the
 * kernel's map creation does (MapError `map/invalid-spec`). Types bpfsim does not simulate throw
 * MapError `map/unsupported-type` naming the type (`MapType(99)` for unknown numbers).
 */
export function createMap(spec: MapSpec, mem: VmMemory, opts: MapOptions): VmMap {
  if (!Number.isInteger(opts.cpus) || opts.cpus < 1 || opts.cpus > 0xffff) throw new RangeError(`cpus: expected an integer in 1..65535, got ${opts.cpus}`);
  spec = libbpfFilled(spec, opts.cpus);
  return checkMapSpec(spec).create(spec, mem, opts);
}

/**
 * The spec libbpf creates for `spec` (bpf_object__create_map, fill_map_from_def): a perf event
 * array without max_entries gets one slot per possible CPU, a ring buffer declared in `.maps`
 * gets its size rounded up to a power-of-two number of pages (adjust_ringbuf_sz).
 */
function libbpfFilled(spec: MapSpec, cpus: number): MapSpec {
  if (spec.type === T.BPF_MAP_TYPE_PERF_EVENT_ARRAY && spec.maxEntries === 0) return { ...spec, maxEntries: cpus };
  if (spec.type === T.BPF_MAP_TYPE_RINGBUF && spec.source === 'btf' && spec.maxEntries > 0) return { ...spec, maxEntries: libbpfRingbufSize(spec.maxEntries) };
  return spec;
}
