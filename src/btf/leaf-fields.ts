import { BtfError } from '../internal/errors.js';
import type { Btf } from './btf.js';

/**
 * One leaf of a BTF type's layout: a scalar, a pointer, or a run of chars, at byte offset `off`
 * with `size` bytes. A bitfield has `bitOffset` (from the low bit of the bytes at `off`, in the
 * little-endian order BPF uses) and `bitSize`.
 */
export interface LeafField {
  /** `last_seen`, `addr.in6_u.u6_addr32[2]`; '' for a scalar type itself. */
  path: string;
  off: number;
  size: number;
  kind: 'int' | 'enum' | 'ptr' | 'float' | 'bytes';
  bitOffset?: number;
  bitSize?: number;
}

/** Nesting limit: C types from clang never come close; malformed BTF may loop. */
const MAX_DEPTH = 64;
/** Arrays longer than this are one `bytes` field: a field per element helps nobody. */
const MAX_ELEMENTS = 4096;
/** Visits allowed per call: malformed BTF (a struct holding itself twice) must not hang us. */
const MAX_VISITS = 200_000;

/**
 * Flattens type `typeId` into its leaf fields, in offset order of declaration, so that every byte
 * outside them is padding (Documentation/bpf/btf.rst §2.2 for member offsets and bitfields).
 * Arrays of 1-byte integers are one `bytes` field. Union members overlap, as in C.
 */
export function leafFields(btf: Btf, typeId: number): LeafField[] {
  const out: LeafField[] = [];
  const budget = { left: MAX_VISITS, typeId };
  walk(btf, typeId, '', 0, out, 0, budget);
  return out;
}

function join(path: string, name: string): string {
  if (!name) return path;
  return path ? `${path}.${name}` : name;
}

interface Budget {
  left: number;
  typeId: number;
}

function walk(btf: Btf, typeId: number, path: string, off: number, out: LeafField[], depth: number, budget: Budget): void {
  if (depth > MAX_DEPTH) throw new BtfError('btf/loop', `btf: type [${typeId}]: nesting deeper than ${MAX_DEPTH}`, typeId);
  if (--budget.left < 0) throw new BtfError('btf/too-large', `btf: type [${budget.typeId}]: more than ${MAX_VISITS} fields`, budget.typeId);
  const t = btf.resolved(typeId);
  switch (t.kind) {
    case 'int':
      out.push({ path, off, size: t.size, kind: 'int' });
      return;
    case 'enum':
    case 'enum64':
      out.push({ path, off, size: t.size, kind: 'enum' });
      return;
    case 'float':
      out.push({ path, off, size: t.size, kind: 'float' });
      return;
    case 'ptr':
      out.push({ path, off, size: 8, kind: 'ptr' });
      return;
    case 'array': {
      if (t.nelems === 0) return;
      const elem = btf.resolved(t.type);
      const elemSize = btf.sizeof(t.type);
      if ((elem.kind === 'int' && elemSize === 1) || t.nelems > MAX_ELEMENTS) {
        out.push({ path, off, size: elemSize * t.nelems, kind: 'bytes' });
        return;
      }
      for (let i = 0; i < t.nelems; i++) walk(btf, t.type, `${path}[${i}]`, off + i * elemSize, out, depth + 1, budget);
      return;
    }
    case 'struct':
    case 'union':
      for (const m of t.members) {
        const mPath = join(path, m.name);
        const mt = btf.resolved(m.type);
        if (m.bitfieldSize > 0 || (mt.kind === 'int' && mt.bits !== mt.size * 8)) {
          const bitSize = m.bitfieldSize || (mt as { bits: number }).bits;
          const bitOff = m.bitOffset + (mt.kind === 'int' ? mt.bitOffset : 0);
          const byteOff = Math.floor(bitOff / 8);
          const bitInByte = bitOff % 8;
          out.push({ path: mPath, off: off + byteOff, size: Math.ceil((bitInByte + bitSize) / 8), kind: mt.kind === 'enum' || mt.kind === 'enum64' ? 'enum' : 'int', bitOffset: bitInByte, bitSize });
          continue;
        }
        if (m.bitOffset % 8 !== 0) throw new BtfError('btf/bad-member', `btf: type [${t.id}]: member '${m.name}' is not byte-aligned`, t.id);
        walk(btf, m.type, mPath, off + m.bitOffset / 8, out, depth + 1, budget);
      }
      return;
    case 'datasec':
      for (const v of t.vars) {
        const vt = btf.typeById(v.type);
        if (vt.kind !== 'var') continue;
        walk(btf, vt.type, join(path, vt.name), off + v.off, out, depth + 1, budget);
      }
      return;
    case 'var':
      walk(btf, t.type, path, off, out, depth + 1, budget);
      return;
    default:
      throw new BtfError('btf/no-size', `btf: type [${typeId}]: ${t.kind} has no fields`, typeId);
  }
}
