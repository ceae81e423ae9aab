import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './address.js';
import { internetChecksum } from './internet-checksum.js';
import type { Ipv4Layer, Ipv6FragLayer, Ipv6Layer, Ipv6OptionsLayer, Ipv6RoutingLayer, LayerSpec } from './layers.js';
import {
  type EncodeContext,
  badField,
  badSpec,
  concat,
  decodeOptions,
  encodeOptions,
  get16,
  get32,
  ipProtoFor,
  need,
  put16,
  put32,
  uint,
} from './wire.js';

/** Codecs for IPv4 (RFC 791) and IPv6 with its extension headers (RFC 8200 §4). */

type Spec<K extends LayerSpec['kind']> = Extract<LayerSpec, { kind: K }>;

/** Default addresses of built IP headers. */
export const DEFAULT_IPV4_SRC = '10.0.0.1';
/** Default destination of a built IPv4 header. */
export const DEFAULT_IPV4_DST = '10.0.0.2';
/** Default source of a built IPv6 header. */
export const DEFAULT_IPV6_SRC = 'fd00::1';
/** Default destination of a built IPv6 header. */
export const DEFAULT_IPV6_DST = 'fd00::2';

/** Decodes the IPv4 header at `off` with its options; checks version, IHL and total length. */
export function decodeIpv4(b: Uint8Array, off: number, end: number, path: string): Ipv4Layer {
  need(off, 20, end, path);
  const version = b[off]! >>> 4;
  const ihl = b[off]! & 0xf;
  if (version !== 4) throw badField(`${path}/version`, `expected 4, got ${version}`);
  if (ihl < 5) throw badField(`${path}/ihl`, `expected at least 5, got ${ihl}`);
  need(off, ihl * 4, end, path);
  const totalLength = get16(b, off + 2);
  if (totalLength < ihl * 4) throw badField(`${path}/totalLength`, `expected at least ${ihl * 4}, got ${totalLength}`);
  const frag = get16(b, off + 6);
  return {
    kind: 'ipv4',
    offset: off,
    length: ihl * 4,
    version,
    ihl,
    dscp: b[off + 1]! >>> 2,
    ecn: b[off + 1]! & 3,
    totalLength,
    id: get16(b, off + 4),
    flags: frag >>> 13,
    fragOffset: frag & 0x1fff,
    ttl: b[off + 8]!,
    protocol: b[off + 9]!,
    check: get16(b, off + 10),
    src: formatIpv4(b, off + 12),
    dst: formatIpv4(b, off + 16),
    options: decodeOptions(b, off + 20, off + ihl * 4, `${path}/options`),
  };
}

/** Defaults: no options, TTL 64, no flags, id 0, lengths and header checksum computed. */
export function encodeIpv4(s: Spec<'ipv4'>, ctx: EncodeContext): Uint8Array {
  const p = ctx.path;
  const opts = encodeOptions(s.options, `${p}/options`);
  const minIhl = 5 + Math.ceil(opts.length / 4);
  const ihl = uint(s.ihl, 4, `${p}/ihl`, minIhl);
  if (ihl < minIhl) throw badSpec(`${p}/ihl`, `expected at least ${minIhl} for the options, got ${ihl}`);
  const h = new Uint8Array(ihl * 4);
  h[0] = (uint(s.version, 4, `${p}/version`, 4) << 4) | ihl;
  h[1] = (uint(s.dscp, 6, `${p}/dscp`) << 2) | uint(s.ecn, 2, `${p}/ecn`);
  put16(h, 2, uint(s.totalLength, 16, `${p}/totalLength`, Math.min(0xffff, h.length + ctx.inner.length)));
  put16(h, 4, uint(s.id, 16, `${p}/id`));
  put16(h, 6, (uint(s.flags, 3, `${p}/flags`) << 13) | uint(s.fragOffset, 13, `${p}/fragOffset`));
  h[8] = uint(s.ttl, 8, `${p}/ttl`, 64);
  h[9] = uint(s.protocol, 8, `${p}/protocol`, ipProtoFor(ctx.next));
  h.set(parseIpv4(s.src ?? DEFAULT_IPV4_SRC, `${p}/src`), 12);
  h.set(parseIpv4(s.dst ?? DEFAULT_IPV4_DST, `${p}/dst`), 16);
  h.set(opts, 20);
  put16(h, 10, s.check === undefined ? internetChecksum(h) : uint(s.check, 16, `${p}/check`));
  return h;
}

/** Decodes the IPv6 fixed header at `off`; checks the version. */
export function decodeIpv6(b: Uint8Array, off: number, end: number, path: string): Ipv6Layer {
  need(off, 40, end, path);
  const w = get32(b, off);
  const version = w >>> 28;
  if (version !== 6) throw badField(`${path}/version`, `expected 6, got ${version}`);
  return {
    kind: 'ipv6',
    offset: off,
    length: 40,
    version,
    trafficClass: (w >>> 20) & 0xff,
    flowLabel: w & 0xfffff,
    payloadLength: get16(b, off + 4),
    nextHeader: b[off + 6]!,
    hopLimit: b[off + 7]!,
    src: formatIpv6(b, off + 8),
    dst: formatIpv6(b, off + 24),
  };
}

/** Defaults: traffic class and flow label 0, hop limit 64, payload length computed. */
export function encodeIpv6(s: Spec<'ipv6'>, ctx: EncodeContext): Uint8Array {
  const p = ctx.path;
  const h = new Uint8Array(40);
  const w = (uint(s.version, 4, `${p}/version`, 6) << 28) | (uint(s.trafficClass, 8, `${p}/trafficClass`) << 20) | uint(s.flowLabel, 20, `${p}/flowLabel`);
  put32(h, 0, w >>> 0);
  put16(h, 4, uint(s.payloadLength, 16, `${p}/payloadLength`, Math.min(0xffff, ctx.inner.length)));
  h[6] = uint(s.nextHeader, 8, `${p}/nextHeader`, ipProtoFor(ctx.next));
  h[7] = uint(s.hopLimit, 8, `${p}/hopLimit`, 64);
  h.set(parseIpv6(s.src ?? DEFAULT_IPV6_SRC, `${p}/src`), 8);
  h.set(parseIpv6(s.dst ?? DEFAULT_IPV6_DST, `${p}/dst`), 24);
  return h;
}

/** Reads the 2-byte head of an extension header and checks its whole length fits. */
function extHead(b: Uint8Array, off: number, end: number, path: string): { nextHeader: number; hdrExtLen: number; len: number } {
  need(off, 2, end, path);
  const hdrExtLen = b[off + 1]!;
  const len = (hdrExtLen + 1) * 8;
  need(off, len, end, path);
  return { nextHeader: b[off]!, hdrExtLen, len };
}

/** Decodes a hop-by-hop or destination options header at `off`. */
export function decodeIpv6Options(kind: Ipv6OptionsLayer['kind'], b: Uint8Array, off: number, end: number, path: string): Ipv6OptionsLayer {
  const { nextHeader, hdrExtLen, len } = extHead(b, off, end, path);
  return { kind, offset: off, length: len, nextHeader, hdrExtLen, options: decodeOptions(b, off + 2, off + len, `${path}/options`, true) };
}

/** Pads the options area to a multiple of 8 bytes with Pad1 or PadN (RFC 8200 §4.2). */
export function encodeIpv6Options(s: Spec<'ipv6-hopopts' | 'ipv6-dstopts'>, ctx: EncodeContext): Uint8Array {
  const p = ctx.path;
  const opts = encodeOptions(s.options, `${p}/options`, true);
  const minExt = Math.ceil((opts.length + 2) / 8) - 1;
  const hdrExtLen = uint(s.hdrExtLen, 8, `${p}/hdrExtLen`, minExt);
  if (hdrExtLen < minExt) throw badSpec(`${p}/hdrExtLen`, `expected at least ${minExt} for the options, got ${hdrExtLen}`);
  const h = new Uint8Array((hdrExtLen + 1) * 8);
  h[0] = uint(s.nextHeader, 8, `${p}/nextHeader`, ipProtoFor(ctx.next));
  h[1] = hdrExtLen;
  h.set(opts, 2);
  const pad = h.length - 2 - opts.length;
  if (pad >= 2) {
    h[2 + opts.length] = 1;
    h[3 + opts.length] = pad - 2;
  }
  return h;
}

/** Decodes a routing header at `off`, its type-specific data as bytes. */
export function decodeIpv6Routing(b: Uint8Array, off: number, end: number, path: string): Ipv6RoutingLayer {
  const { nextHeader, hdrExtLen, len } = extHead(b, off, end, path);
  return {
    kind: 'ipv6-routing',
    offset: off,
    length: len,
    nextHeader,
    hdrExtLen,
    routingType: b[off + 2]!,
    segmentsLeft: b[off + 3]!,
    data: b.slice(off + 4, off + len),
  };
}

/** Defaults: type 4 (segment routing), no segments left, `data` zero-padded to a multiple of 8 bytes. */
export function encodeIpv6Routing(s: Spec<'ipv6-routing'>, ctx: EncodeContext): Uint8Array {
  const p = ctx.path;
  const data = s.data ?? new Uint8Array(4);
  const minExt = Math.ceil((data.length + 4) / 8) - 1;
  const hdrExtLen = uint(s.hdrExtLen, 8, `${p}/hdrExtLen`, minExt);
  if (hdrExtLen < minExt) throw badSpec(`${p}/hdrExtLen`, `expected at least ${minExt} for the data, got ${hdrExtLen}`);
  const h = new Uint8Array((hdrExtLen + 1) * 8);
  h[0] = uint(s.nextHeader, 8, `${p}/nextHeader`, ipProtoFor(ctx.next));
  h[1] = hdrExtLen;
  h[2] = uint(s.routingType, 8, `${p}/routingType`, 4);
  h[3] = uint(s.segmentsLeft, 8, `${p}/segmentsLeft`);
  h.set(data, 4);
  return h;
}

/** Decodes a fragment header at `off`. */
export function decodeIpv6Frag(b: Uint8Array, off: number, end: number, path: string): Ipv6FragLayer {
  need(off, 8, end, path);
  const w = get16(b, off + 2);
  return {
    kind: 'ipv6-frag',
    offset: off,
    length: 8,
    nextHeader: b[off]!,
    reserved: b[off + 1]!,
    fragOffset: w >>> 3,
    res: (w >>> 1) & 3,
    more: (w & 1) === 1,
    id: get32(b, off + 4),
  };
}

/** Defaults: offset 0, no more fragments, id 0. */
export function encodeIpv6Frag(s: Spec<'ipv6-frag'>, ctx: EncodeContext): Uint8Array {
  const p = ctx.path;
  const h = new Uint8Array(8);
  h[0] = uint(s.nextHeader, 8, `${p}/nextHeader`, ipProtoFor(ctx.next));
  h[1] = uint(s.reserved, 8, `${p}/reserved`);
  put16(h, 2, (uint(s.fragOffset, 13, `${p}/fragOffset`) << 3) | (uint(s.res, 2, `${p}/res`) << 1) | (s.more ? 1 : 0));
  put32(h, 4, uint(s.id, 32, `${p}/id`));
  return h;
}



