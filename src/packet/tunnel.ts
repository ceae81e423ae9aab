import { internetChecksum, sumWords } from './internet-checksum.js';
import type { GeneveLayer, GeneveOption, GreLayer, LayerSpec, VxlanLayer } from './layers.js';
import { type EncodeContext, badField, badSpec, concat, etherTypeFor, get16, get24, get32, need, put16, put24, put32, uint } from './wire.js';

/** Codecs for VXLAN (RFC 7348 §5), Geneve (RFC 8926 §3) and GRE (RFC 2784, RFC 2890). */

type Spec<K extends LayerSpec['kind']> = Extract<LayerSpec, { kind: K }>;

/** Decodes the VXLAN header at `off`. */
export function decodeVxlan(b: Uint8Array, off: number, end: number, path: string): VxlanLayer {
  need(off, 8, end, path);
  return { kind: 'vxlan', offset: off, length: 8, flags: b[off]!, reserved1: get24(b, off + 1), vni: get24(b, off + 4), reserved2: b[off + 7]! };
}

/** Defaults: flags 0x08 (VNI valid), VNI 0. */
export function encodeVxlan(s: Spec<'vxlan'>, ctx: EncodeContext): Uint8Array {
  const p = ctx.path;
  const h = new Uint8Array(8);
  h[0] = uint(s.flags, 8, `${p}/flags`, 0x08);
  put24(h, 1, uint(s.reserved1, 24, `${p}/reserved1`));
  put24(h, 4, uint(s.vni, 24, `${p}/vni`));
  h[7] = uint(s.reserved2, 8, `${p}/reserved2`);
  return h;
}

/** Decodes the Geneve header at `off` with its options, each checked to fit in `optLen`. */
export function decodeGeneve(b: Uint8Array, off: number, end: number, path: string): GeneveLayer {
  need(off, 8, end, path);
  const optLen = b[off]! & 0x3f;
  const len = 8 + optLen * 4;
  need(off, len, end, path);
  const options: GeneveOption[] = [];
  for (let o = off + 8; o < off + len; ) {
    const here = `${path}/options/${options.length}`;
    need(o, 4, off + len, here);
    const dataLen = (b[o + 3]! & 0x1f) * 4;
    need(o, 4 + dataLen, off + len, here);
    options.push({ class: get16(b, o), type: b[o + 2]!, flags: b[o + 3]! >>> 5, data: b.slice(o + 4, o + 4 + dataLen) });
    o += 4 + dataLen;
  }
  return {
    kind: 'geneve',
    offset: off,
    length: len,
    version: b[off]! >>> 6,
    optLen,
    oam: (b[off + 1]! & 0x80) !== 0,
    critical: (b[off + 1]! & 0x40) !== 0,
    reserved: b[off + 1]! & 0x3f,
    protocol: get16(b, off + 2),
    vni: get24(b, off + 4),
    reserved2: b[off + 7]!,
    options,
  };
}

/** Defaults: version 0, no flags, VNI 0, protocol from the next layer, option length computed. */
export function encodeGeneve(s: Spec<'geneve'>, ctx: EncodeContext): Uint8Array {
  const p = ctx.path;
  const opts = concat(
    ...(s.options ?? []).map((o, i) => {
      const q = `${p}/options/${i}`;
      const data = o.data ?? new Uint8Array(0);
      if (data.length % 4 !== 0 || data.length > 124) throw badSpec(`${q}/data`, `expected a multiple of 4 bytes up to 124, got ${data.length}`);
      const h = new Uint8Array(4);
      put16(h, 0, uint(o.class, 16, `${q}/class`));
      h[2] = uint(o.type, 8, `${q}/type`);
      h[3] = (uint(o.flags, 3, `${q}/flags`) << 5) | (data.length / 4);
      return concat(h, data);
    }),
  );
  const minLen = opts.length / 4;
  const optLen = uint(s.optLen, 6, `${p}/optLen`, minLen);
  if (optLen < minLen) throw badSpec(`${p}/optLen`, `expected at least ${minLen} for the options, got ${optLen}`);
  const h = new Uint8Array(8 + optLen * 4);
  h[0] = (uint(s.version, 2, `${p}/version`) << 6) | optLen;
  h[1] = (s.oam ? 0x80 : 0) | (s.critical ? 0x40 : 0) | uint(s.reserved, 6, `${p}/reserved`);
  put16(h, 2, uint(s.protocol, 16, `${p}/protocol`, etherTypeFor(ctx.next)));
  put24(h, 4, uint(s.vni, 24, `${p}/vni`));
  h[7] = uint(s.reserved2, 8, `${p}/reserved2`);
  h.set(opts, 8);
  return h;
}

const GRE_C = 0x8000;
const GRE_K = 0x2000;
const GRE_S = 0x1000;

/** True for the GRE version this codec reads (0); other versions stay payload. */
export function isGreV0(b: Uint8Array, off: number, end: number): boolean {
  return off + 2 <= end && (b[off + 1]! & 7) === 0;
}

/** Decodes a version 0 GRE header at `off` with the optional fields its flags announce. */
export function decodeGre(b: Uint8Array, off: number, end: number, path: string): GreLayer {
  need(off, 4, end, path);
  const flags = get16(b, off);
  if ((flags & 7) !== 0) throw badField(`${path}/flags`, `expected version 0, got ${flags & 7}`);
  const len = 4 + (flags & GRE_C ? 4 : 0) + (flags & GRE_K ? 4 : 0) + (flags & GRE_S ? 4 : 0);
  need(off, len, end, path);
  const l: GreLayer = { kind: 'gre', offset: off, length: len, flags, protocol: get16(b, off + 2) };
  let o = off + 4;
  if (flags & GRE_C) {
    l.check = get16(b, o);
    l.reserved1 = get16(b, o + 2);
    o += 4;
  }
  if (flags & GRE_K) {
    l.key = get32(b, o);
    o += 4;
  }
  if (flags & GRE_S) l.seq = get32(b, o);
  return l;
}

/**
 * Defaults: the C, K and S flags set when `check` (or `reserved1`), `key` and `seq` are given;
 * protocol from the next layer; the checksum, when C is set, computed over header and payload.
 */
export function encodeGre(s: Spec<'gre'>, ctx: EncodeContext): Uint8Array {
  const p = ctx.path;
  const implied = (s.check !== undefined || s.reserved1 !== undefined ? GRE_C : 0) | (s.key !== undefined ? GRE_K : 0) | (s.seq !== undefined ? GRE_S : 0);
  const flags = uint(s.flags, 16, `${p}/flags`, implied);
  const h = new Uint8Array(4 + (flags & GRE_C ? 4 : 0) + (flags & GRE_K ? 4 : 0) + (flags & GRE_S ? 4 : 0));
  put16(h, 0, flags);
  put16(h, 2, uint(s.protocol, 16, `${p}/protocol`, etherTypeFor(ctx.next)));
  let o = 4;
  if (flags & GRE_C) {
    put16(h, 6, uint(s.reserved1, 16, `${p}/reserved1`));
    o += 4;
  }
  if (flags & GRE_K) {
    put32(h, o, uint(s.key, 32, `${p}/key`));
    o += 4;
  }
  if (flags & GRE_S) put32(h, o, uint(s.seq, 32, `${p}/seq`));
  if (flags & GRE_C) {
    put16(h, 4, s.check === undefined ? internetChecksum(ctx.inner, sumWords(h)) : uint(s.check, 16, `${p}/check`));
  }
  return h;
}
