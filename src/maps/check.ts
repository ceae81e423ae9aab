import { CaseError, MapError } from '../internal/errors.js';
import type { MapSpec } from '../loader/spec.js';
import {
  BPF_ANY,
  BPF_EXIST,
  BPF_F_MMAPABLE,
  BPF_F_NO_COMMON_LRU,
  BPF_F_NO_PREALLOC,
  BPF_F_RDONLY,
  BPF_F_RDONLY_PROG,
  BPF_F_WRONLY,
  BPF_F_WRONLY_PROG,
  BPF_MAP_TYPE,
  mapTypeName,
} from '../uapi/bpf.js';
import { ERRNO } from '../uapi/errno.js';

/** BPF_F_NUMA_NODE, BPF_F_ZERO_SEED, BPF_F_PRESERVE_ELEMS, BPF_F_INNER_MAP (bpf.h). */
export const BPF_F_NUMA_NODE = 1 << 2;
export const BPF_F_ZERO_SEED = 1 << 6;
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
export const BPF_F_INNER_MAP = 1 << 12;
/** BPF_F_ACCESS_MASK (include/linux/bpf.h). */
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

export const { EINVAL, EEXIST, ENOENT, E2BIG, ENOSPC, ENOMEM, EBADF } = ERRNO;

/** True for update flags the kernel refuses with -EINVAL (anything but BPF_ANY, BPF_NOEXIST, BPF_EXIST; BPF_F_LOCK needs a spin lock no bpfsim map value has). */
export function badUpdateFlags(flags: number): boolean {
  return !(flags === BPF_ANY || flags === 1 || flags === BPF_EXIST);
}

/** The `-EEXIST`/`-ENOENT` of the kernel's check_flags (kernel/bpf/hashtab.c), or 0. */
export function checkFlags(exists: boolean, flags: number): number {
  if (exists && flags === 1) return -EEXIST;
  if (!exists && flags === BPF_EXIST) return -ENOENT;
  return 0;
}

/** The name slabs and messages use for a map: `map 'flows'`. */
export function mapLabel(spec: MapSpec): string {
  return `map '${spec.name}'`;
}

function invalid(spec: MapSpec, why: string): MapError {
  return new MapError('map/invalid-spec', `${mapLabel(spec)}: ${mapTypeName(spec.type)}: ${why}`);
}

/** KMALLOC_MAX_SIZE on x86-64 (include/linux/slab.h: 1 << (MAX_PAGE_ORDER + PAGE_SHIFT)), bytes. */
const KMALLOC_MAX_SIZE = 1 << 22;
/** sizeof(struct htab_elem) on x86-64 (kernel/bpf/hashtab.c), bytes. */
const HTAB_ELEM_SIZE = 48;
/** PCPU_MIN_UNIT_SIZE (include/linux/percpu.h): the largest per-CPU map value, bytes. */
const PCPU_MIN_UNIT_SIZE = 32 << 10;

/** PAGE_SIZE on x86-64, bytes. */
export const PAGE_SIZE = 4096;

const T = BPF_MAP_TYPE;
const HTAB_FLAGS = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
const ARRAY_FLAGS = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
/** CONFIG_NR_CPUS of Debian's kernels: a CPUMAP holds at most this many CPUs. */
const NR_CPUS = 8192;
const DEV_FLAGS = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;
const LPM_FLAGS = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;

/**
 * Checks a map spec as the kernel's map_alloc_check/map_alloc do for its type
 * (kernel/bpf/hashtab.c htab_map_alloc_check, arraymap.c array_map_alloc_check and
 * fd_array_map_alloc_check, devmap.c dev_map_init_map, lpm_trie.c trie_alloc): a spec the
 * kernel would refuse throws MapError `map/invalid-spec`.
 */
export function checkMapSpec(spec: MapSpec): void {
  const { type, keySize, valueSize, maxEntries, flags } = spec;
  if (!Number.isInteger(maxEntries) || maxEntries <= 0 || maxEntries > 0xffffffff) throw invalid(spec, `max_entries must be > 0, got ${maxEntries}`);
  if ((flags & BPF_F_RDONLY_PROG) !== 0 && (flags & BPF_F_WRONLY_PROG) !== 0) throw invalid(spec, 'flags BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG exclude each other');
  const allowed = (mask: number) => {
    if ((flags & ~mask) !== 0) throw invalid(spec, `flags 0x${(flags >>> 0).toString(16)} not allowed (allowed mask 0x${mask.toString(16)})`);
  };
  switch (type) {
    case T.BPF_MAP_TYPE_HASH:
    case T.BPF_MAP_TYPE_PERCPU_HASH:
    case T.BPF_MAP_TYPE_LRU_HASH:
    case T.BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case T.BPF_MAP_TYPE_HASH_OF_MAPS: {
      allowed(HTAB_FLAGS);
      const lru = type === T.BPF_MAP_TYPE_LRU_HASH || type === T.BPF_MAP_TYPE_LRU_PERCPU_HASH;
      if (!lru && (flags & BPF_F_NO_COMMON_LRU) !== 0) throw invalid(spec, 'BPF_F_NO_COMMON_LRU needs an LRU map');
      if (lru && (flags & BPF_F_NO_PREALLOC) !== 0) throw invalid(spec, 'LRU maps must be preallocated (BPF_F_NO_PREALLOC gives -ENOTSUPP)');
      if (keySize <= 0) throw invalid(spec, `key size must be > 0, got ${keySize}`);
      if (valueSize <= 0) throw invalid(spec, `value size must be > 0, got ${valueSize}`);
      if (type === T.BPF_MAP_TYPE_HASH_OF_MAPS && valueSize !== 4) throw invalid(spec, `value size must be 4, got ${valueSize}`);
      // htab_map_alloc_check's -E2BIG limits (checked with bpftool on 6.18).
      const percpu = type === T.BPF_MAP_TYPE_PERCPU_HASH || type === T.BPF_MAP_TYPE_LRU_PERCPU_HASH;
      if (percpu && roundUp8(valueSize) > PCPU_MIN_UNIT_SIZE) throw invalid(spec, `value size must be at most ${PCPU_MIN_UNIT_SIZE} for a per-CPU map, got ${valueSize} (-E2BIG)`);
      if (keySize + valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) throw invalid(spec, `key size + value size must be below ${KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE}, got ${keySize + valueSize} (-E2BIG)`);
      if (maxEntries > 2 ** 31) throw invalid(spec, `max_entries must be <= 2^31, got ${maxEntries}`);
      return;
    }
    case T.BPF_MAP_TYPE_ARRAY:
    case T.BPF_MAP_TYPE_PERCPU_ARRAY:
    case T.BPF_MAP_TYPE_PROG_ARRAY:
    case T.BPF_MAP_TYPE_PERF_EVENT_ARRAY:
    case T.BPF_MAP_TYPE_ARRAY_OF_MAPS: {
      allowed(ARRAY_FLAGS);
      if (keySize !== 4) throw invalid(spec, `key size must be 4, got ${keySize}`);
      if (valueSize <= 0) throw invalid(spec, `value size must be > 0, got ${valueSize}`);
      // array_map_alloc_check's -E2BIG limits (checked with bpftool on 6.18).
      if (valueSize > 0x7fff_ffff) throw invalid(spec, `value size must be at most 2^31 - 1, got ${valueSize} (-E2BIG)`);
      if (type === T.BPF_MAP_TYPE_PERCPU_ARRAY && roundUp8(valueSize) > PCPU_MIN_UNIT_SIZE) throw invalid(spec, `value size must be at most ${PCPU_MIN_UNIT_SIZE} for a per-CPU map, got ${valueSize} (-E2BIG)`);
      if (type !== T.BPF_MAP_TYPE_ARRAY && (flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) !== 0) throw invalid(spec, 'BPF_F_MMAPABLE and BPF_F_INNER_MAP need an ARRAY map');
      if (type !== T.BPF_MAP_TYPE_PERF_EVENT_ARRAY && (flags & BPF_F_PRESERVE_ELEMS) !== 0) throw invalid(spec, 'BPF_F_PRESERVE_ELEMS needs a PERF_EVENT_ARRAY map');
      const fd = type === T.BPF_MAP_TYPE_PROG_ARRAY || type === T.BPF_MAP_TYPE_PERF_EVENT_ARRAY || type === T.BPF_MAP_TYPE_ARRAY_OF_MAPS;
      if (fd && valueSize !== 4) throw invalid(spec, `value size must be 4, got ${valueSize}`);
      if (fd && (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== 0) throw invalid(spec, 'program access flags are not allowed');
      return;
    }
    case T.BPF_MAP_TYPE_DEVMAP:
    case T.BPF_MAP_TYPE_DEVMAP_HASH:
      allowed(DEV_FLAGS);
      if (keySize !== 4) throw invalid(spec, `key size must be 4, got ${keySize}`);
      if (valueSize !== 4 && valueSize !== 8) throw invalid(spec, `value size must be 4 or 8, got ${valueSize}`);
      return;
    case T.BPF_MAP_TYPE_CPUMAP:
      allowed(BPF_F_NUMA_NODE);
      if (keySize !== 4) throw invalid(spec, `key size must be 4, got ${keySize}`);
      if (valueSize !== 4 && valueSize !== 8) throw invalid(spec, `value size must be 4 or 8, got ${valueSize}`);
      if (maxEntries > NR_CPUS) throw invalid(spec, `max_entries must be at most NR_CPUS (${NR_CPUS}), got ${maxEntries} (-E2BIG)`);
      return;
    case T.BPF_MAP_TYPE_XSKMAP:
      allowed(DEV_FLAGS);
      if (keySize !== 4 || valueSize !== 4) throw invalid(spec, `key and value size must be 4, got ${keySize} and ${valueSize}`);
      return;
    case T.BPF_MAP_TYPE_QUEUE:
    case T.BPF_MAP_TYPE_STACK:
      // queue_stack_map_alloc_check (kernel/bpf/queue_stack_maps.c).
      allowed(BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK);
      if (keySize !== 0) throw invalid(spec, `key size must be 0, got ${keySize}`);
      if (valueSize <= 0) throw invalid(spec, `value size must be > 0, got ${valueSize}`);
      if (valueSize > KMALLOC_MAX_SIZE) throw invalid(spec, `value size must be at most ${KMALLOC_MAX_SIZE}, got ${valueSize} (-E2BIG)`);
      return;
    case T.BPF_MAP_TYPE_BLOOM_FILTER:
      // bloom_map_alloc_check and bloom_map_alloc (kernel/bpf/bloom_filter.c).
      allowed(BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK);
      if (keySize !== 0) throw invalid(spec, `key size must be 0, got ${keySize}`);
      if (valueSize <= 0) throw invalid(spec, `value size must be > 0, got ${valueSize}`);
      if (((spec.mapExtra ?? 0) & ~0xf) !== 0) throw invalid(spec, `map_extra must be a hash count 0..15, got ${spec.mapExtra}`);
      return;
    case T.BPF_MAP_TYPE_RINGBUF:
      // ringbuf_map_alloc (kernel/bpf/ringbuf.c).
      allowed(BPF_F_NUMA_NODE);
      if (keySize !== 0 || valueSize !== 0) throw invalid(spec, `key and value size must be 0, got ${keySize} and ${valueSize}`);
      if ((maxEntries & (maxEntries - 1)) !== 0 || maxEntries % PAGE_SIZE !== 0) throw invalid(spec, `max_entries must be a power of 2 and a multiple of ${PAGE_SIZE}, got ${maxEntries}`);
      return;
    case T.BPF_MAP_TYPE_LPM_TRIE:
      if ((flags & BPF_F_NO_PREALLOC) === 0) throw invalid(spec, 'BPF_F_NO_PREALLOC is required');
      allowed(LPM_FLAGS);
      if (keySize < 5 || keySize > 260) throw invalid(spec, `key size must be 5..260 (u32 prefixlen + 1..256 data bytes), got ${keySize}`);
      if (valueSize < 1) throw invalid(spec, `value size must be > 0, got ${valueSize}`);
      return;
    default:
      throw new MapError('map/unsupported-type', `${mapLabel(spec)}: map type ${mapTypeName(type)} is not supported`);
  }
}

function roundUp8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** Throws `map/bad-key-size` unless `key` has the map's key size. */
export function checkKey(spec: MapSpec, key: Uint8Array): void {
  if (key.length !== spec.keySize) throw new MapError('map/bad-key-size', `${mapLabel(spec)}: key: expected ${spec.keySize} bytes, got ${key.length}`);
}

/**
 * Normalises a user-space value argument to `perSlot` values of valueSize bytes: one value for
 * every CPU, one per CPU, or (per-CPU maps) the kernel's own form, one buffer of
 * round_up(value_size, 8) * ncpus bytes. Throws `map/bad-value-size` otherwise.
 */
export function userValues(spec: MapSpec, values: readonly Uint8Array[], perSlot: number): Uint8Array[] {
  const size = spec.valueSize;
  const bad = (got: string) => new MapError('map/bad-value-size', `${mapLabel(spec)}: value: expected ${size} bytes${perSlot > 1 ? ` (one value, ${perSlot} values, or ${perSlot} x ${(size + 7) & ~7} bytes)` : ''}, got ${got}`);
  if (values.length === 1) {
    const v = values[0]!;
    if (v.length === size) return new Array<Uint8Array>(perSlot).fill(v);
    const rounded = (size + 7) & ~7;
    if (perSlot > 1 && v.length === rounded * perSlot) {
      const out: Uint8Array[] = [];
      for (let c = 0; c < perSlot; c++) out.push(v.subarray(c * rounded, c * rounded + size));
      return out;
    }
    throw bad(`${v.length}`);
  }
  if (values.length !== perSlot) throw bad(`${values.length} values`);
  for (const v of values) if (v.length !== size) throw bad(`${v.length}`);
  return [...values];
}

/**
 * The one value of a user-space write to a map without per-CPU values, after checking the sizes
 * of key and value as {@link checkKey} and {@link userValues} do.
 */
export function userValue(spec: MapSpec, key: Uint8Array, values: readonly Uint8Array[]): Uint8Array {
  checkKey(spec, key);
  return userValues(spec, values, 1)[0]!;
}

/**
 * The key after `key` in an array-like map (array_map_get_next_key, kernel/bpf/arraymap.c): a
 * null key or one >= max_entries gives index 0, the last index ends the walk (null), otherwise
 * index + 1. Throws `map/bad-key-size` for a key of the wrong size.
 */
export function arrayNextKey(spec: MapSpec, key: Uint8Array | null): Uint8Array | null {
  if (key) checkKey(spec, key);
  const index = key ? u32At(key) : 0xffffffff;
  if (index >= spec.maxEntries) return u32Bytes(0);
  if (index === spec.maxEntries - 1) return null;
  return u32Bytes(index + 1);
}

/** The little-endian u32 at the start of `key` (array index, devmap key). */
export function u32At(key: Uint8Array, off = 0): number {
  return (key[off]! | (key[off + 1]! << 8) | (key[off + 2]! << 16) | (key[off + 3]! << 24)) >>> 0;
}

/** A 4-byte little-endian key or value of `n`. */
export function u32Bytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

/**
 * A prog-array slot names a program, every other map takes a value (design.md, "Case files"):
 * throws CaseError `case/bad-map-entry` for `program` in another map or `value` in a prog array,
 * where the kernel would store an fd as data or refuse a value that is no program fd (EBADF).
 */
export function checkEntryKind(mapType: number, entry: { value?: unknown; program?: unknown }, where: string): void {
  const progArray = mapType === BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY;
  if (progArray && entry.program === undefined) throw new CaseError('case/bad-map-entry', `${where}: a prog-array slot takes "program" (a program's name), not "value"`);
  if (!progArray && entry.program !== undefined) throw new CaseError('case/bad-map-entry', `${where}: "program" is for prog arrays only; this map takes "value"`);
}
