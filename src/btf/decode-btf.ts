import { ByteReader } from '../internal/bytes.js';
import { BtfError } from '../internal/errors.js';
import { BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, BTF_KIND, KIND_NAMES, type BtfType } from './types.js';

/** BTF_MAGIC (include/uapi/linux/btf.h). */
export const BTF_MAGIC = 0xeb9f;

/** The decoded `.BTF` section: types by id (index 0 is void) and the string table. */
export interface DecodedBtf {
  types: BtfType[];
  strings: Uint8Array;
}

interface StringRef {
  /** Type id whose record holds the offset (for the error message). */
  typeId: number;
  off: number;
  set: (name: string) => void;
}

interface TypeRef {
  typeId: number;
  ref: number;
  /** Kinds the reference may point at; undefined: any kind, including void. */
  check?: (t: BtfType) => boolean;
  what: string;
}

/**
 * Decodes a `.BTF` section (Documentation/bpf/btf.rst §2) in two passes, as libbpf's btf.c does:
 * the first parses every record's structure, the second checks that every referenced type id and
 * every string offset resolves. Errors are {@link BtfError}s with the type id where known:
 * `btf: type [12]: invalid referenced type id 40`.
 */
export function decodeBtf(bytes: Uint8Array): DecodedBtf {
  const hr = new ByteReader(bytes, (what, off, len) => new BtfError('btf/truncated', `btf: ${what}: expected ${len} bytes at offset ${off}, got ${Math.max(0, bytes.length - off)}`));
  if (bytes.length < 4 || hr.u16(0) !== BTF_MAGIC) {
    throw new BtfError('btf/bad-magic', `btf: expected magic 0x${BTF_MAGIC.toString(16)}, got 0x${bytes.length >= 2 ? hr.u16(0).toString(16) : ''}`);
  }
  if (hr.u8(2, 'header') !== 1) throw new BtfError('btf/bad-version', `btf: expected version 1, got ${hr.u8(2)}`);
  const hdrLen = hr.u32(4, 'header');
  if (hdrLen < 24) throw new BtfError('btf/bad-header', `btf: expected header length >= 24, got ${hdrLen}`);
  hr.need(0, hdrLen, 'header');
  const typeOff = hr.u32(8), typeLen = hr.u32(12), strOff = hr.u32(16), strLen = hr.u32(20);
  const typeData = sectionOf(bytes, hdrLen, typeOff, typeLen, 'type section');
  const strings = sectionOf(bytes, hdrLen, strOff, strLen, 'string section');
  if (strLen > 0 && strings[strLen - 1] !== 0) throw new BtfError('btf/bad-string', 'btf: string section is not NUL-terminated');
  if (strLen > 0 && strings[0] !== 0) throw new BtfError('btf/bad-string', 'btf: string section must start with an empty string');

  const { types, stringRefs, typeRefs } = parseTypes(typeData);
  checkRefs(types, strings, stringRefs, typeRefs);
  return { types, strings };
}

function sectionOf(bytes: Uint8Array, hdrLen: number, off: number, len: number, what: string): Uint8Array {
  const start = hdrLen + off;
  if (start > bytes.length || len > bytes.length - start) {
    throw new BtfError('btf/truncated', `btf: ${what}: ${len} bytes at offset ${off} are past the end (${bytes.length - hdrLen} bytes)`);
  }
  return bytes.subarray(start, start + len);
}

/** Pass 1: the records' structure. */
function parseTypes(data: Uint8Array): { types: BtfType[]; stringRefs: StringRef[]; typeRefs: TypeRef[] } {
  const types: BtfType[] = [{ id: 0, kind: 'void', name: '' }];
  const stringRefs: StringRef[] = [];
  const typeRefs: TypeRef[] = [];
  let id = 0;
  const r = new ByteReader(data, (what, off) => new BtfError('btf/truncated', `btf: type [${id}]: ${what} at offset ${off} runs past the end of the type section`, id));
  let off = 0;
  while (off < data.length) {
    id++;
    const nameOff = r.u32(off, 'header');
    const info = r.u32(off + 4, 'header');
    const sizeOrType = r.u32(off + 8, 'header');
    off += 12;
    const vlen = info & 0xffff;
    const kindNo = (info >>> 24) & 0x1f;
    const kindFlag = (info >>> 31) !== 0;
    const kind = KIND_NAMES[kindNo];
    if (kind === undefined || kindNo === BTF_KIND.BTF_KIND_UNKN) throw new BtfError('btf/bad-kind', `btf: type [${id}]: unknown kind ${kindNo}`, id);
    const tid = id;
    const name = (t: { name: string }, o: number) => stringRefs.push({ typeId: tid, off: o, set: (s) => (t.name = s) });
    const ref = (to: number, what: string, check?: (t: BtfType) => boolean) => typeRefs.push({ typeId: tid, ref: to, what, check });
    let t: BtfType;
    switch (kind) {
      case 'int': {
        const extra = r.u32(off, 'int encoding');
        off += 4;
        const enc = (extra >>> 24) & 0xf;
        t = { id, kind, name: '', size: sizeOrType, signed: (enc & BTF_INT_SIGNED) !== 0, char: (enc & BTF_INT_CHAR) !== 0, bool: (enc & BTF_INT_BOOL) !== 0, bitOffset: (extra >>> 16) & 0xff, bits: extra & 0xff };
        if (t.bits > 128 || t.bitOffset + t.bits > sizeOrType * 8 || ![1, 2, 4, 8, 16].includes(sizeOrType)) {
          throw new BtfError('btf/bad-int', `btf: type [${id}]: invalid int of size ${sizeOrType} with ${t.bits} bits at bit ${t.bitOffset}`, id);
        }
        break;
      }
      case 'ptr':
      case 'typedef':
      case 'volatile':
      case 'const':
      case 'restrict':
      case 'type_tag':
        t = { id, kind, name: '', type: sizeOrType };
        ref(sizeOrType, 'referenced type');
        break;
      case 'array': {
        t = { id, kind, name: '', type: r.u32(off, 'array'), indexType: r.u32(off + 4, 'array'), nelems: r.u32(off + 8, 'array') };
        off += 12;
        ref(t.type, 'array element type', notVoid);
        ref(t.indexType, 'array index type', notVoid);
        break;
      }
      case 'struct':
      case 'union': {
        const members = [];
        for (let i = 0; i < vlen; i++, off += 12) {
          const m = { name: '', type: r.u32(off + 4, 'member'), bitOffset: 0, bitfieldSize: 0 };
          const mo = r.u32(off + 8, 'member');
          m.bitOffset = kindFlag ? mo & 0xffffff : mo;
          m.bitfieldSize = kindFlag ? mo >>> 24 : 0;
          name(m, r.u32(off, 'member'));
          ref(m.type, `member ${i} type`, notVoid);
          members.push(m);
        }
        t = { id, kind, name: '', size: sizeOrType, bitfields: kindFlag, members };
        break;
      }
      case 'enum': {
        const values = [];
        for (let i = 0; i < vlen; i++, off += 8) {
          const v = { name: '', value: kindFlag ? r.i32(off + 4, 'enum value') : r.u32(off + 4, 'enum value') };
          name(v, r.u32(off, 'enum value'));
          values.push(v);
        }
        t = { id, kind, name: '', size: sizeOrType, signed: kindFlag, values };
        break;
      }
      case 'enum64': {
        const values = [];
        for (let i = 0; i < vlen; i++, off += 12) {
          const lo = BigInt(r.u32(off + 4, 'enum64 value'));
          const hi = BigInt(r.u32(off + 8, 'enum64 value'));
          let value = (hi << 32n) | lo;
          if (kindFlag) value = BigInt.asIntN(64, value);
          const v = { name: '', value };
          name(v, r.u32(off, 'enum64 value'));
          values.push(v);
        }
        t = { id, kind, name: '', size: sizeOrType, signed: kindFlag, values };
        break;
      }
      case 'fwd':
        t = { id, kind, name: '', union: kindFlag };
        break;
      case 'func':
        t = { id, kind, name: '', type: sizeOrType, linkage: vlen };
        ref(sizeOrType, 'function prototype', (x) => x.kind === 'func_proto');
        break;
      case 'func_proto': {
        const params = [];
        for (let i = 0; i < vlen; i++, off += 8) {
          const p = { name: '', type: r.u32(off + 4, 'parameter') };
          name(p, r.u32(off, 'parameter'));
          ref(p.type, `parameter ${i} type`);
          params.push(p);
        }
        t = { id, kind, name: '', type: sizeOrType, params };
        ref(sizeOrType, 'return type');
        break;
      }
      case 'var':
        t = { id, kind, name: '', type: sizeOrType, linkage: r.u32(off, 'var linkage') };
        off += 4;
        ref(sizeOrType, 'variable type', notVoid);
        break;
      case 'datasec': {
        const vars = [];
        for (let i = 0; i < vlen; i++, off += 12) {
          const v = { type: r.u32(off, 'datasec variable'), off: r.u32(off + 4, 'datasec variable'), size: r.u32(off + 8, 'datasec variable') };
          ref(v.type, `datasec variable ${i}`, (x) => x.kind === 'var' || x.kind === 'func');
          vars.push(v);
        }
        t = { id, kind, name: '', size: sizeOrType, vars };
        break;
      }
      case 'float':
        if (![2, 4, 8, 12, 16].includes(sizeOrType)) throw new BtfError('btf/bad-float', `btf: type [${id}]: invalid float size ${sizeOrType}`, id);
        t = { id, kind, name: '', size: sizeOrType };
        break;
      case 'decl_tag': {
        const componentIdx = r.i32(off, 'decl_tag component');
        off += 4;
        t = { id, kind, name: '', type: sizeOrType, componentIdx };
        ref(sizeOrType, 'tagged type', (x) => componentIdx < 0 || componentCount(x) > componentIdx);
        break;
      }
      default:
        throw new BtfError('btf/bad-kind', `btf: type [${id}]: unknown kind ${kindNo}`, id);
    }
    name(t, nameOff);
    types.push(t);
  }
  return { types, stringRefs, typeRefs };
}

const notVoid = (t: BtfType) => t.kind !== 'void';

function componentCount(t: BtfType): number {
  if (t.kind === 'struct' || t.kind === 'union') return t.members.length;
  if (t.kind === 'func') return Number.MAX_SAFE_INTEGER; // checked against the prototype by users
  return 0;
}

/** Pass 2: every type id and string offset resolves. */
function checkRefs(types: BtfType[], strings: Uint8Array, stringRefs: StringRef[], typeRefs: TypeRef[]): void {
  const decoder = new TextDecoder();
  for (const s of stringRefs) {
    if (s.off === 0) {
      s.set('');
      continue;
    }
    if (s.off >= strings.length) throw new BtfError('btf/bad-string', `btf: type [${s.typeId}]: invalid string offset ${s.off}`, s.typeId);
    const end = strings.indexOf(0, s.off);
    s.set(decoder.decode(strings.subarray(s.off, end)));
  }
  for (const r of typeRefs) {
    const target = types[r.ref];
    if (target === undefined) throw new BtfError('btf/bad-type-id', `btf: type [${r.typeId}]: invalid referenced type id ${r.ref}`, r.typeId);
    if (r.check && !r.check(target)) {
      throw new BtfError('btf/bad-type-id', `btf: type [${r.typeId}]: ${r.what} [${r.ref}] has unexpected kind ${target.kind}`, r.typeId);
    }
  }
}
