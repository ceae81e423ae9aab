import { CaseError, MapError } from '../internal/errors.js';
import type { MapSpec } from '../loader/spec.js';
import { BPF_ANY, BPF_EXIST, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_MAP_TYPE } from '../uapi/bpf.js';
import { ERRNO } from '../uapi/errno.js';

/** BPF_F_NUMA_NODE, BPF_F_ZERO_SEED, BPF_F_PRESERVE_ELEMS, BPF_F_INNER_MAP (bpf.h). */
export const BPF_F_NUMA_NODE = 1 << 2;
export const BPF_F_ZERO_SEED = 1 << 6;
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
export const BPF_F_INNER_MAP = 1 << 12;
/** BPF_F_ACCESS_MASK (include/linux/bpf.h). */
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

export const { EINVAL, EEXIST, ENOENT, E2BIG, ENOSPC, ENOMEM, EBADF } = ERRNO;

/** BPF_F_LOCK (bpf.h): update a value holding a bpf_spin_lock under that lock. */
export const BPF_F_LOCK = 4;

/**
 * True for update flags the kernel refuses with -EINVAL: anything but BPF_ANY, BPF_NOEXIST,
 * BPF_EXIST, with BPF_F_LOCK only where `lockable` (an array or hash map whose value has a
 * bpf_spin_lock: array_map_update_elem, htab_map_update_elem).
 */
export function badUpdateFlags(flags: number, lockable = false): boolean {
  const mode = lockable ? flags & ~BPF_F_LOCK : flags;
  return !(mode === BPF_ANY || mode === 1 || mode === BPF_EXIST);
}

/** The `-EEXIST`/`-ENOENT` of the kernel's check_flags (kernel/bpf/hashtab.c, BPF_F_LOCK aside), or 0. */
export function checkFlags(exists: boolean, flags: number): number {
  const mode = flags & ~BPF_F_LOCK;
  if (exists && mode === 1) return -EEXIST;
  if (!exists && mode === BPF_EXIST) return -ENOENT;
  return 0;
}

/** The name slabs and messages use for a map: `map 'flows'`. */
export function mapLabel(spec: MapSpec): string {
  return `map '${spec.name}'`;
}

/** PAGE_SIZE on x86-64, bytes. */
export const PAGE_SIZE = 4096;

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
