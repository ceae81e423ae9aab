/**
 * Builds raw `.BTF` blobs for tests (Documentation/bpf/btf.rst §2): types are appended as
 * records, names go into a string table, ids are returned in order (the first type is id 1).
 */
export class BtfBuilder {
  private readonly strs: number[] = [0];
  private readonly strOffs = new Map<string, number>([['', 0]]);
  private readonly words: number[] = [];
  private count = 0;
  /** Byte offset (in the type section) of each record, by id. */
  readonly recordOffs: number[] = [0];

  str(s: string): number {
    const have = this.strOffs.get(s);
    if (have !== undefined) return have;
    const off = this.strs.length;
    this.strs.push(...Buffer.from(s, 'utf8'), 0);
    this.strOffs.set(s, off);
    return off;
  }

  private rec(name: string, kind: number, vlen: number, kindFlag: boolean, sizeOrType: number, extra: number[] = []): number {
    this.recordOffs.push(this.words.length * 4);
    this.words.push(this.str(name), ((kindFlag ? 1 : 0) << 31) | (kind << 24) | vlen, sizeOrType, ...extra);
    return ++this.count;
  }

  int(name: string, size: number, opts: { signed?: boolean; char?: boolean; bool?: boolean; bits?: number; bitOffset?: number } = {}): number {
    const enc = (opts.signed ? 1 : 0) | (opts.char ? 2 : 0) | (opts.bool ? 4 : 0);
    return this.rec(name, 1, 0, false, size, [(enc << 24) | ((opts.bitOffset ?? 0) << 16) | (opts.bits ?? size * 8)]);
  }
  ptr(type: number): number {
    return this.rec('', 2, 0, false, type);
  }
  array(type: number, indexType: number, nelems: number): number {
    return this.rec('', 3, 0, false, 0, [type, indexType, nelems]);
  }
  composite(kind: 'struct' | 'union', name: string, size: number, members: { name: string; type: number; bitOffset: number; bitfieldSize?: number }[]): number {
    const kindFlag = members.some((m) => (m.bitfieldSize ?? 0) > 0);
    const extra = members.flatMap((m) => [this.str(m.name), m.type, kindFlag ? ((m.bitfieldSize ?? 0) << 24) | m.bitOffset : m.bitOffset]);
    return this.rec(name, kind === 'struct' ? 4 : 5, members.length, kindFlag, size, extra);
  }
  enum(name: string, size: number, values: [string, number][], signed = false): number {
    return this.rec(name, 6, values.length, signed, size, values.flatMap(([n, v]) => [this.str(n), v >>> 0]));
  }
  fwd(name: string, union = false): number {
    return this.rec(name, 7, 0, union, 0);
  }
  ref(kind: 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag', name: string, type: number): number {
    const k = { typedef: 8, volatile: 9, const: 10, restrict: 11, type_tag: 18 }[kind];
    return this.rec(name, k, 0, false, type);
  }
  func(name: string, proto: number, linkage = 1): number {
    return this.rec(name, 12, linkage, false, proto);
  }
  funcProto(ret: number, params: [string, number][]): number {
    return this.rec('', 13, params.length, false, ret, params.flatMap(([n, t]) => [this.str(n), t]));
  }
  variable(name: string, type: number, linkage = 1): number {
    return this.rec(name, 14, 0, false, type, [linkage]);
  }
  datasec(name: string, size: number, vars: [number, number, number][]): number {
    return this.rec(name, 15, vars.length, false, size, vars.flat());
  }
  float(name: string, size: number): number {
    return this.rec(name, 16, 0, false, size);
  }
  declTag(name: string, type: number, componentIdx: number): number {
    return this.rec(name, 17, 0, false, type, [componentIdx >>> 0]);
  }
  enum64(name: string, size: number, values: [string, bigint][], signed = false): number {
    return this.rec(name, 19, values.length, signed, size, values.flatMap(([n, v]) => [this.str(n), Number(BigInt.asUintN(64, v) & 0xffffffffn), Number(BigInt.asUintN(64, v) >> 32n)]));
  }
  /** Appends a raw word (for malformed records). */
  raw(...words: number[]): void {
    this.words.push(...words);
  }

  /** The `.BTF` section: header, types, strings. */
  build(): Uint8Array {
    const typeLen = this.words.length * 4;
    const out = new Uint8Array(24 + typeLen + this.strs.length);
    const v = new DataView(out.buffer);
    v.setUint16(0, 0xeb9f, true);
    v.setUint8(2, 1);
    v.setUint32(4, 24, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, typeLen, true);
    v.setUint32(16, typeLen, true);
    v.setUint32(20, this.strs.length, true);
    this.words.forEach((w, i) => v.setUint32(24 + i * 4, w >>> 0, true));
    out.set(this.strs, 24 + typeLen);
    return out;
  }
}
