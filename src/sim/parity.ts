/**
 * The parity diff: what differs between two runs of one case (the VM and the kernel), as a list
 * of differences each naming what it is about: the return value, the output packet layer by layer
 * (src/packet diffPackets), a ctx field, or a map entry field by field through BTF. Padding bytes
 * (bytes in no BTF leaf field) are never compared, and the case's `parity.ignore` paths
 * (`map.key|value.field[.field]`, the design's case contract) are skipped.
 */
import { equalBytes } from '../internal/bytes.js';
import { toHex } from '../internal/hex.js';
import type { MapSpec } from '../loader/spec.js';
import { diffPackets } from '../packet/diff.js';
import { BPF_MAP_TYPE } from '../uapi/bpf.js';

/** One map entry of a run: `value` is the run's CPU value, `values` every CPU's (per-CPU maps). */
export interface ParityMapEntry {
  key: Uint8Array;
  value?: Uint8Array;
  values?: Uint8Array[];
  /** A prog-array slot: the name of the program in it. */
  program?: string;
}

/** The parts of a run result the diff compares (a CaseResult fits). */
export interface ParityResult {
  retval: number;
  packet: Uint8Array;
  ctx?: Record<string, number | number[]>;
  maps: Record<string, ParityMapEntry[]>;
  /** Records read from ring buffers and perf event arrays; compared only when both runs report them. */
  events?: { map: string; cpu: number; data: Uint8Array }[];
}

/** A leaf field of a BTF type: `off` and `size` in bytes; bitfields have `bitOffset`/`bitSize`. */
export interface ParityLeafField {
  path: string;
  off: number;
  size: number;
  bitOffset?: number;
  bitSize?: number;
}

/** What the diff needs of BTF: the leaf fields of a type (src/btf Btf fits). */
export interface ParityBtf {
  leafFields(typeId: number): ParityLeafField[];
}

/** Options of {@link diffResults}. */
export interface DiffOptions {
  /** The object's BTF; without it (or a map's type ids) map values compare as whole byte strings. */
  btf?: ParityBtf;
  /** The object's maps, for their BTF type ids and whether they are array-like; default none. */
  mapSpecs?: MapSpec[];
  /**
   * Paths `map.key|value.field[.field]` not compared; a path also covers its sub-fields, and a
   * bare map name the whole map. Default none.
   */
  ignore?: string[];
  /** What the messages call the two runs; default `['vm', 'kernel']`. */
  names?: [string, string];
}

/** One difference between run `a` and run `b`. */
export interface ParityDifference {
  /** What differs. */
  kind: 'load' | 'refused' | 'retval' | 'packet' | 'ctx' | 'map' | 'event';
  /** The map's name, for `map`. */
  map?: string;
  /** The entry's key as printed (hex), for `map`. */
  key?: string;
  /** The CPU, for a per-CPU map value. */
  cpu?: number;
  /** `value.last_seen`, `key.addr`, `value` (no BTF), `mark` (ctx), `ipv4.dst` (packet). */
  field?: string;
  /** Each side's value as printed (`a` the first run, the VM's in parity); absent for a whole entry only one side has. */
  a?: string;
  b?: string;
  /** The difference as one line naming the runs: `map 'flows' key 0a000001: value.last_seen: vm 5, kernel 7`. */
  message: string;
}

const ARRAY_LIKE = new Set<number>([
  BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE.BPF_MAP_TYPE_CPUMAP,
]);

const DEFAULT_NAMES: [string, string] = ['vm', 'kernel'];

/** Whether `path` of `part` ('key' or 'value') of map `map` is covered by an ignore entry. */
export function isIgnored(ignore: readonly string[], map: string, part: 'key' | 'value', path: string): boolean {
  const prefix = `${map}.${part}`;
  for (const ig of ignore) {
    if (ig === prefix || ig === map) return true;
    if (!ig.startsWith(prefix + '.')) continue;
    const rest = ig.slice(prefix.length + 1);
    if (path === rest || path.startsWith(rest + '.') || path.startsWith(rest + '[')) return true;
  }
  return false;
}

/** A field's value for printing: little-endian unsigned decimal up to 8 bytes, hex beyond. */
function formatField(bytes: Uint8Array, f: ParityLeafField): string {
  if (f.bitSize !== undefined) {
    let v = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
    return String((v >> BigInt(f.bitOffset ?? 0)) & ((1n << BigInt(f.bitSize)) - 1n));
  }
  if (bytes.length <= 8 && [1, 2, 4, 8].includes(bytes.length)) {
    let v = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
    return String(v);
  }
  return toHex(bytes);
}

/** The leaf fields of `typeId`, or one field covering all `size` bytes when BTF cannot say. */
function fieldsOf(btf: ParityBtf | undefined, typeId: number | undefined, size: number): ParityLeafField[] {
  if (btf && typeId !== undefined && typeId !== 0) {
    try {
      return btf.leafFields(typeId);
    } catch {
      // Malformed or partial BTF: compare the bytes as one field rather than not at all.
    }
  }
  return [{ path: '', off: 0, size }];
}

function fieldBytes(buf: Uint8Array, f: ParityLeafField): Uint8Array {
  const out = new Uint8Array(f.size);
  out.set(buf.subarray(f.off, f.off + f.size));
  if (f.bitSize !== undefined) {
    // Keep only the bitfield's own bits: the rest of these bytes belong to its neighbours.
    let v = 0n;
    for (let i = out.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(out[i]);
    v &= ((1n << BigInt(f.bitSize)) - 1n) << BigInt(f.bitOffset ?? 0);
    for (let i = 0; i < out.length; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  }
  return out;
}

/** Differences between two values of one BTF type, field by field; `field` paths are prefixed with `part`. */
function diffFields(
  a: Uint8Array,
  b: Uint8Array,
  fields: ParityLeafField[],
  part: 'key' | 'value',
  ignored: (path: string) => boolean,
): { field: string; a: string; b: string }[] {
  const out: { field: string; a: string; b: string }[] = [];
  if (fields.length === 1 && fields[0].path === '' && a.length !== b.length) {
    return [{ field: part, a: toHex(a), b: toHex(b) }];
  }
  for (const f of fields) {
    if (ignored(f.path)) continue;
    const fa = fieldBytes(a, f);
    const fb = fieldBytes(b, f);
    if (!equalBytes(fa, fb)) out.push({ field: f.path ? `${part}.${f.path}` : part, a: formatField(fa, f), b: formatField(fb, f) });
  }
  return out;
}

/**
 * A key with ignored fields and padding zeroed, so that entries match on the bytes that count:
 * as a string of one char per byte, which sorts as the bytes do.
 */
function keyIdentity(key: Uint8Array, fields: ParityLeafField[], ignored: (path: string) => boolean): string {
  const norm = new Uint8Array(key.length);
  for (const f of fields) {
    if (ignored(f.path)) continue;
    const fb = fieldBytes(key, f);
    for (let i = 0; i < fb.length && f.off + i < norm.length; i++) norm[f.off + i] |= fb[i];
  }
  return String.fromCharCode(...norm);
}

function entryValues(e: ParityMapEntry): Uint8Array[] {
  if (e.values && e.values.length > 0) return e.values;
  return e.value !== undefined ? [e.value] : [];
}

function diffMap(name: string, ea: ParityMapEntry[], eb: ParityMapEntry[], opts: DiffOptions): ParityDifference[] {
  const spec = opts.mapSpecs?.find((m) => m.name === name);
  const ignore = opts.ignore ?? [];
  if (ignore.includes(name)) return [];
  const [nameA, nameB] = opts.names ?? DEFAULT_NAMES;
  const keyIgnored = (p: string) => isIgnored(ignore, name, 'key', p);
  const valueIgnored = (p: string) => isIgnored(ignore, name, 'value', p);
  const sample = ea[0] ?? eb[0];
  const keySize = spec?.keySize ?? (sample ? sample.key.length : 0);
  const valueSize = spec?.valueSize ?? (sample ? entryValues(sample)[0]?.length ?? 0 : 0);
  const keyFields = fieldsOf(opts.btf, spec?.keyTypeId, keySize);
  const valueFields = fieldsOf(opts.btf, spec?.valueTypeId, valueSize);
  const arrayLike = spec !== undefined && ARRAY_LIKE.has(spec.type);

  const index = (entries: ParityMapEntry[]) => {
    const m = new Map<string, { key: Uint8Array; values: Uint8Array[]; program?: string }>();
    for (const e of entries) {
      m.set(keyIdentity(e.key, keyFields, keyIgnored), { key: e.key, values: entryValues(e), program: e.program });
    }
    return m;
  };
  const ia = index(ea);
  const ib = index(eb);
  const out: ParityDifference[] = [];
  const ids = [...new Set([...ia.keys(), ...ib.keys()])].sort();
  for (const id of ids) {
    const xa = ia.get(id);
    const xb = ib.get(id);
    const keyHex = toHex((xa ?? xb)!.key);
    const where = `map '${name}' key ${keyHex}`;
    if (!arrayLike && (!xa || !xb)) {
      out.push({ kind: 'map', map: name, key: keyHex, message: `${where}: only in ${xa ? nameA : nameB}` });
      continue;
    }
    if (xa?.program !== undefined || xb?.program !== undefined) {
      const pa = xa?.program ?? 'none';
      const pb = xb?.program ?? 'none';
      if (pa !== pb) out.push({ kind: 'map', map: name, key: keyHex, field: 'program', a: pa, b: pb, message: `${where}: program: ${nameA} ${pa}, ${nameB} ${pb}` });
      continue;
    }
    // An array-like map lists only non-zero entries: a missing one is all zeros.
    const zeros = (n: number) => Array.from({ length: n }, () => new Uint8Array(valueSize));
    const va = xa?.values ?? zeros(xb!.values.length);
    const vb = xb?.values ?? zeros(xa!.values.length);
    const perCpu = va.length > 1 && vb.length > 1 && va.length === vb.length;
    const cpus = perCpu ? va.length : 1;
    for (let cpu = 0; cpu < cpus; cpu++) {
      const a = va[cpu] ?? new Uint8Array(valueSize);
      const b = vb[cpu] ?? new Uint8Array(valueSize);
      for (const d of diffFields(a, b, valueFields, 'value', valueIgnored)) {
        const cpuPart = perCpu ? `cpu ${cpu}: ` : '';
        out.push({
          kind: 'map', map: name, key: keyHex, field: d.field, a: d.a, b: d.b,
          ...(perCpu ? { cpu } : {}),
          message: `${where}: ${cpuPart}${d.field}: ${nameA} ${d.a}, ${nameB} ${d.b}`,
        });
      }
    }
  }
  return out;
}

function formatCtx(v: number | number[] | undefined): string {
  if (v === undefined) return 'absent';
  return Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
}

/**
 * Every difference between runs `a` and `b` of one case, in order: retval, packet, ctx, then
 * maps by name and entries by key. Empty when the runs agree. Maps only one run lists count as
 * empty on the other.
 */
export function diffResults(a: ParityResult, b: ParityResult, opts: DiffOptions = {}): ParityDifference[] {
  const out: ParityDifference[] = [];
  const [nameA, nameB] = opts.names ?? DEFAULT_NAMES;
  if (a.retval >>> 0 !== b.retval >>> 0) {
    out.push({ kind: 'retval', a: String(a.retval >>> 0), b: String(b.retval >>> 0), message: `retval: ${nameA} ${a.retval >>> 0}, ${nameB} ${b.retval >>> 0}` });
  }
  const pa = a.packet;
  const pb = b.packet;
  if (!equalBytes(pa, pb)) {
    const lines = diffPackets(pa, pb);
    for (const line of lines.length > 0 ? lines : ['bytes differ']) {
      const colon = line.indexOf(': ');
      out.push({ kind: 'packet', field: colon > 0 ? line.slice(0, colon) : line, message: `packet (${nameA} != ${nameB}): ${line}` });
    }
  }
  if (a.ctx || b.ctx) {
    const names = [...new Set([...Object.keys(a.ctx ?? {}), ...Object.keys(b.ctx ?? {})])];
    for (const n of names) {
      const fa = formatCtx(a.ctx?.[n]);
      const fb = formatCtx(b.ctx?.[n]);
      if (fa !== fb) out.push({ kind: 'ctx', field: n, a: fa, b: fb, message: `ctx.${n}: ${nameA} ${fa}, ${nameB} ${fb}` });
    }
  }
  const maps = [...new Set([...Object.keys(a.maps), ...Object.keys(b.maps)])].sort();
  for (const name of maps) out.push(...diffMap(name, a.maps[name] ?? [], b.maps[name] ?? [], opts));
  if (a.events && b.events) out.push(...diffEvents(a.events, b.events));
  return out;
}

/** Differences between two runs' records, per map in the order a reader gets them. */
function diffEvents(a: NonNullable<ParityResult['events']>, b: NonNullable<ParityResult['events']>): ParityDifference[] {
  const out: ParityDifference[] = [];
  const maps = [...new Set([...a, ...b].map((e) => e.map))].sort();
  for (const map of maps) {
    const ea = a.filter((e) => e.map === map);
    const eb = b.filter((e) => e.map === map);
    if (ea.length !== eb.length) out.push({ kind: 'event', map, a: String(ea.length), b: String(eb.length), message: `events of map '${map}': ${ea.length} records != ${eb.length}` });
    for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
      const [x, y] = [ea[i]!, eb[i]!];
      if (!equalBytes(x.data, y.data) || x.cpu !== y.cpu) {
        const [da, db] = [`cpu ${x.cpu} ${toHex(x.data)}`, `cpu ${y.cpu} ${toHex(y.data)}`];
        out.push({ kind: 'event', map, field: `record ${i}`, a: da, b: db, message: `events of map '${map}': record ${i}: ${da} != ${db}` });
      }
    }
  }
  return out;
}
