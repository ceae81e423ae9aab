import { PacketError } from '../internal/errors.js';
import { type HeaderOption, type LayerKind, ETH_P, IPPROTO } from './layers.js';

/**
 * Big-endian field access and the errors shared by the header codecs. Reads check bounds
 * themselves, so a short frame is a PacketError with a path, never DataView's RangeError.
 */

/** A header (or a piece of one at `path`) that does not fit in the bytes left. */
export function truncated(path: string, want: number, got: number): PacketError {
  return new PacketError('packet/truncated', `${path}: expected ${want} bytes, got ${Math.max(0, got)}`, path);
}

/** A field whose value makes the header unreadable (a length shorter than the header). */
export function badField(path: string, message: string): PacketError {
  return new PacketError('packet/bad-field', `${path}: ${message}`, path);
}

/** A build description that cannot be encoded (a value out of its field's range). */
export function badSpec(path: string, message: string): PacketError {
  return new PacketError('packet/bad-spec', `${path}: ${message}`, path);
}

/** Throws `packet/truncated` unless `len` bytes at `off` lie before `end`. */
export function need(off: number, len: number, end: number, path: string): void {
  if (off + len > end) throw truncated(path, len, end - off);
}

/** The big-endian 16-bit value at `off` (the caller has checked bounds). */
export function get16(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}

/** The big-endian 32-bit value at `off`, unsigned. */
export function get32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** The big-endian 24-bit value at `off`. */
export function get24(b: Uint8Array, off: number): number {
  return (b[off]! << 16) | (b[off + 1]! << 8) | b[off + 2]!;
}

/** Stores `v` big-endian in 16 bits at `off`. */
export function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 8;
  b[off + 1] = v & 0xff;
}

/** Stores `v` big-endian in 24 bits at `off`. */
export function put24(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 16;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = v & 0xff;
}

/** Stores `v` big-endian in 32 bits at `off`. */
export function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** `value` (or `dflt` when undefined) checked to be an integer of `bits` bits. */
export function uint(value: number | undefined, bits: number, path: string, dflt = 0): number {
  const v = value ?? dflt;
  const max = 2 ** bits - 1;
  if (!Number.isInteger(v) || v < 0 || v > max) throw badSpec(path, `expected an integer in 0..${max}, got ${v}`);
  return v;
}

/** The bytes of `parts` one after another. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Decodes `type`/`length`/`data` options in `[off, end)` where types 0 and 1 are single bytes
 * (IPv4 and TCP; IPv6 options use {@link decodeTlvOptions} with `eolIsPad`). After type 0 the
 * rest of the area is that option's `data`, so it round-trips.
 */
export function decodeOptions(b: Uint8Array, off: number, end: number, path: string, ipv6 = false): HeaderOption[] {
  const out: HeaderOption[] = [];
  while (off < end) {
    const type = b[off]!;
    const here = `${path}/${out.length}`;
    if (type === 0 && !ipv6) {
      out.push({ type, data: b.slice(off + 1, end) });
      return out;
    }
    if (type === (ipv6 ? 0 : 1)) {
      out.push({ type, data: new Uint8Array(0) });
      off += 1;
      continue;
    }
    need(off, 2, end, here);
    const len = ipv6 ? b[off + 1]! + 2 : b[off + 1]!;
    if (len < 2) throw badField(here, `expected option length at least 2, got ${len}`);
    need(off, len, end, here);
    out.push({ type, data: b.slice(off + 2, off + len) });
    off += len;
  }
  return out;
}

/** Encodes options as {@link decodeOptions} reads them (`ipv6`: Pad1 is type 0 and lengths exclude the 2-byte head). */
export function encodeOptions(options: readonly HeaderOption[] | undefined, path: string, ipv6 = false): Uint8Array {
  const parts: Uint8Array[] = [];
  (options ?? []).forEach((o, i) => {
    const type = uint(o.type, 8, `${path}/${i}/type`);
    const data = o.data ?? new Uint8Array(0);
    if (type === 0 && !ipv6) parts.push(concat(Uint8Array.of(0), data));
    else if (type === (ipv6 ? 0 : 1)) parts.push(Uint8Array.of(type));
    else {
      const len = ipv6 ? data.length : data.length + 2;
      if (len > 255) throw badSpec(`${path}/${i}/data`, `expected at most ${ipv6 ? 255 : 253} bytes, got ${data.length}`);
      parts.push(concat(Uint8Array.of(type, len), data));
    }
  });
  return concat(...parts);
}

/** The EtherType announcing a layer of `kind` after an Ethernet, VLAN, GRE or Geneve header. */
export function etherTypeFor(kind: LayerKind | undefined): number {
  switch (kind) {
    case 'vlan':
      return ETH_P['8021Q'];
    case 'ipv4':
      return ETH_P.IP;
    case 'ipv6':
      return ETH_P.IPV6;
    case 'arp':
      return ETH_P.ARP;
    case 'eth':
      return ETH_P.TEB;
    default:
      return ETH_P.LOCAL_EXP;
  }
}

/** The IP protocol number announcing a layer of `kind` after an IP or IPv6 extension header. */
export function ipProtoFor(kind: LayerKind | undefined): number {
  switch (kind) {
    case 'tcp':
      return IPPROTO.TCP;
    case 'udp':
      return IPPROTO.UDP;
    case 'icmp':
      return IPPROTO.ICMP;
    case 'icmpv6':
      return IPPROTO.ICMPV6;
    case 'gre':
      return IPPROTO.GRE;
    case 'ipv4':
      return IPPROTO.IPIP;
    case 'ipv6':
      return IPPROTO.IPV6;
    case 'ipv6-hopopts':
      return IPPROTO.HOPOPTS;
    case 'ipv6-routing':
      return IPPROTO.ROUTING;
    case 'ipv6-frag':
      return IPPROTO.FRAGMENT;
    case 'ipv6-dstopts':
      return IPPROTO.DSTOPTS;
    default:
      return IPPROTO.NONE;
  }
}

/** What an encoder knows about its surroundings when building a header. */
export interface EncodeContext {
  /** The kind of the layer after this one, for next-protocol defaults. */
  next?: LayerKind;
  /** Every byte after this header (inner headers and payload, without the frame's trailer). */
  inner: Uint8Array;
  /** Path for errors: the layer kind, with its index when it is not the first of its kind. */
  path: string;
  /** Unfolded pseudo-header sum of the enclosing IP header for `(length, protocol)`; absent outside IP. */
  pseudo?: (length: number, protocol: number) => number;
}
