/**
 * A loaded object's maps as the kernel backend sees them: names mapped back to the ones the VM
 * uses, entries written from a case, and every entry read back after the run.
 * Per-CPU values are `round_up(value_size, 8)` bytes per possible CPU (kernel/bpf/syscall.c,
 * bpf_map_value_size).
 */
import { CaseError, KernelError } from '../internal/errors.js';
import { BPF_MAP_TYPE } from '../uapi/bpf.js';
import { checkEntryKind } from '../maps/check.js';
import { errnoLabel as errnoName } from '../uapi/errno.js';
import type { Libbpf, Ptr } from './libbpf.js';

const T = BPF_MAP_TYPE;

/** Maps whose every entry is listed after a run (iterated with BPF_MAP_GET_NEXT_KEY). */
const HASH_LIKE = new Set<number>([
  T.BPF_MAP_TYPE_HASH, T.BPF_MAP_TYPE_PERCPU_HASH, T.BPF_MAP_TYPE_LRU_HASH, T.BPF_MAP_TYPE_LRU_PERCPU_HASH,
  T.BPF_MAP_TYPE_LPM_TRIE, T.BPF_MAP_TYPE_DEVMAP_HASH,
]);
/** Maps whose non-zero entries are listed after a run (indices 0..max_entries-1). */
const ARRAY_LIKE = new Set<number>([T.BPF_MAP_TYPE_ARRAY, T.BPF_MAP_TYPE_PERCPU_ARRAY, T.BPF_MAP_TYPE_DEVMAP, T.BPF_MAP_TYPE_CPUMAP]);
const PER_CPU = new Set<number>([
  T.BPF_MAP_TYPE_PERCPU_HASH, T.BPF_MAP_TYPE_PERCPU_ARRAY, T.BPF_MAP_TYPE_LRU_PERCPU_HASH, T.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE,
]);

/** One map of a loaded object. */
export interface OpenMap {
  /** The name the VM uses: the variable name, or the section name (`.rodata`) for global data. */
  name: string;
  /** libbpf's name (`kernel_x.rodata` for global data: object name prefix, truncated). */
  libbpfName: string;
  fd: number;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** Per-CPU maps: the number of possible CPUs; 1 otherwise. */
  ncpus: number;
}

/**
 * The VM's name for a map libbpf calls `libbpfName`: global data maps (`<objname>.rodata`,
 * `<objname>.data.foo`) keep the part from the first dot, as the object name has none.
 */
export function mapSectionName(libbpfName: string, internal: boolean): string {
  const dot = libbpfName.indexOf('.');
  return internal && dot >= 0 ? libbpfName.slice(dot) : libbpfName;
}

/** Every map of a loaded object, in libbpf's order. */
export function openMaps(lib: Libbpf, obj: Ptr): OpenMap[] {
  const out: OpenMap[] = [];
  const ncpus = lib.libbpf_num_possible_cpus();
  for (let m = lib.bpf_object__next_map(obj, null); m; m = lib.bpf_object__next_map(obj, m)) {
    const libbpfName = lib.bpf_map__name(m);
    const type = lib.bpf_map__type(m);
    out.push({
      name: mapSectionName(libbpfName, lib.bpf_map__is_internal(m)),
      libbpfName,
      fd: lib.bpf_map__fd(m),
      type,
      keySize: lib.bpf_map__key_size(m),
      valueSize: lib.bpf_map__value_size(m),
      maxEntries: lib.bpf_map__max_entries(m),
      ncpus: PER_CPU.has(type) ? ncpus : 1,
    });
  }
  return out;
}

function stride(m: OpenMap): number {
  return m.ncpus > 1 || PER_CPU.has(m.type) ? (m.valueSize + 7) & ~7 : m.valueSize;
}

/**
 * Writes one case entry: the value on every CPU for per-CPU maps, a program's fd for a
 * prog-array slot. Throws CaseError for wrong sizes and KernelError `kernel/map-update` with the
 * errno name when the kernel refuses.
 */
export function updateMap(
  lib: Libbpf,
  m: OpenMap,
  e: { key: Uint8Array; value?: Uint8Array; program?: string },
  where: string,
  programFd: (name: string) => number,
): void {
  checkEntryKind(m.type, e, where);
  const key = Buffer.from(e.key);
  if (key.length !== m.keySize) throw new CaseError('case/bad-map-key', `${where}: key: expected ${m.keySize} bytes, got ${key.length}`);
  let value: Buffer;
  if (e.program !== undefined) {
    value = Buffer.alloc(4);
    value.writeUInt32LE(programFd(e.program));
  } else {
    if (e.value === undefined) throw new CaseError('case/bad-map-value', `${where}: expected a value or a program`);
    value = Buffer.from(e.value);
  }
  if (value.length !== m.valueSize) throw new CaseError('case/bad-map-value', `${where}: value: expected ${m.valueSize} bytes, got ${value.length}`);
  let raw = value;
  if (PER_CPU.has(m.type)) {
    const s = stride(m);
    raw = Buffer.alloc(s * m.ncpus);
    for (let c = 0; c < m.ncpus; c++) value.copy(raw, c * s);
  }
  const rc = lib.bpf_map_update_elem(m.fd, key, raw, 0);
  if (rc < 0) throw new KernelError('kernel/map-update', `${where}: BPF_MAP_UPDATE_ELEM failed (${errnoName(rc)})`);
}

function lookup(lib: Libbpf, m: OpenMap, key: Buffer): Uint8Array[] | undefined {
  const s = stride(m);
  const raw = Buffer.alloc(s * m.ncpus);
  if (lib.bpf_map_lookup_elem(m.fd, key, raw) < 0) return undefined;
  const values: Uint8Array[] = [];
  for (let c = 0; c < m.ncpus; c++) values.push(new Uint8Array(raw.subarray(c * s, c * s + m.valueSize)));
  return values;
}

/** One entry of a map read back: its key, one value per CPU (none for a prog-array slot), a prog-array slot's program. */
export interface DumpedEntry {
  key: Uint8Array;
  values: Uint8Array[];
  program?: string;
}

/**
 * Every entry of a hash-like map (sorted by key bytes, as iteration order is the kernel's own),
 * every non-zero entry of an array-like map, each with one value per CPU for per-CPU maps.
 * Prog-array slots name their program (`programById` maps the kernel's program id to a name).
 * Undefined for maps whose values are not data (ring buffers, maps of maps).
 */
export function dumpMap(lib: Libbpf, m: OpenMap, programById: (id: number) => string | undefined = () => undefined): DumpedEntry[] | undefined {
  const out: DumpedEntry[] = [];
  if (m.type === BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY) {
    // From user space a prog-array slot reads back as the program's id (map_fd_sys_lookup_elem).
    const key = Buffer.alloc(4);
    const id = Buffer.alloc(4);
    for (let i = 0; i < m.maxEntries; i++) {
      key.writeUInt32LE(i);
      if (lib.bpf_map_lookup_elem(m.fd, key, id) < 0) continue;
      out.push({ key: new Uint8Array(key), values: [], program: programById(id.readUInt32LE(0)) ?? `id ${id.readUInt32LE(0)}` });
    }
    return out;
  }
  if (HASH_LIKE.has(m.type)) {
    const keys: Buffer[] = [];
    let prev: Buffer | null = null;
    // A bound on the walk: a hash map being changed under us could otherwise cycle.
    for (let i = 0; i <= m.maxEntries; i++) {
      const next = Buffer.alloc(m.keySize);
      if (lib.bpf_map_get_next_key(m.fd, prev, next) < 0) break;
      keys.push(next);
      prev = next;
    }
    keys.sort(Buffer.compare);
    for (const k of keys) {
      const values = lookup(lib, m, k);
      if (values) out.push({ key: new Uint8Array(k), values });
    }
    return out;
  }
  if (ARRAY_LIKE.has(m.type)) {
    const key = Buffer.alloc(4);
    for (let i = 0; i < m.maxEntries; i++) {
      key.writeUInt32LE(i);
      const values = lookup(lib, m, key);
      if (values && values.some((v) => v.some((b) => b !== 0))) out.push({ key: new Uint8Array(key), values });
    }
    return out;
  }
  return undefined;
}
