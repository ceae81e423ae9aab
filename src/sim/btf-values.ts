/**
 * Plain JavaScript values of C types, through BTF: what map handles and `rodata` take and give.
 * A struct is an object with its members by name, an array a JS array, an integer a number (a
 * bigint when it is 8 bytes wide), `bool` a boolean. Network-order typedefs (`__be16`, `__be32`,
 * `__be64`) are host numbers, swapped to network order in the bytes, as `ntohs`/`htonl` would.
 * Addresses are accepted as strings where the C type holds one: `__be32` and 4-byte arrays take
 * `10.0.0.1`, `struct in6_addr` and 16-byte arrays take `fd00::1`, 6-byte arrays take
 * `02:00:00:00:00:01`; `char` arrays take a string. `struct in6_addr` reads back as its string.
 */
import type { Btf } from '../btf/btf.js';
import type { BtfType } from '../btf/types.js';
import { MapError } from '../internal/errors.js';
import { formatIpv6, parseIpv4, parseIpv6, parseMac } from '../packet/address.js';

const MAX_DEPTH = 32;
const BE_TYPEDEF = /^__be(16|32|64)$/;

/** A value of a C type as JavaScript holds it (see the module comment). */
export type CValue = number | bigint | boolean | string | Uint8Array | CValue[] | { [field: string]: CValue };

/** A type id with what the typedef chain said about it: network byte order, the struct's name. */
interface Resolved {
  t: BtfType;
  bigEndian: boolean;
}

function resolve(btf: Btf, typeId: number): Resolved {
  let id = typeId;
  let bigEndian = false;
  for (let i = 0; i < MAX_DEPTH; i++) {
    const t = btf.typeById(id);
    if (t.kind === 'typedef' && BE_TYPEDEF.test(t.name)) bigEndian = true;
    if (t.kind === 'typedef' || t.kind === 'volatile' || t.kind === 'const' || t.kind === 'restrict' || t.kind === 'type_tag' || t.kind === 'var') {
      id = t.type;
      continue;
    }
    return { t, bigEndian };
  }
  throw new MapError('map/bad-btf', `btf: type [${typeId}]: modifier chain too long`);
}

function bad(path: string, message: string): never {
  throw new MapError('map/bad-value', `${path}: ${message}`);
}

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : v instanceof Uint8Array ? 'bytes' : typeof v);

function toBigInt(v: unknown, path: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return bad(path, `expected an integer, got ${typeOf(v)}${typeof v === 'number' ? ` ${v}` : ''}`);
}

function writeUint(out: Uint8Array, off: number, size: number, v: bigint, bigEndian: boolean): void {
  for (let i = 0; i < size; i++, v >>= 8n) out[off + (bigEndian ? size - 1 - i : i)] = Number(v & 0xffn);
}

function readUint(bytes: Uint8Array, off: number, size: number, bigEndian: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(bytes[off + (bigEndian ? i : size - 1 - i)] ?? 0);
  return v;
}

function checkRange(v: bigint, bits: number, signed: boolean, path: string): bigint {
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  // Unsigned fields also take the negative values of the same width (-1 for 0xffffffff), as C converts them.
  const lowest = signed ? min : -(1n << BigInt(bits - 1));
  if (v < lowest || v > max) bad(path, `expected ${signed ? 'a signed' : 'an unsigned'} ${bits}-bit integer, got ${v}`);
  return BigInt.asUintN(bits, v);
}

/** An address string for a byte array or struct of `size` bytes, when the size takes one; else undefined. */
function addressBytes(text: string, size: number, path: string): Uint8Array | undefined {
  try {
    if (size === 4 && /^\d+\.\d+\.\d+\.\d+$/.test(text)) return parseIpv4(text, path);
    if (size === 16 && text.includes(':')) return parseIpv6(text, path);
    if (size === 6 && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) return parseMac(text, path);
  } catch (err) {
    bad(path, (err as Error).message);
  }
  return undefined;
}

/**
 * Writes `value` as type `typeId` into `out` at `off`. `path` names the value in errors
 * (`value.backend.port`). Throws MapError `map/bad-value` for a value the type cannot hold.
 */
export function encodeInto(btf: Btf, typeId: number, value: unknown, out: Uint8Array, off: number, path: string, depth = 0): void {
  if (depth > MAX_DEPTH) bad(path, 'nesting too deep');
  const { t, bigEndian } = resolve(btf, typeId);
  const size = t.kind === 'array' || t.kind === 'struct' || t.kind === 'union' || t.kind === 'datasec' ? btf.sizeof(t.id) : 'size' in t ? (t as { size: number }).size : 0;
  if (value instanceof Uint8Array) {
    if (value.length !== size) bad(path, `expected ${size} bytes, got ${value.length}`);
    out.set(value, off);
    return;
  }
  switch (t.kind) {
    case 'int': {
      if (t.bool && typeof value === 'boolean') {
        out[off] = value ? 1 : 0;
        return;
      }
      if (typeof value === 'string' && bigEndian && t.size === 4) {
        const ip = addressBytes(value, 4, path);
        if (ip) {
          out.set(ip, off);
          return;
        }
      }
      writeUint(out, off, t.size, checkRange(toBigInt(value, path), t.bits, t.signed, path), bigEndian);
      return;
    }
    case 'enum':
    case 'enum64': {
      const named = typeof value === 'string' ? (t.values as { name: string; value: number | bigint }[]).find((e) => e.name === value) : undefined;
      if (typeof value === 'string' && !named) bad(path, `no enumerator '${value}' in enum ${t.name || '(anon)'}`);
      const v = named ? BigInt(named.value) : toBigInt(value, path);
      writeUint(out, off, t.size, checkRange(v, t.size * 8, t.signed, path), bigEndian);
      return;
    }
    case 'float': {
      if (typeof value !== 'number') bad(path, `expected a number, got ${typeOf(value)}`);
      const view = new DataView(out.buffer, out.byteOffset + off, t.size);
      if (t.size === 4) view.setFloat32(0, value, true);
      else if (t.size === 8) view.setFloat64(0, value, true);
      else bad(path, `${t.size}-byte floats are not supported`);
      return;
    }
    case 'ptr':
      writeUint(out, off, 8, BigInt.asUintN(64, toBigInt(value, path)), false);
      return;
    case 'array': {
      const elem = resolve(btf, t.type).t;
      const elemSize = btf.sizeof(t.type);
      if (typeof value === 'string') {
        const address = addressBytes(value, size, path);
        if (address) return void out.set(address, off);
        if (elem.kind === 'int' && elem.size === 1) {
          const text = new TextEncoder().encode(value);
          if (text.length > t.nelems) bad(path, `expected at most ${t.nelems} bytes of text, got ${text.length}`);
          out.fill(0, off, off + size);
          return void out.set(text, off);
        }
        bad(path, `expected an array of ${t.nelems}, got a string`);
      }
      if (!Array.isArray(value)) bad(path, `expected an array of ${t.nelems}, got ${typeOf(value)}`);
      if (value.length > t.nelems) bad(path, `expected at most ${t.nelems} elements, got ${value.length}`);
      out.fill(0, off, off + size);
      value.forEach((v, i) => encodeInto(btf, t.type, v, out, off + i * elemSize, `${path}[${i}]`, depth + 1));
      return;
    }
    case 'struct':
    case 'union': {
      if (typeof value === 'string') {
        const address = addressBytes(value, size, path);
        if (address) return void out.set(address, off);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(path, `expected an object for ${t.kind} ${t.name || '(anon)'}, got ${typeOf(value)}`);
      const fields = value as Record<string, unknown>;
      out.fill(0, off, off + size);
      const known = new Set<string>();
      for (const m of t.members) {
        known.add(m.name);
        const v = m.name === '' ? undefined : fields[m.name];
        if (v === undefined) continue;
        const where = `${path}.${m.name}`;
        if (m.bitfieldSize > 0) {
          const bits = checkRange(toBigInt(v, where), m.bitfieldSize, false, where);
          const byte = off + Math.floor(m.bitOffset / 8);
          const span = Math.ceil(((m.bitOffset % 8) + m.bitfieldSize) / 8);
          const shift = BigInt(m.bitOffset % 8);
          const mask = ((1n << BigInt(m.bitfieldSize)) - 1n) << shift;
          const word = (readUint(out, byte, span, false) & ~mask) | (bits << shift);
          writeUint(out, byte, span, word, false);
          continue;
        }
        encodeInto(btf, m.type, v, out, off + m.bitOffset / 8, where, depth + 1);
      }
      // Anonymous members (nested anonymous structs and unions) take their fields from the same object.
      for (const m of t.members) if (m.name === '') encodeAnonymous(btf, m.type, fields, out, off + m.bitOffset / 8, path, depth, known);
      for (const name of Object.keys(fields)) if (!known.has(name)) bad(`${path}.${name}`, `no such field in ${t.kind} ${t.name || '(anon)'}`);
      return;
    }
    case 'datasec': {
      // A global data section: its variables by name; those left out are zero.
      if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(path, `expected an object of ${t.name}'s variables, got ${typeOf(value)}`);
      const vars = value as Record<string, unknown>;
      out.fill(0, off, off + size);
      const known = new Set<string>();
      for (const v of t.vars) {
        const vt = btf.typeById(v.type);
        if (vt.kind !== 'var') continue;
        known.add(vt.name);
        if (vars[vt.name] !== undefined) encodeInto(btf, vt.type, vars[vt.name], out, off + v.off, `${path}.${vt.name}`, depth + 1);
      }
      for (const name of Object.keys(vars)) if (!known.has(name)) bad(`${path}.${name}`, `no variable '${name}' in ${t.name}`);
      return;
    }
    default:
      bad(path, `type ${t.kind} holds no value`);
  }
}

function encodeAnonymous(btf: Btf, typeId: number, fields: Record<string, unknown>, out: Uint8Array, off: number, path: string, depth: number, known: Set<string>): void {
  const { t } = resolve(btf, typeId);
  if (t.kind !== 'struct' && t.kind !== 'union') return;
  const mine: Record<string, unknown> = {};
  for (const m of t.members) {
    if (m.name !== '' && fields[m.name] !== undefined) mine[m.name] = fields[m.name];
    known.add(m.name);
  }
  if (Object.keys(mine).length === 0) return;
  const saved = out.slice(off, off + t.size);
  encodeInto(btf, typeId, mine, out, off, path, depth + 1);
  // A member the object leaves out keeps what the enclosing value already wrote there.
  for (let i = 0; i < saved.length; i++) out[off + i] = out[off + i]! | saved[i]!;
}

/** `value` as bytes of type `typeId` (`size` bytes). */
export function encodeValue(btf: Btf, typeId: number, size: number, value: unknown, path: string): Uint8Array {
  const out = new Uint8Array(size);
  encodeInto(btf, typeId, value, out, 0, path);
  return out;
}

/** The bytes of type `typeId` at `off` as a plain value (see the module comment). */
export function decodeValue(btf: Btf, typeId: number, bytes: Uint8Array, off = 0, depth = 0): CValue {
  if (depth > MAX_DEPTH) throw new MapError('map/bad-btf', `btf: type [${typeId}]: nesting too deep`);
  const { t, bigEndian } = resolve(btf, typeId);
  switch (t.kind) {
    case 'int': {
      if (t.bool) return readUint(bytes, off, t.size, false) !== 0n;
      let v = readUint(bytes, off, t.size, bigEndian);
      if (t.bits < t.size * 8) v = (v >> BigInt(t.bitOffset)) & ((1n << BigInt(t.bits)) - 1n);
      if (t.signed) v = BigInt.asIntN(t.bits, v);
      return t.size >= 8 ? v : Number(v);
    }
    case 'enum':
    case 'enum64': {
      let v = readUint(bytes, off, t.size, false);
      if (t.signed) v = BigInt.asIntN(t.size * 8, v);
      return t.size >= 8 ? v : Number(v);
    }
    case 'float': {
      const view = new DataView(bytes.buffer, bytes.byteOffset + off, t.size);
      return t.size === 4 ? view.getFloat32(0, true) : view.getFloat64(0, true);
    }
    case 'ptr':
      return readUint(bytes, off, 8, false);
    case 'array': {
      const elem = resolve(btf, t.type).t;
      const elemSize = btf.sizeof(t.type);
      if (elem.kind === 'int' && elem.char) {
        const raw = bytes.subarray(off, off + t.nelems);
        const end = raw.indexOf(0);
        return new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end));
      }
      return Array.from({ length: t.nelems }, (_, i) => decodeValue(btf, t.type, bytes, off + i * elemSize, depth + 1));
    }
    case 'struct':
    case 'union': {
      if (t.name === 'in6_addr' && t.size === 16) return formatIpv6(bytes, off);
      const obj: Record<string, CValue> = {};
      for (const m of t.members) {
        if (m.bitfieldSize > 0) {
          const byte = off + Math.floor(m.bitOffset / 8);
          const span = Math.ceil(((m.bitOffset % 8) + m.bitfieldSize) / 8);
          obj[m.name] = Number((readUint(bytes, byte, span, false) >> BigInt(m.bitOffset % 8)) & ((1n << BigInt(m.bitfieldSize)) - 1n));
          continue;
        }
        const v = decodeValue(btf, m.type, bytes, off + m.bitOffset / 8, depth + 1);
        if (m.name === '' && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) Object.assign(obj, v);
        else obj[m.name] = v;
      }
      return obj;
    }
    case 'datasec': {
      const obj: Record<string, CValue> = {};
      for (const v of t.vars) {
        const vt = btf.typeById(v.type);
        if (vt.kind === 'var') obj[vt.name] = decodeValue(btf, vt.type, bytes, off + v.off, depth + 1);
      }
      return obj;
    }
    default:
      return bytes.slice(off, off + ('size' in t ? (t as { size: number }).size : 0));
  }
}
