import type { Btf } from '../btf/btf.js';
import { LoadError } from '../internal/errors.js';
import { BPF_MAP_TYPE } from '../uapi/bpf.js';
import type { MapSpec } from './spec.js';

/** A BTF map definition: its MapSpec and, for `__array(values, ...)`, where the values start. */
export interface BtfMapDef {
  spec: MapSpec;
  /** Byte offset of the `values` member in the definition struct, when it has one. */
  valuesOff?: number;
  /** What `values` holds: programs (PROG_ARRAY) or maps (ARRAY_OF_MAPS, HASH_OF_MAPS). */
  valuesKind?: 'program' | 'map';
  /** A `pinning` value other than LIBBPF_PIN_NONE/LIBBPF_PIN_BY_NAME, read as no pinning. */
  unknownPinning?: number;
}

/** LIBBPF_PIN_BY_NAME (bpf_helpers.h): pin under the map's name in the pin root (/sys/fs/bpf). */
export const LIBBPF_PIN_BY_NAME = 1;

const bad = (name: string, msg: string) => new LoadError('load/bad-map-def', `map '${name}': ${msg}`);

/**
 * Parses one BTF-defined map (`struct { __uint(type, ...); __type(key, ...); ... } name SEC(".maps")`)
 * as libbpf's `parse_btf_map_def()` does (tools/lib/bpf/libbpf.c): `__uint(f, N)` is a pointer to
 * an array of N elements, `__type(f, T)` a pointer to T, `__array(values, S)` an array of pointers
 * to S (an inner map definition, or a function prototype for prog arrays).
 */
export function parseBtfMapDef(btf: Btf, name: string, typeId: number, inner = false): BtfMapDef {
  const def = btf.resolved(typeId);
  if (def.kind !== 'struct') throw bad(name, `expected a struct definition, got ${def.kind}`);
  const spec: MapSpec = { name, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, pinning: 0, source: 'btf' };
  let keySize: number | undefined, valueSize: number | undefined;
  let innerDef: number | undefined;
  let valuesKind: 'program' | 'map' | undefined;
  let valuesOff: number | undefined;
  let unknownPinning: number | undefined;
  for (const m of def.members) {
    const field = m.name;
    const mt = btf.resolved(m.type);
    const uint = () => {
      if (mt.kind !== 'ptr') throw bad(name, `field '${field}': expected a pointer (__uint), got ${mt.kind}`);
      const arr = btf.resolved(mt.type);
      if (arr.kind !== 'array') throw bad(name, `field '${field}': expected a pointer to an array (__uint), got a pointer to ${arr.kind}`);
      return arr.nelems;
    };
    const pointee = () => {
      if (mt.kind !== 'ptr') throw bad(name, `field '${field}': expected a pointer (__type), got ${mt.kind}`);
      return mt.type;
    };
    switch (field) {
      case 'type':
        spec.type = uint();
        break;
      case 'max_entries':
        spec.maxEntries = uint();
        break;
      case 'map_flags':
        spec.flags = uint();
        break;
      case 'numa_node':
        spec.numaNode = uint();
        break;
      case 'pinning':
        spec.pinning = uint();
        if (spec.pinning > LIBBPF_PIN_BY_NAME) {
          // cilium/ebpf and iproute2 have other values (PIN_GLOBAL_NS = 2); libbpf pins none of them.
          unknownPinning = spec.pinning;
          spec.pinning = 0;
        }
        break;
      case 'map_extra':
        spec.mapExtra = uint();
        break;
      case 'key_size':
        keySize = checkSize(name, field, keySize, uint());
        break;
      case 'value_size':
        valueSize = checkSize(name, field, valueSize, uint());
        break;
      case 'key': {
        const t = pointee();
        keySize = checkSize(name, field, keySize, btf.sizeof(t));
        spec.keyTypeId = t;
        break;
      }
      case 'value': {
        const t = pointee();
        valueSize = checkSize(name, field, valueSize, btf.sizeof(t));
        spec.valueTypeId = t;
        const lockOff = spinLockOffset(btf, t);
        if (lockOff !== undefined) spec.spinLockOff = lockOff;
        break;
      }
      case 'values': {
        if (inner) throw bad(name, 'multi-level inner maps are not supported');
        if (mt.kind !== 'array') throw bad(name, `field 'values': expected an array (__array), got ${mt.kind}`);
        const ptr = btf.resolved(mt.type);
        if (ptr.kind !== 'ptr') throw bad(name, `field 'values': expected an array of pointers, got an array of ${ptr.kind}`);
        const target = btf.resolved(ptr.type);
        valuesOff = m.bitOffset / 8;
        if (target.kind === 'func_proto') {
          valuesKind = 'program';
        } else if (target.kind === 'struct') {
          valuesKind = 'map';
          innerDef = ptr.type;
        } else {
          throw bad(name, `field 'values': expected pointers to a map definition or a function prototype, got ${target.kind}`);
        }
        break;
      }
      default:
        throw bad(name, `unknown field '${field}'`);
    }
  }
  const T = BPF_MAP_TYPE;
  if (valuesKind === 'program' && spec.type !== T.BPF_MAP_TYPE_PROG_ARRAY) throw bad(name, 'program values need a BPF_MAP_TYPE_PROG_ARRAY');
  if (valuesKind === 'map') {
    if (spec.type !== T.BPF_MAP_TYPE_ARRAY_OF_MAPS && spec.type !== T.BPF_MAP_TYPE_HASH_OF_MAPS) throw bad(name, 'map values need an array or hash of maps');
    spec.innerMap = parseBtfMapDef(btf, `${name}.inner`, innerDef!, true).spec;
    valueSize ??= 4;
  }
  if (spec.type === T.BPF_MAP_TYPE_PROG_ARRAY) {
    keySize ??= 4;
    valueSize ??= 4;
  }
  spec.keySize = keySize ?? 0;
  spec.valueSize = valueSize ?? 0;
  const out: BtfMapDef = { spec };
  if (unknownPinning !== undefined) out.unknownPinning = unknownPinning;
  if (valuesOff !== undefined) {
    out.valuesOff = valuesOff;
    out.valuesKind = valuesKind;
  }
  return out;
}

function checkSize(name: string, field: string, prev: number | undefined, size: number): number {
  if (prev !== undefined && prev !== size) throw bad(name, `conflicting ${field.replace('_size', '')} sizes ${prev} and ${size}`);
  return size;
}

/** The byte offset of a `struct bpf_spin_lock` member of value type `t` (btf_find_field at the struct's top level), or undefined. */
function spinLockOffset(btf: Btf, t: number): number | undefined {
  const v = btf.resolved(t);
  if (v.kind !== 'struct') return undefined;
  for (const m of v.members) {
    const mt = btf.resolved(m.type);
    if (mt.kind === 'struct' && mt.name === 'bpf_spin_lock') return m.bitOffset / 8;
  }
  return undefined;
}
