import { BPF_MAP_TYPE } from '../uapi/bpf.js';

/**
 * The map types bpfsim simulates, with what a user needs to know of each (the README's list is
 * generated from this; test/maps/map-types.test.ts checks createMap accepts exactly these).
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
}

const T = BPF_MAP_TYPE;
const d = (name: keyof typeof BPF_MAP_TYPE, summary: string): MapTypeDescription => ({ type: T[name], name, summary });

/** Every map type bpfsim simulates, in bpf.h order. */
export const MAP_TYPES: readonly MapTypeDescription[] = [
  d('BPF_MAP_TYPE_HASH', 'update flags, -E2BIG when full, the kernel iteration order'),
  d('BPF_MAP_TYPE_ARRAY', 'zero-filled u32-indexed values, -E2BIG past the end, no delete'),
  d('BPF_MAP_TYPE_PROG_ARRAY', 'slots naming programs of the object for bpf_tail_call'),
  d('BPF_MAP_TYPE_PERF_EVENT_ARRAY', 'bpf_perf_event_output samples (with packet bytes) in the run result\'s `events`; max_entries filled as libbpf does'),
  d('BPF_MAP_TYPE_PERCPU_HASH', 'a hash with one value per possible CPU'),
  d('BPF_MAP_TYPE_PERCPU_ARRAY', 'an array with one value per possible CPU'),
  d('BPF_MAP_TYPE_LRU_HASH', 'a hash that evicts the least recently used key when full'),
  d('BPF_MAP_TYPE_LRU_PERCPU_HASH', 'an LRU hash with one value per possible CPU'),
  d('BPF_MAP_TYPE_LPM_TRIE', 'longest-prefix match on `struct bpf_lpm_trie_key`'),
  d('BPF_MAP_TYPE_ARRAY_OF_MAPS', 'an array of inner maps'),
  d('BPF_MAP_TYPE_HASH_OF_MAPS', 'a hash of inner maps'),
  d('BPF_MAP_TYPE_DEVMAP', 'interfaces for bpf_redirect_map; BPF_F_BROADCAST sends a clone to every interface (BPF_F_EXCLUDE_INGRESS: but the ingress one)'),
  d('BPF_MAP_TYPE_CPUMAP', 'CPUs for bpf_redirect_map (qsize limits, -ENODEV past the possible CPUs); the redirect names the CPU'),
  d('BPF_MAP_TYPE_XSKMAP', 'AF_XDP sockets for bpf_redirect_map, each value the queue its socket is bound to; lookups give its queue_id'),
  d('BPF_MAP_TYPE_QUEUE', 'FIFO push/pop/peek with BPF_EXIST overwriting the oldest value'),
  d('BPF_MAP_TYPE_STACK', 'LIFO push/pop/peek with BPF_EXIST overwriting the oldest value'),
  d('BPF_MAP_TYPE_DEVMAP_HASH', 'a devmap keyed by any u32'),
  d('BPF_MAP_TYPE_RINGBUF', 'reserve/submit/discard/output/query with the kernel\'s space accounting; records in the run result\'s `events`'),
  d('BPF_MAP_TYPE_BLOOM_FILTER', 'the kernel\'s bit array size and jhash, so false positives match (BPF_F_ZERO_SEED)'),
];
