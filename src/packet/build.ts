import { parseIpv4, parseIpv6 } from './address.js';
import { encodeArp, encodeEth, encodeVlan } from './ethernet.js';
import { finalDestination, pseudoHeaderSumV4, pseudoHeaderSumV6 } from './internet-checksum.js';
import {
  DEFAULT_IPV4_DST,
  DEFAULT_IPV4_SRC,
  DEFAULT_IPV6_DST,
  DEFAULT_IPV6_SRC,
  encodeIpv4,
  encodeIpv6,
  encodeIpv6Frag,
  encodeIpv6Options,
  encodeIpv6Routing,
} from './ip.js';
import { ETH_P, type LayerSpec, parseTcpFlags } from './layers.js';
import { encodeIcmp, encodeTcp, encodeUdp } from './transport.js';
import { encodeGeneve, encodeGre, encodeVxlan } from './tunnel.js';
import { type EncodeContext, badSpec, concat } from './wire.js';

type Fields<K extends LayerSpec['kind']> = Omit<Extract<LayerSpec, { kind: K }>, 'kind' | 'offset' | 'length'>;

/** One VLAN tag of {@link PacketSpec}`.eth.vlans`, outermost first. */
export interface VlanTagSpec {
  vid: number;
  pcp?: number;
  dei?: number;
  /** The tag's TPID; default 0x88a8 (802.1ad) for all but the innermost of several tags, else 0x8100. */
  tpid?: number;
}

/** An IPv6 extension header of {@link PacketSpec}`.ipv6.ext`, in wire order. */
export type Ipv6ExtSpec = Extract<LayerSpec, { kind: 'ipv6-hopopts' | 'ipv6-routing' | 'ipv6-frag' | 'ipv6-dstopts' }>;

/**
 * A packet described by its headers, for {@link buildPacket}. Every field is optional: lengths,
 * checksums, next-protocol fields and UDP ports of tunnels are computed; the rest default as each
 * codec documents (MACs 02:00:00:00:00:01 → …:02, IPv4 10.0.0.1 → 10.0.0.2, IPv6 fd00::1 → fd00::2,
 * TTL/hop limit 64, TCP 12345 → 80, UDP 12345 → 7). A given value is used as is, even a wrong checksum.
 * A transport or tunnel header without a network header gets IPv4 with defaults (IPv6 for
 * `icmpv6`); a combination the builder cannot encode (TCP over ARP, ICMPv6 over IPv4, an unknown
 * field) is a PacketError.
 */
export interface PacketSpec {
  /** Ethernet, always present at the top and after VXLAN (with defaults when absent), elsewhere only when given. */
  eth?: Fields<'eth'> & { vlans?: VlanTagSpec[] };
  arp?: Fields<'arp'>;
  ipv4?: Fields<'ipv4'>;
  ipv6?: Fields<'ipv6'> & { ext?: Ipv6ExtSpec[] };
  gre?: Fields<'gre'>;
  /** `flags` as a number or as letters (`'S'`, `'SA'`, `'PA'`, `'.'` for ACK). */
  tcp?: Omit<Fields<'tcp'>, 'flags'> & { flags?: number | string };
  /** Implied (with defaults) under `vxlan` and `geneve`. */
  udp?: Fields<'udp'>;
  icmp?: Fields<'icmp'>;
  icmpv6?: Fields<'icmpv6'>;
  vxlan?: Fields<'vxlan'>;
  geneve?: Fields<'geneve'>;
  /** The encapsulated packet after GRE, VXLAN, Geneve or an IP-in-IP header. */
  inner?: PacketSpec;
  /** Bytes after the innermost header: bytes, UTF-8 text, or that many zero bytes. */
  payload?: Uint8Array | string | number;
  /** Bytes after the whole packet, outside every length field (top level only). */
  trailer?: Uint8Array;
  /** Pad the frame with zero bytes in the trailer up to this length (60 for Ethernet's minimum). */
  padTo?: number;
}

const SPEC_FIELDS = new Set(['eth', 'arp', 'ipv4', 'ipv6', 'gre', 'tcp', 'udp', 'icmp', 'icmpv6', 'vxlan', 'geneve', 'inner', 'payload', 'trailer', 'padTo']);

function payloadBytes(p: PacketSpec['payload'], path: string): Uint8Array {
  if (p === undefined) return new Uint8Array(0);
  if (typeof p === 'string') return new TextEncoder().encode(p);
  if (typeof p === 'number') {
    if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw badSpec(path, `expected a byte count in 0..65535, got ${p}`);
    return new Uint8Array(p);
  }
  return p;
}

/** The layers of `spec`, and the payload of its innermost packet. */
function toLayers(spec: PacketSpec, ethImplied: boolean, path: string): { layers: LayerSpec[]; payload: Uint8Array } {
  if (spec === null || typeof spec !== 'object') throw badSpec(path || '/', `expected a packet description object, got ${spec === null ? 'null' : typeof spec}`);
  const layers: LayerSpec[] = [];
  const net = (['arp', 'ipv4', 'ipv6'] as const).filter((k) => spec[k] !== undefined);
  if (net.length > 1) throw badSpec(path, `expected at most one of arp, ipv4, ipv6, got ${net.join(', ')}; put the encapsulated one in inner`);
  const l4 = (['tcp', 'icmp', 'icmpv6', 'gre'] as const).filter((k) => spec[k] !== undefined);
  const tun = (['vxlan', 'geneve'] as const).filter((k) => spec[k] !== undefined);
  for (const key of Object.keys(spec)) if (!SPEC_FIELDS.has(key)) throw badSpec(`${path}${key}`, 'unknown header or field');
  const above = [...l4, ...tun, ...(spec.udp ? ['udp'] : [])];
  if (spec.arp && above.length) throw badSpec(`${path}${above[0]}`, 'expected an IP header under it, got arp');
  if (spec.icmpv6 && spec.ipv4) throw badSpec(`${path}icmpv6`, 'ICMPv6 needs ipv6, got ipv4');
  if (spec.icmp && spec.ipv6) throw badSpec(`${path}icmp`, 'ICMP needs ipv4, got ipv6 (use icmpv6)');
  if (l4.length + (spec.udp || tun.length ? 1 : 0) > 1 || tun.length > 1) {
    throw badSpec(path, `expected at most one transport or tunnel header, got ${[...l4, ...tun, ...(spec.udp ? ['udp'] : [])].join(', ')}`);
  }
  if (spec.eth || ethImplied) {
    const { vlans = [], ...eth } = spec.eth ?? {};
    const tpid = (k: number): number => vlans[k]?.tpid ?? (k < vlans.length - 1 ? ETH_P['8021AD'] : ETH_P['8021Q']);
    layers.push({ kind: 'eth', ...eth, ...(vlans.length && eth.type === undefined ? { type: tpid(0) } : {}) });
    vlans.forEach((v, k) => {
      layers.push({ kind: 'vlan', vid: v.vid, pcp: v.pcp, dei: v.dei, ...(k + 1 < vlans.length ? { type: tpid(k + 1) } : {}) });
    });
  }
  if (spec.arp) layers.push({ kind: 'arp', ...spec.arp });
  if (spec.ipv4) layers.push({ kind: 'ipv4', ...spec.ipv4 });
  // A transport header needs a network header: IPv4 by default, rather than an EtherType with raw TCP after it.
  if (!net.length && above.length) layers.push(spec.icmpv6 ? { kind: 'ipv6' } : { kind: 'ipv4' });
  if (spec.ipv6) {
    const { ext = [], ...ip } = spec.ipv6;
    layers.push({ kind: 'ipv6', ...ip }, ...ext);
  }
  if (spec.gre) layers.push({ kind: 'gre', ...spec.gre });
  if (spec.tcp) {
    const { flags, ...tcp } = spec.tcp;
    const f = typeof flags === 'string' ? parseTcpFlags(flags) : flags;
    if (typeof flags === 'string' && f === undefined) throw badSpec(`${path}tcp/flags`, `expected flag letters FSRPAUEC, got '${flags}'`);
    layers.push({ kind: 'tcp', ...tcp, flags: f });
  }
  if (spec.udp || tun.length) layers.push({ kind: 'udp', ...spec.udp });
  if (spec.icmp) layers.push({ kind: 'icmp', ...spec.icmp });
  if (spec.icmpv6) layers.push({ kind: 'icmpv6', ...spec.icmpv6 });
  if (spec.vxlan) layers.push({ kind: 'vxlan', ...spec.vxlan });
  if (spec.geneve) layers.push({ kind: 'geneve', ...spec.geneve });
  if (spec.inner) {
    if (spec.payload !== undefined) throw badSpec(`${path}payload`, 'expected the payload in the innermost packet, got it beside inner');
    const inner = toLayers(spec.inner, spec.vxlan !== undefined, `${path}inner/`);
    return { layers: [...layers, ...inner.layers], payload: inner.payload };
  }
  return { layers, payload: payloadBytes(spec.payload, `${path}payload`) };
}

/**
 * Builds a frame from a friendly description: `buildPacket({ eth: {}, ipv4: { ttl: 64 }, tcp: {
 * dport: 80, flags: 'S' }, payload: 'hi' })`. Lengths and checksums are right unless given.
 * Throws a PacketError `packet/bad-spec` (or `packet/bad-address`) with the path of a field that
 * cannot be encoded.
 */
export function buildPacket(spec: PacketSpec): Uint8Array {
  const { layers, payload } = toLayers(spec, true, '');
  let frame = buildLayers(layers, payload, spec.trailer);
  if (spec.padTo !== undefined && frame.length < spec.padTo) frame = concat(frame, new Uint8Array(spec.padTo - frame.length));
  return frame;
}

function encode(s: LayerSpec, ctx: EncodeContext): Uint8Array {
  switch (s.kind) {
    case 'eth':
      return encodeEth(s, ctx);
    case 'vlan':
      return encodeVlan(s, ctx);
    case 'arp':
      return encodeArp(s, ctx);
    case 'ipv4':
      return encodeIpv4(s, ctx);
    case 'ipv6':
      return encodeIpv6(s, ctx);
    case 'ipv6-hopopts':
    case 'ipv6-dstopts':
      return encodeIpv6Options(s, ctx);
    case 'ipv6-routing':
      return encodeIpv6Routing(s, ctx);
    case 'ipv6-frag':
      return encodeIpv6Frag(s, ctx);
    case 'tcp':
      return encodeTcp(s, ctx);
    case 'udp':
      return encodeUdp(s, ctx);
    case 'icmp':
    case 'icmpv6':
      return encodeIcmp(s, ctx);
    case 'vxlan':
      return encodeVxlan(s, ctx);
    case 'geneve':
      return encodeGeneve(s, ctx);
    case 'gre':
      return encodeGre(s, ctx);
  }
}

/** The pseudo-header of the IP header enclosing layer `i` (through IPv6 routing headers), if any. */
function pseudoFor(layers: readonly LayerSpec[], i: number, path: string): EncodeContext['pseudo'] {
  for (let j = i - 1; j >= 0; j--) {
    const l = layers[j]!;
    if (l.kind === 'ipv4') {
      const src = parseIpv4(l.src ?? DEFAULT_IPV4_SRC, `${path}ipv4/src`);
      const dst = parseIpv4(l.dst ?? DEFAULT_IPV4_DST, `${path}ipv4/dst`);
      return (len, proto) => pseudoHeaderSumV4(src, dst, proto, len);
    }
    if (l.kind === 'ipv6') {
      const src = parseIpv6(l.src ?? DEFAULT_IPV6_SRC, `${path}ipv6/src`);
      let dst = parseIpv6(l.dst ?? DEFAULT_IPV6_DST, `${path}ipv6/dst`);
      for (let k = j + 1; k < i; k++) {
        const r = layers[k]!;
        if (r.kind === 'ipv6-routing') dst = finalDestination(r.routingType ?? 4, r.segmentsLeft ?? 0, r.data ?? new Uint8Array(4)) ?? dst;
      }
      return (len, proto) => pseudoHeaderSumV6(src, dst, proto, len);
    }
  }
  return undefined;
}

/**
 * Builds a frame from headers in wire order, then `payload`, then `trailer` (outside every
 * length field). Fields left out are computed or defaulted as each header's codec documents,
 * innermost first, so that outer lengths and checksums cover the inner headers. With the
 * layers, payload and trailer of {@link parsePacket} it gives back the parsed frame.
 */
export function buildLayers(layers: readonly LayerSpec[], payload: Uint8Array = new Uint8Array(0), trailer: Uint8Array = new Uint8Array(0)): Uint8Array {
  const seen = new Map<string, number>();
  const paths = layers.map((l) => {
    const n = seen.get(l.kind) ?? 0;
    seen.set(l.kind, n + 1);
    return n === 0 ? l.kind : `${l.kind}[${n}]`;
  });
  let inner = payload;
  for (let i = layers.length - 1; i >= 0; i--) {
    const s = layers[i]!;
    const l4 = s.kind === 'tcp' || s.kind === 'udp' || s.kind === 'icmp' || s.kind === 'icmpv6';
    const ctx: EncodeContext = { next: layers[i + 1]?.kind, inner, path: paths[i]!, pseudo: l4 ? pseudoFor(layers, i, '') : undefined };
    inner = concat(encode(s, ctx), inner);
  }
  return trailer.length ? concat(inner, trailer) : inner;
}
