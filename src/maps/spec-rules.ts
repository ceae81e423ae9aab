import { MapError } from '../internal/errors.js';
import type { MapSpec } from '../loader/spec.js';
import { BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG, mapTypeName } from '../uapi/bpf.js';
import { BPF_F_ACCESS_MASK, BPF_F_INNER_MAP, BPF_F_NUMA_NODE, BPF_F_PRESERVE_ELEMS, BPF_F_ZERO_SEED, mapLabel, PAGE_SIZE } from './check.js';

/**
 * The kernel's map_alloc_check/map_alloc rules of each map family (kernel/bpf/hashtab.c
 * htab_map_alloc_check, arraymap.c array_map_alloc_check and fd_array_map_alloc_check, devmap.c
 * dev_map_init_map, cpumap.c, xskmap.c, queue_stack_maps.c, bloom_filter.c, ringbuf.c,
 * lpm_trie.c trie_alloc). Each map type's descriptor (map-types.ts) names its rule; a spec the
 * kernel would refuse throws MapError `map/invalid-spec`.
 */
export type SpecRule = (spec: MapSpec) => void;

/** KMALLOC_MAX_SIZE on x86-64 (include/linux/slab.h: 1 << (MAX_PAGE_ORDER + PAGE_SHIFT)), bytes. */
const KMALLOC_MAX_SIZE = 1 << 22;
/** sizeof(struct htab_elem) on x86-64 (kernel/bpf/hashtab.c), bytes. */
const HTAB_ELEM_SIZE = 48;
/** PCPU_MIN_UNIT_SIZE (include/linux/percpu.h): the largest per-CPU map value, bytes. */
const PCPU_MIN_UNIT_SIZE = 32 << 10;
/** CONFIG_NR_CPUS of Debian's kernels: a CPUMAP holds at most this many CPUs. */
const NR_CPUS = 8192;

const HTAB_FLAGS = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
const ARRAY_FLAGS = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
const DEV_FLAGS = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;
const LPM_FLAGS = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;

function invalid(spec: MapSpec, why: string): MapError {
  return new MapError('map/invalid-spec', `${mapLabel(spec)}: ${mapTypeName(spec.type)}: ${why}`);
}

function allowFlags(spec: MapSpec, mask: number): void {
  if ((spec.flags & ~mask) !== 0) throw invalid(spec, `flags 0x${(spec.flags >>> 0).toString(16)} not allowed (allowed mask 0x${mask.toString(16)})`);
}

function needKeySize(spec: MapSpec, size: number): void {
  if (spec.keySize !== size) throw invalid(spec, `key size must be ${size}, got ${spec.keySize}`);
}

function needValue(spec: MapSpec): void {
  if (spec.valueSize <= 0) throw invalid(spec, `value size must be > 0, got ${spec.valueSize}`);
}

function needFdValue(spec: MapSpec): void {
  if (spec.valueSize !== 4) throw invalid(spec, `value size must be 4, got ${spec.valueSize}`);
}

function percpuValueLimit(spec: MapSpec): void {
  if (roundUp8(spec.valueSize) > PCPU_MIN_UNIT_SIZE) throw invalid(spec, `value size must be at most ${PCPU_MIN_UNIT_SIZE} for a per-CPU map, got ${spec.valueSize} (-E2BIG)`);
}

function roundUp8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** What every map type checks first (map_create, bpf_map_init_from_attr). */
export function commonRule(spec: MapSpec): void {
  const { maxEntries, flags } = spec;
  if (!Number.isInteger(maxEntries) || maxEntries <= 0 || maxEntries > 0xffffffff) throw invalid(spec, `max_entries must be > 0, got ${maxEntries}`);
  if ((flags & BPF_F_RDONLY_PROG) !== 0 && (flags & BPF_F_WRONLY_PROG) !== 0) throw invalid(spec, 'flags BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG exclude each other');
}

/** htab_map_alloc_check, for the hash family (`lru`, `percpu`, `ofMaps` as the type is). */
export function hashRule(kind: { lru?: boolean; percpu?: boolean; ofMaps?: boolean } = {}): SpecRule {
  return (spec) => {
    const { keySize, valueSize, maxEntries, flags } = spec;
    allowFlags(spec, HTAB_FLAGS);
    if (!kind.lru && (flags & BPF_F_NO_COMMON_LRU) !== 0) throw invalid(spec, 'BPF_F_NO_COMMON_LRU needs an LRU map');
    if (kind.lru && (flags & BPF_F_NO_PREALLOC) !== 0) throw invalid(spec, 'LRU maps must be preallocated (BPF_F_NO_PREALLOC gives -ENOTSUPP)');
    if (keySize <= 0) throw invalid(spec, `key size must be > 0, got ${keySize}`);
    needValue(spec);
    if (kind.ofMaps) needFdValue(spec);
    // The -E2BIG limits, checked with bpftool on 6.18.
    if (kind.percpu) percpuValueLimit(spec);
    if (keySize + valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) throw invalid(spec, `key size + value size must be below ${KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE}, got ${keySize + valueSize} (-E2BIG)`);
    if (maxEntries > 2 ** 31) throw invalid(spec, `max_entries must be <= 2^31, got ${maxEntries}`);
  };
}

/**
 * array_map_alloc_check (and fd_array_map_alloc_check for `fd` arrays, whose values are fds):
 * `plain` is BPF_MAP_TYPE_ARRAY, the one that may be mmapable or an inner map; `perf` the perf
 * event array, the one that may preserve its elements.
 */
export function arrayRule(kind: { plain?: boolean; percpu?: boolean; fd?: boolean; perf?: boolean } = {}): SpecRule {
  return (spec) => {
    allowFlags(spec, ARRAY_FLAGS);
    needKeySize(spec, 4);
    needValue(spec);
    // The -E2BIG limits, checked with bpftool on 6.18.
    if (spec.valueSize > 0x7fff_ffff) throw invalid(spec, `value size must be at most 2^31 - 1, got ${spec.valueSize} (-E2BIG)`);
    if (kind.percpu) percpuValueLimit(spec);
    if (!kind.plain && (spec.flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) !== 0) throw invalid(spec, 'BPF_F_MMAPABLE and BPF_F_INNER_MAP need an ARRAY map');
    if (!kind.perf && (spec.flags & BPF_F_PRESERVE_ELEMS) !== 0) throw invalid(spec, 'BPF_F_PRESERVE_ELEMS needs a PERF_EVENT_ARRAY map');
    if (kind.fd) {
      needFdValue(spec);
      if ((spec.flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== 0) throw invalid(spec, 'program access flags are not allowed');
    }
  };
}

/** dev_map_init_map: DEVMAP and DEVMAP_HASH, values an ifindex or struct bpf_devmap_val. */
export const devmapRule: SpecRule = (spec) => {
  allowFlags(spec, DEV_FLAGS);
  needKeySize(spec, 4);
  if (spec.valueSize !== 4 && spec.valueSize !== 8) throw invalid(spec, `value size must be 4 or 8, got ${spec.valueSize}`);
};

/** cpu_map_alloc: values a queue size or struct bpf_cpumap_val, at most NR_CPUS entries. */
export const cpumapRule: SpecRule = (spec) => {
  allowFlags(spec, BPF_F_NUMA_NODE);
  needKeySize(spec, 4);
  if (spec.valueSize !== 4 && spec.valueSize !== 8) throw invalid(spec, `value size must be 4 or 8, got ${spec.valueSize}`);
  if (spec.maxEntries > NR_CPUS) throw invalid(spec, `max_entries must be at most NR_CPUS (${NR_CPUS}), got ${spec.maxEntries} (-E2BIG)`);
};

/** xsk_map_alloc: u32 keys and socket fds. */
export const xskmapRule: SpecRule = (spec) => {
  allowFlags(spec, DEV_FLAGS);
  if (spec.keySize !== 4 || spec.valueSize !== 4) throw invalid(spec, `key and value size must be 4, got ${spec.keySize} and ${spec.valueSize}`);
};

/** queue_stack_map_alloc_check: no key. */
export const queueStackRule: SpecRule = (spec) => {
  allowFlags(spec, BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK);
  needKeySize(spec, 0);
  needValue(spec);
  if (spec.valueSize > KMALLOC_MAX_SIZE) throw invalid(spec, `value size must be at most ${KMALLOC_MAX_SIZE}, got ${spec.valueSize} (-E2BIG)`);
};

/** bloom_map_alloc_check and bloom_map_alloc: no key, map_extra the hash count. */
export const bloomRule: SpecRule = (spec) => {
  allowFlags(spec, BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK);
  needKeySize(spec, 0);
  needValue(spec);
  if (((spec.mapExtra ?? 0) & ~0xf) !== 0) throw invalid(spec, `map_extra must be a hash count 0..15, got ${spec.mapExtra}`);
};

/** ringbuf_map_alloc: no key or value, a power-of-two number of pages. */
export const ringbufRule: SpecRule = (spec) => {
  const { keySize, valueSize, maxEntries } = spec;
  allowFlags(spec, BPF_F_NUMA_NODE);
  if (keySize !== 0 || valueSize !== 0) throw invalid(spec, `key and value size must be 0, got ${keySize} and ${valueSize}`);
  if ((maxEntries & (maxEntries - 1)) !== 0 || maxEntries % PAGE_SIZE !== 0) throw invalid(spec, `max_entries must be a power of 2 and a multiple of ${PAGE_SIZE}, got ${maxEntries}`);
};

/** trie_alloc: not preallocated, a u32 prefix length then 1..256 data bytes. */
export const lpmTrieRule: SpecRule = (spec) => {
  if ((spec.flags & BPF_F_NO_PREALLOC) === 0) throw invalid(spec, 'BPF_F_NO_PREALLOC is required');
  allowFlags(spec, LPM_FLAGS);
  if (spec.keySize < 5 || spec.keySize > 260) throw invalid(spec, `key size must be 5..260 (u32 prefixlen + 1..256 data bytes), got ${spec.keySize}`);
  needValue(spec);
};
