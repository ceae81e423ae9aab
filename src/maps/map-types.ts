import { MapError } from '../internal/errors.js';
import type { MapSpec } from '../loader/spec.js';
import { BPF_MAP_TYPE, mapTypeName } from '../uapi/bpf.js';
import type { VmMap } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { ArrayMap } from './array.js';
import { ArrayOfMaps } from './array-of-maps.js';
import { BloomFilterMap } from './bloom-filter.js';
import { mapLabel } from './check.js';
import { CpuMap } from './cpumap.js';
import { DevMap } from './devmap.js';
import { DevMapHash } from './devmap-hash.js';
import { HashMap } from './hash.js';
import { HashOfMaps } from './hash-of-maps.js';
import { LpmTrieMap } from './lpm-trie.js';
import { LruHashMap } from './lru-hash.js';
import { LruPercpuHashMap } from './lru-percpu-hash.js';
import type { MapOptions } from './options.js';
import { PercpuArrayMap } from './percpu-array.js';
import { PercpuHashMap } from './percpu-hash.js';
import { PerfEventArray } from './perf-event-array.js';
import { ProgArray } from './prog-array.js';
import { QueueStackMap } from './queue-stack.js';
import { RingBufMap } from './ringbuf.js';
import { XskMap } from './xskmap.js';
import { arrayRule, bloomRule, commonRule, cpumapRule, devmapRule, hashRule, lpmTrieRule, queueStackRule, ringbufRule, type SpecRule, xskmapRule } from './spec-rules.js';

/**
 * The map types bpfsim simulates, one descriptor each: what a user needs to know of it (the
 * README's list is generated from this), the key, value, size and flag rules of its creation,
 * how createMap makes its live map, and which layout the
 * WebAssembly engine's inline bpf_map_lookup_elem reads for it (inline-lookup.ts MAP_SLOT, the
 * map's VmMap.inlineSlot).
 * Semantics are the kernel's (kernel/bpf/hashtab.c, arraymap.c, lpm_trie.c, devmap.c,
 * map_in_map.c), proven in test/maps and the parity cases.
 */
export interface MapTypeDescription {
  /** BPF_MAP_TYPE_* value. */
  readonly type: number;
  /** Its bpf.h name. */
  readonly name: keyof typeof BPF_MAP_TYPE;
  /** One line: what it does and what bpfsim reproduces of it. */
  readonly summary: string;
  /** Throws MapError `map/invalid-spec` for a spec the kernel refuses to create for this type. */
  readonly check: SpecRule;
  /** Makes the live map of a checked spec of this type. */
  readonly create: (spec: MapSpec, mem: VmMemory, opts: MapOptions) => VmMap;
  /** The MAP_SLOT layout its lookups are inlined with (`array`: arithmetic on the key; `hash`: a probe of its index in VM memory), or none: the helper answers. */
  readonly inlineLookup?: 'array' | 'hash';
}

const T = BPF_MAP_TYPE;
const d = (name: keyof typeof BPF_MAP_TYPE, summary: string, check: SpecRule, create: MapTypeDescription['create'], inlineLookup?: 'array' | 'hash'): MapTypeDescription => ({
  type: T[name],
  name,
  summary,
  check,
  create,
  inlineLookup,
});

/** Every map type bpfsim simulates, in bpf.h order. */
export const MAP_TYPES: readonly MapTypeDescription[] = [
  d('BPF_MAP_TYPE_HASH', 'update flags, -E2BIG when full, the kernel iteration order', hashRule(), (s, m, o) => new HashMap(s, m, o), 'hash'),
  d('BPF_MAP_TYPE_ARRAY', 'zero-filled u32-indexed values, -E2BIG past the end, no delete', arrayRule({ plain: true }), (s, m, o) => new ArrayMap(s, m, o), 'array'),
  d('BPF_MAP_TYPE_PROG_ARRAY', 'slots naming programs of the object for bpf_tail_call', arrayRule({ fd: true }), (s, m, o) => new ProgArray(s, m, o)),
  d('BPF_MAP_TYPE_PERF_EVENT_ARRAY', 'bpf_perf_event_output samples (with packet bytes) in the run result\'s `events`; max_entries filled as libbpf does', arrayRule({ fd: true, perf: true }), (s, _m, o) => new PerfEventArray(s, o)),
  d('BPF_MAP_TYPE_PERCPU_HASH', 'a hash with one value per possible CPU', hashRule({ percpu: true }), (s, m, o) => new PercpuHashMap(s, m, o), 'hash'),
  d('BPF_MAP_TYPE_PERCPU_ARRAY', 'an array with one value per possible CPU', arrayRule({ percpu: true }), (s, m, o) => new PercpuArrayMap(s, m, o), 'array'),
  d('BPF_MAP_TYPE_LRU_HASH', 'a hash that evicts the least recently used key when full', hashRule({ lru: true }), (s, m, o) => new LruHashMap(s, m, o), 'hash'),
  d('BPF_MAP_TYPE_LRU_PERCPU_HASH', 'an LRU hash with one value per possible CPU', hashRule({ lru: true, percpu: true }), (s, m, o) => new LruPercpuHashMap(s, m, o), 'hash'),
  d('BPF_MAP_TYPE_LPM_TRIE', 'longest-prefix match on `struct bpf_lpm_trie_key`', lpmTrieRule, (s, m) => new LpmTrieMap(s, m)),
  d('BPF_MAP_TYPE_ARRAY_OF_MAPS', 'an array of inner maps', arrayRule({ fd: true }), (s, m, o) => new ArrayOfMaps(s, m, o)),
  d('BPF_MAP_TYPE_HASH_OF_MAPS', 'a hash of inner maps', hashRule({ ofMaps: true }), (s, m, o) => new HashOfMaps(s, m, o)),
  d('BPF_MAP_TYPE_DEVMAP', 'interfaces for bpf_redirect_map; BPF_F_BROADCAST sends a clone to every interface (BPF_F_EXCLUDE_INGRESS: but the ingress one)', devmapRule, (s, m, o) => new DevMap(s, m, o)),
  d('BPF_MAP_TYPE_CPUMAP', 'CPUs for bpf_redirect_map (qsize limits, -ENODEV past the possible CPUs); the redirect names the CPU', cpumapRule, (s, m, o) => new CpuMap(s, m, o)),
  d('BPF_MAP_TYPE_XSKMAP', 'AF_XDP sockets for bpf_redirect_map, each value the queue its socket is bound to; lookups give its queue_id', xskmapRule, (s, m) => new XskMap(s, m)),
  d('BPF_MAP_TYPE_QUEUE', 'FIFO push/pop/peek with BPF_EXIST overwriting the oldest value', queueStackRule, (s) => new QueueStackMap(s, false)),
  d('BPF_MAP_TYPE_STACK', 'LIFO push/pop/peek with BPF_EXIST overwriting the oldest value', queueStackRule, (s) => new QueueStackMap(s, true)),
  d('BPF_MAP_TYPE_DEVMAP_HASH', 'a devmap keyed by any u32', devmapRule, (s, m, o) => new DevMapHash(s, m, o)),
  d('BPF_MAP_TYPE_RINGBUF', 'reserve/submit/discard/output/query with the kernel\'s space accounting; records in the run result\'s `events`', ringbufRule, (s, m) => new RingBufMap(s, m)),
  d('BPF_MAP_TYPE_BLOOM_FILTER', 'the kernel\'s bit array size and jhash, so false positives match (BPF_F_ZERO_SEED)', bloomRule, (s) => new BloomFilterMap(s)),
];

const BY_TYPE = new Map(MAP_TYPES.map((t) => [t.type, t]));

/** The descriptor of map type `type` (BPF_MAP_TYPE_*), or undefined when bpfsim does not simulate it. */
export function mapType(type: number): MapTypeDescription | undefined {
  return BY_TYPE.get(type);
}

/**
 * Checks a map spec as the kernel's map creation does for its type: a spec the kernel would
 * refuse throws MapError `map/invalid-spec`, a type bpfsim does not simulate `map/unsupported-type`.
 */
export function checkMapSpec(spec: MapSpec): MapTypeDescription {
  commonRule(spec);
  const type = BY_TYPE.get(spec.type);
  if (type === undefined) throw new MapError('map/unsupported-type', `${mapLabel(spec)}: map type ${mapTypeName(spec.type)} is not supported`);
  type.check(spec);
  return type;
}
