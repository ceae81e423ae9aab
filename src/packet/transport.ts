import { foldChecksum, sumWords } from './internet-checksum.js';
import type { IcmpLayer, LayerSpec, TcpLayer, UdpLayer } from './layers.js';
import { IPPROTO, UDP_PORT } from './layers.js';
import { type EncodeContext, badField, badSpec, decodeOptions, encodeOptions, get16, get32, need, put16, put32, uint } from './wire.js';

/** Codecs for TCP (RFC 9293 §3.1), UDP (RFC 768), ICMP (RFC 792) and ICMPv6 (RFC 4443 §2.1). */

type Spec<K extends LayerSpec['kind']> = Extract<LayerSpec, { kind: K }>;

/** Default ports of built TCP and UDP headers. */
export const DEFAULT_SPORT = 12345;
/** Default destination port of a built TCP header. */
export const DEFAULT_TCP_DPORT = 80;
/** Default destination port of a built UDP header (echo). */
export const DEFAULT_UDP_DPORT = 7;

/**
 * The checksum of a transport header `h` (checksum field zero) followed by `inner`, with the
 * pseudo-header when the context has one (ICMPv4 has none, RFC 792).
 */
function l4Checksum(h: Uint8Array, ctx: EncodeContext, proto: number): number {
  const len = h.length + ctx.inner.length;
  const initial = proto !== IPPROTO.ICMP && ctx.pseudo ? ctx.pseudo(len, proto) : 0;
  return ~foldChecksum(sumWords(ctx.inner, sumWords(h, initial))) & 0xffff;
}

/** Decodes the TCP header at `off` with its options; checks the data offset. */
export function decodeTcp(b: Uint8Array, off: number, end: number, path: string): TcpLayer {
  need(off, 20, end, path);
  const dataOffset = b[off + 12]! >>> 4;
  if (dataOffset < 5) throw badField(`${path}/dataOffset`, `expected at least 5, got ${dataOffset}`);
  need(off, dataOffset * 4, end, path);
  return {
    kind: 'tcp',
    offset: off,
    length: dataOffset * 4,
    sport: get16(b, off),
    dport: get16(b, off + 2),
    seq: get32(b, off + 4),
    ack: get32(b, off + 8),
    dataOffset,
    reserved: b[off + 12]! & 0xf,
    flags: b[off + 13]!,
    window: get16(b, off + 14),
    check: get16(b, off + 16),
    urgent: get16(b, off + 18),
    options: decodeOptions(b, off + 20, off + dataOffset * 4, `${path}/options`),
  };
}

/** Defaults: ports 12345 → 80, seq/ack 0, no flags, window 65535, data offset and checksum computed. */
export function encodeTcp(s: Spec<'tcp'>, ctx: EncodeContext): Uint8Array {
  const p = ctx.path;
  const opts = encodeOptions(s.options, `${p}/options`);
  const minOff = 5 + Math.ceil(opts.length / 4);
  const dataOffset = uint(s.dataOffset, 4, `${p}/dataOffset`, minOff);
  if (dataOffset < minOff) throw badSpec(`${p}/dataOffset`, `expected at least ${minOff} for the options, got ${dataOffset}`);
  const h = new Uint8Array(dataOffset * 4);
  put16(h, 0, uint(s.sport, 16, `${p}/sport`, DEFAULT_SPORT));
  put16(h, 2, uint(s.dport, 16, `${p}/dport`, DEFAULT_TCP_DPORT));
  put32(h, 4, uint(s.seq, 32, `${p}/seq`));
  put32(h, 8, uint(s.ack, 32, `${p}/ack`));
  h[12] = (dataOffset << 4) | uint(s.reserved, 4, `${p}/reserved`);
  h[13] = uint(s.flags, 8, `${p}/flags`);
  put16(h, 14, uint(s.window, 16, `${p}/window`, 65535));
  put16(h, 18, uint(s.urgent, 16, `${p}/urgent`));
  h.set(opts, 20);
  put16(h, 16, s.check === undefined ? l4Checksum(h, ctx, IPPROTO.TCP) : uint(s.check, 16, `${p}/check`));
  return h;
}

/** Decodes the UDP header at `off`; checks that the length covers the header. */
export function decodeUdp(b: Uint8Array, off: number, end: number, path: string): UdpLayer {
  need(off, 8, end, path);
  const length = get16(b, off + 4);
  if (length < 8) throw badField(`${path}/len`, `expected at least 8, got ${length}`);
  return { kind: 'udp', offset: off, length: 8, sport: get16(b, off), dport: get16(b, off + 2), len: length, check: get16(b, off + 6) };
}

/**
 * Defaults: ports 12345 → 7 (4789 before VXLAN, 6081 before Geneve), length and checksum
 * computed (a computed 0 is sent as 0xffff, RFC 768).
 */
export function encodeUdp(s: Spec<'udp'>, ctx: EncodeContext): Uint8Array {
  const p = ctx.path;
  const h = new Uint8Array(8);
  const dport = ctx.next === 'vxlan' ? UDP_PORT.VXLAN : ctx.next === 'geneve' ? UDP_PORT.GENEVE : DEFAULT_UDP_DPORT;
  put16(h, 0, uint(s.sport, 16, `${p}/sport`, DEFAULT_SPORT));
  put16(h, 2, uint(s.dport, 16, `${p}/dport`, dport));
  put16(h, 4, uint(s.len, 16, `${p}/len`, Math.min(0xffff, 8 + ctx.inner.length)));
  let check = s.check;
  if (check === undefined) {
    check = l4Checksum(h, ctx, IPPROTO.UDP);
    if (check === 0) check = 0xffff;
  }
  put16(h, 6, uint(check, 16, `${p}/check`));
  return h;
}

/** Decodes the 8-byte ICMP or ICMPv6 header at `off`. */
export function decodeIcmp(kind: IcmpLayer['kind'], b: Uint8Array, off: number, end: number, path: string): IcmpLayer {
  need(off, 8, end, path);
  return { kind, offset: off, length: 8, type: b[off]!, code: b[off + 1]!, check: get16(b, off + 2), id: get16(b, off + 4), seq: get16(b, off + 6) };
}

/** Defaults: echo request (type 8, or 128 for ICMPv6), code, id and seq 0, checksum computed. */
export function encodeIcmp(s: Spec<'icmp' | 'icmpv6'>, ctx: EncodeContext): Uint8Array {
  const p = ctx.path;
  const v6 = s.kind === 'icmpv6';
  const h = new Uint8Array(8);
  h[0] = uint(s.type, 8, `${p}/type`, v6 ? 128 : 8);
  h[1] = uint(s.code, 8, `${p}/code`);
  put16(h, 4, uint(s.id, 16, `${p}/id`));
  put16(h, 6, uint(s.seq, 16, `${p}/seq`));
  put16(h, 2, s.check === undefined ? l4Checksum(h, ctx, v6 ? IPPROTO.ICMPV6 : IPPROTO.ICMP) : uint(s.check, 16, `${p}/check`));
  return h;
}

