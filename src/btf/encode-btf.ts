import { BTF_MAGIC } from './decode-btf.js';
import { BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, KIND_NAMES, type BtfType } from './types.js';

/**
 * Encodes types into a `.BTF` section (Documentation/bpf/btf.rst §2), the inverse of decodeBtf:
 * `types[0]` must be void and every other type's `id` its index. Strings are deduplicated.
 */
export function encodeBtf(types: readonly BtfType[]): Uint8Array {
  const strings: number[] = [0];
  const stringOff = new Map<string, number>([['', 0]]);
  const str = (s: string): number => {
    let off = stringOff.get(s);
    if (off === undefined) {
      off = strings.length;
      stringOff.set(s, off);
      for (const b of Buffer.from(s, 'utf8')) strings.push(b);
      strings.push(0);
    }
    return off;
  };
  const words: number[] = [];
  const head = (t: BtfType, vlen: number, kindFlag: boolean, sizeOrType: number) => {
    words.push(str(t.name), (KIND_NAMES.indexOf(t.kind) << 24) | (kindFlag ? 1 << 31 : 0) | vlen, sizeOrType);
  };
  for (const t of types.slice(1)) {
    switch (t.kind) {
      case 'int':
        head(t, 0, false, t.size);
        words.push(((t.signed ? BTF_INT_SIGNED : 0) | (t.char ? BTF_INT_CHAR : 0) | (t.bool ? BTF_INT_BOOL : 0)) << 24 | (t.bitOffset << 16) | t.bits);
        break;
      case 'ptr':
      case 'typedef':
      case 'volatile':
      case 'const':
      case 'restrict':
      case 'type_tag':
        head(t, 0, false, t.type);
        break;
      case 'array':
        head(t, 0, false, 0);
        words.push(t.type, t.indexType, t.nelems);
        break;
      case 'struct':
      case 'union':
        head(t, t.members.length, t.bitfields, t.size);
        for (const m of t.members) words.push(str(m.name), m.type, t.bitfields ? (m.bitfieldSize << 24) | m.bitOffset : m.bitOffset);
        break;
      case 'enum':
        head(t, t.values.length, t.signed, t.size);
        for (const v of t.values) words.push(str(v.name), v.value);
        break;
      case 'enum64':
        head(t, t.values.length, t.signed, t.size);
        for (const v of t.values) words.push(str(v.name), Number(BigInt.asUintN(32, v.value)), Number(BigInt.asUintN(64, v.value) >> 32n));
        break;
      case 'fwd':
        head(t, 0, t.union, 0);
        break;
      case 'func':
        head(t, t.linkage, false, t.type);
        break;
      case 'func_proto':
        head(t, t.params.length, false, t.type);
        for (const p of t.params) words.push(str(p.name), p.type);
        break;
      case 'var':
        head(t, 0, false, t.type);
        words.push(t.linkage);
        break;
      case 'datasec':
        head(t, t.vars.length, false, t.size);
        for (const v of t.vars) words.push(v.type, v.off, v.size);
        break;
      case 'float':
        head(t, 0, false, t.size);
        break;
      case 'decl_tag':
        head(t, 0, false, t.type);
        words.push(t.componentIdx);
        break;
      default:
        throw new RangeError(`encodeBtf: type [${t.id}]: kind ${t.kind} cannot be encoded`);
    }
  }
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + strings.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, BTF_MAGIC, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true);
  v.setUint32(20, strings.length, true);
  words.forEach((w, i) => v.setUint32(24 + 4 * i, w >>> 0, true));
  out.set(strings, 24 + typeLen);
  return out;
}
