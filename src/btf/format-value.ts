import { BtfError } from '../internal/errors.js';
import type { Btf } from './btf.js';

const MAX_DEPTH = 64;
/** Values rendered per call: malformed BTF (a struct holding itself twice) must not hang us. */
const MAX_VISITS = 200_000;

/**
 * Renders `bytes` as a value of BTF type `typeId`, JSON-like and on one line, the way
 * `bpftool map dump` pretty-prints with BTF: `{"ip": 167772162, "port": 8080, "mac": "020000000002"}`.
 * Integers print in decimal (64-bit ones exactly), char arrays and bitfield-free byte runs in hex,
 * pointers as `0x...`, enums by enumerator name when one matches. Bytes past the end read as missing.
 */
export function formatValue(btf: Btf, typeId: number, bytes: Uint8Array): string {
  const budget = { left: MAX_VISITS };
  const fmt = (id: number, off: number, depth: number): string => {
    if (--budget.left < 0) throw new BtfError('btf/too-large', `btf: type [${typeId}]: more than ${MAX_VISITS} values`, typeId);
    return fmtOne(btf, id, bytes, off, depth, fmt);
  };
  return fmt(typeId, 0, 0);
}

function readUint(bytes: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i] ?? 0);
  return v;
}

function hex(bytes: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += (bytes[off + i] ?? 0).toString(16).padStart(2, '0');
  return s;
}

type Fmt = (typeId: number, off: number, depth: number) => string;

function fmtOne(btf: Btf, typeId: number, bytes: Uint8Array, off: number, depth: number, fmt: Fmt): string {
  if (depth > MAX_DEPTH) throw new BtfError('btf/loop', `btf: type [${typeId}]: nesting deeper than ${MAX_DEPTH}`, typeId);
  const t = btf.resolved(typeId);
  switch (t.kind) {
    case 'int': {
      if (t.bool) return readUint(bytes, off, t.size) !== 0n ? 'true' : 'false';
      let v = readUint(bytes, off, t.size);
      if (t.bits < t.size * 8) v = (v >> BigInt(t.bitOffset)) & ((1n << BigInt(t.bits)) - 1n);
      if (t.signed) v = BigInt.asIntN(t.bits, v);
      return v.toString();
    }
    case 'enum':
    case 'enum64': {
      let v = readUint(bytes, off, t.size);
      if (t.signed) v = BigInt.asIntN(t.size * 8, v);
      const e = (t.values as { name: string; value: number | bigint }[]).find((x) => BigInt(x.value) === v);
      return e ? JSON.stringify(e.name) : v.toString();
    }
    case 'float': {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (t.size === 4 && off + 4 <= bytes.length) return String(view.getFloat32(off, true));
      if (t.size === 8 && off + 8 <= bytes.length) return String(view.getFloat64(off, true));
      return JSON.stringify(hex(bytes, off, t.size));
    }
    case 'ptr':
      return JSON.stringify(`0x${readUint(bytes, off, 8).toString(16)}`);
    case 'array': {
      const elem = btf.resolved(t.type);
      const size = btf.sizeof(t.type);
      if (elem.kind === 'int' && size === 1) return JSON.stringify(hex(bytes, off, t.nelems));
      const items: string[] = [];
      for (let i = 0; i < t.nelems; i++) items.push(fmt(t.type, off + i * size, depth + 1));
      return `[${items.join(', ')}]`;
    }
    case 'struct':
    case 'union': {
      const parts: string[] = [];
      for (const [i, m] of t.members.entries()) {
        const name = JSON.stringify(m.name || `(anon ${i})`);
        if (m.bitfieldSize > 0) {
          const mt = btf.resolved(m.type);
          const all = readUint(bytes, off + Math.floor(m.bitOffset / 8), 8);
          let v = (all >> BigInt(m.bitOffset % 8)) & ((1n << BigInt(m.bitfieldSize)) - 1n);
          if (mt.kind === 'int' && mt.signed) v = BigInt.asIntN(m.bitfieldSize, v);
          parts.push(`${name}: ${v}`);
          continue;
        }
        parts.push(`${name}: ${fmt(m.type, off + Math.floor(m.bitOffset / 8), depth + 1)}`);
      }
      return `{${parts.join(', ')}}`;
    }
    case 'datasec': {
      const parts: string[] = [];
      for (const v of t.vars) {
        const vt = btf.typeById(v.type);
        if (vt.kind !== 'var') continue;
        parts.push(`${JSON.stringify(vt.name)}: ${fmt(vt.type, off + v.off, depth + 1)}`);
      }
      return `{${parts.join(', ')}}`;
    }
    case 'var':
      return fmt(t.type, off, depth + 1);
    default:
      throw new BtfError('btf/no-size', `btf: type [${typeId}]: ${t.kind} has no value`, typeId);
  }
}
