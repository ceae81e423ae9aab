import { describe } from '../internal/args.js';
import { MapError } from '../internal/errors.js';
import { errnoLabel } from '../uapi/errno.js';
import type { MapSpec, ObjectSpec } from '../loader/spec.js';
import { dumpMap } from '../maps/dump.js';
import { BPF_ANY, BPF_MAP_TYPE } from '../uapi/index.js';
import type { VmMap } from '../vm/env.js';
import { decodeValue, encodeValue, type CValue } from './btf-values.js';

/** A key or value as a map handle takes it: raw bytes, or a plain value of the C type (see src/sim/btf-values.ts). */
export type MapInput = Uint8Array | CValue | ProgramRef;

/** A program handle (or anything naming a program the same way) as a prog array's value. */
export interface ProgramRef {
  readonly name: string;
  readonly spec: object;
}

/** Options of {@link BpfMap.set}. */
export interface SetOptions {
  /** BPF_ANY (0, default), BPF_NOEXIST (1), BPF_EXIST (2), with BPF_F_LOCK (4) as bpf(2) takes them. */
  flags?: number;
}

const PER_CPU = new Set<number>([BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE.BPF_MAP_TYPE_LRU_PERCPU_HASH]);
const ARRAY_LIKE = new Set<number>([BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_ARRAY]);

/**
 * A live map of a loaded object, as user space sees it through bpf(2): `get`, `set`, `delete`,
 * `entries`, `clear`. Keys and values are plain values shaped like the map's C types through
 * BTF (struct fields by name, `__be16`/`__be32` as host numbers, addresses as strings), or raw
 * bytes in the map's own layout. A per-CPU map's `get` gives one value per CPU, and `set` takes
 * one value for every CPU or an array of one per CPU. A prog array's values are programs (a
 * handle or a name to set, the name when read). What bpf(2) refuses throws a MapError
 * with the errno's name (`EEXIST`, `ENOENT`, `E2BIG`, `EPERM` for a frozen `.rodata`).
 * Made by {@link BpfObject.map}.
 */
export class BpfMap {
  /** The map's name. */
  readonly name: string;
  /** The map as the loader read it: type, key and value sizes, BTF type ids. */
  readonly spec: MapSpec;

  constructor(
    private readonly map: VmMap,
    private readonly object: ObjectSpec,
    private readonly cpus: number,
    /** Frozen (`.rodata` after load): user space may read but not write it, as after bpf_map_freeze. */
    readonly frozen: boolean,
  ) {
    this.spec = map.spec;
    this.name = map.spec.name;
  }

  private get perCpu(): boolean {
    return PER_CPU.has(this.spec.type);
  }

  /** The value of `key`, decoded (one per CPU for per-CPU maps), or undefined when there is none. */
  get(key: MapInput): CValue | CValue[] | undefined {
    const values = this.map.read(this.keyBytes(key));
    if (values === null) return undefined;
    const decoded = values.map((v) => this.decode(this.spec.valueTypeId, v));
    return this.perCpu ? decoded : decoded[0];
  }

  /** True when the map has an entry for `key`. */
  has(key: MapInput): boolean {
    return this.map.read(this.keyBytes(key)) !== null;
  }

  /** Creates or updates the entry of `key` (bpf(BPF_MAP_UPDATE_ELEM)); `flags` as bpf(2) takes them. */
  set(key: MapInput, value: MapInput | MapInput[], options: SetOptions = {}): void {
    const flags = options.flags ?? BPF_ANY;
    if (!Number.isInteger(flags) || flags < 0) throw new MapError('map/bad-flags', `map '${this.name}': flags: expected a non-negative integer, got ${describe(flags)}`);
    this.checkWritable('update');
    const keyBytes = this.keyBytes(key);
    const values = this.perCpu && Array.isArray(value) && value.length === this.cpus && !this.valueIsArray()
      ? value.map((v, cpu) => this.valueBytes(v, `value[${cpu}]`))
      : [this.valueBytes(value, 'value')];
    this.check(this.map.write(keyBytes, values, flags), 'update');
  }

  /** Deletes the entry of `key` (bpf(BPF_MAP_DELETE_ELEM)); ENOENT when there is none, EINVAL for arrays. */
  delete(key: MapInput): void {
    this.checkWritable('delete');
    this.check(this.map.delete(this.keyBytes(key)), 'delete');
  }

  /**
   * Every entry, decoded, in the kernel's iteration order: all entries of hash-like maps, the
   * non-zero ones of arrays, the filled slots of prog arrays and devmaps.
   */
  entries(): [CValue, CValue | CValue[]][] {
    return dumpMap(this.map).map(({ key, values }) => {
      const decoded = values.map((v) => this.decode(this.spec.valueTypeId, v));
      return [this.decode(this.spec.keyTypeId, key), this.perCpu ? decoded : decoded[0]!];
    });
  }

  /** The keys {@link entries} lists. */
  keys(): CValue[] {
    return dumpMap(this.map).map(({ key }) => this.decode(this.spec.keyTypeId, key));
  }

  /** Empties the map: deletes every entry, or zeroes every value of an array. */
  clear(): void {
    this.checkWritable('clear');
    const zero = new Uint8Array(this.spec.valueSize);
    for (const { key } of dumpMap(this.map)) {
      const rc = ARRAY_LIKE.has(this.spec.type) ? this.map.write(key, [zero], BPF_ANY) : this.map.delete(key);
      this.check(rc, 'clear');
    }
  }

  private valueIsArray(): boolean {
    const btf = this.object.btf;
    if (!btf || !this.spec.valueTypeId) return false;
    return btf.resolved(this.spec.valueTypeId).kind === 'array';
  }

  private checkWritable(op: string): void {
    if (this.frozen) throw new MapError('map/eperm', `${op} map '${this.name}': EPERM (the map is frozen: read-only data cannot change after load)`, 'EPERM');
  }

  private check(rc: number, op: string): void {
    if (rc >= 0) return;
    const name = errnoLabel(rc);
    throw new MapError(`map/${name.toLowerCase()}`, `${op} map '${this.name}': ${name}`, name);
  }

  private decode(typeId: number | undefined, bytes: Uint8Array): CValue {
    if (typeId === this.spec.valueTypeId && this.spec.type === BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY && bytes.length === 4) {
      const index = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
      return this.object.programs[index]?.name ?? index;
    }
    const btf = this.object.btf;
    if (!btf || !typeId) return bytes;
    return decodeValue(btf, typeId, bytes);
  }

  private keyBytes(key: unknown): Uint8Array {
    return this.toBytes(key, this.spec.keyTypeId, this.spec.keySize, 'key');
  }

  private valueBytes(value: unknown, what: string): Uint8Array {
    if (this.spec.type === BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY) return this.programSlot(value, what);
    return this.toBytes(value, this.spec.valueTypeId, this.spec.valueSize, what);
  }

  /** A prog array's value: a program handle or a program's name, as its index in the object. */
  private programSlot(value: unknown, what: string): Uint8Array {
    const name = typeof value === 'string' ? value : typeof value === 'object' && value !== null && 'spec' in value ? (value as ProgramRef).name : undefined;
    const index = name === undefined ? -1 : this.object.programs.findIndex((p) => p.name === name);
    if (index < 0) {
      throw new MapError('map/bad-value', `map '${this.name}': ${what}: expected a program of the object or its name, got ${describe(value)}`);
    }
    return new Uint8Array(new Uint32Array([index]).buffer);
  }

  private toBytes(v: unknown, typeId: number | undefined, size: number, what: string): Uint8Array {
    const where = `map '${this.name}': ${what}`;
    if (v === null || v === undefined) throw new MapError('map/bad-value', `${where}: expected a value, got ${describe(v)}`);
    if (v instanceof Uint8Array) {
      if (v.length !== size) throw new MapError('map/bad-size', `${where}: expected ${size} bytes, got ${v.length}`);
      return v;
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) throw new MapError('map/bad-value', `${where}: expected a Uint8Array or a value, got ${describe(v)}`);
    const btf = this.object.btf;
    if (btf && typeId) return encodeValue(btf, typeId, size, v, where);
    if ((typeof v === 'number' || typeof v === 'bigint') && [1, 2, 4, 8].includes(size)) {
      const n = BigInt(v);
      if (n < -(1n << BigInt(size * 8 - 1)) || n >= 1n << BigInt(size * 8)) throw new MapError('map/bad-value', `${where}: ${n} does not fit in ${size} bytes`);
      const out = new Uint8Array(size);
      let x = BigInt.asUintN(size * 8, n);
      for (let i = 0; i < size; i++, x >>= 8n) out[i] = Number(x & 0xffn);
      return out;
    }
    throw new MapError('map/bad-value', `${where}: the map has no BTF type for it: expected ${size} bytes, got ${describe(v)}`);
  }
}
