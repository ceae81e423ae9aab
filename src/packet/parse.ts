import { PacketError } from '../internal/errors.js';
import { decodeArp, decodeEth, decodeVlan, isEthernetArp } from './ethernet.js';
import { decodeIpv4, decodeIpv6, decodeIpv6Frag, decodeIpv6Options, decodeIpv6Routing } from './ip.js';
import { ETH_P, IPPROTO, type Layer, type LayerKind, UDP_PORT } from './layers.js';
import { decodeIcmp, decodeTcp, decodeUdp } from './transport.js';
import { decodeGeneve, decodeGre, decodeVxlan, isGreV0 } from './tunnel.js';

/** A frame split into headers, payload and trailer. */
export interface ParsedPacket {
  /** The headers in wire order, outermost first. */
  layers: Layer[];
  /** Byte offset of the payload: the end of the last header. */
  payloadOffset: number;
  /** The bytes after the last header up to the end the innermost length field gives (a view of the frame). */
  payload: Uint8Array;
  /**
   * The bytes after that end, such as Ethernet padding to 60 bytes (a view of the frame). Building
   * `layers` with `payload` and `trailer` gives back the frame.
   */
  trailer: Uint8Array;
  /** A length field (IPv4 total length, IPv6 payload length, UDP length) claims more bytes than there are. */
  truncated: boolean;
  /** With `lenient`: the error that stopped parsing; its header and the rest are in `payload`. */
  error?: PacketError;
}

/** Options of {@link parsePacket}. */
export interface ParseOptions {
  /** Start with this header instead of Ethernet: `'ipv4'`, `'ipv6'` for a raw IP packet. Default `'eth'`. */
  first?: 'eth' | 'ipv4' | 'ipv6';
  /** Keep the headers that parsed and return the error in `error` instead of throwing. Default false. */
  lenient?: boolean;
}

type Next = LayerKind | 'payload';

function byEtherType(type: number, b: Uint8Array, off: number, end: number): Next {
  switch (type) {
    case ETH_P['8021Q']:
    case ETH_P['8021AD']:
    case 0x9100: // pre-standard QinQ TPID, still in the wild
      return 'vlan';
    case ETH_P.IP:
      return 'ipv4';
    case ETH_P.IPV6:
      return 'ipv6';
    case ETH_P.ARP:
      return isEthernetArp(b, off, end) ? 'arp' : 'payload';
    default:
      return 'payload';
  }
}

/** Tunnel payloads (GRE, Geneve) name an EtherType; 0x6558 is a whole Ethernet frame. */
function byTunnelProtocol(type: number, b: Uint8Array, off: number, end: number): Next {
  return type === ETH_P.TEB ? 'eth' : type === ETH_P.IP || type === ETH_P.IPV6 ? byEtherType(type, b, off, end) : 'payload';
}

function byIpProto(proto: number, afterIpv6: boolean, b: Uint8Array, off: number, end: number): Next {
  switch (proto) {
    case IPPROTO.TCP:
      return 'tcp';
    case IPPROTO.UDP:
      return 'udp';
    case IPPROTO.ICMP:
      return 'icmp';
    case IPPROTO.ICMPV6:
      return 'icmpv6';
    case IPPROTO.GRE:
      return isGreV0(b, off, end) ? 'gre' : 'payload';
    case IPPROTO.IPIP:
      return 'ipv4';
    case IPPROTO.IPV6:
      return 'ipv6';
  }
  if (!afterIpv6) return 'payload';
  switch (proto) {
    case IPPROTO.HOPOPTS:
      return 'ipv6-hopopts';
    case IPPROTO.ROUTING:
      return 'ipv6-routing';
    case IPPROTO.FRAGMENT:
      return 'ipv6-frag';
    case IPPROTO.DSTOPTS:
      return 'ipv6-dstopts';
    default:
      return 'payload';
  }
}

function decode(kind: LayerKind, b: Uint8Array, off: number, end: number, path: string): Layer {
  switch (kind) {
    case 'eth':
      return decodeEth(b, off, end, path);
    case 'vlan':
      return decodeVlan(b, off, end, path);
    case 'arp':
      return decodeArp(b, off, end, path);
    case 'ipv4':
      return decodeIpv4(b, off, end, path);
    case 'ipv6':
      return decodeIpv6(b, off, end, path);
    case 'ipv6-hopopts':
    case 'ipv6-dstopts':
      return decodeIpv6Options(kind, b, off, end, path);
    case 'ipv6-routing':
      return decodeIpv6Routing(b, off, end, path);
    case 'ipv6-frag':
      return decodeIpv6Frag(b, off, end, path);
    case 'tcp':
      return decodeTcp(b, off, end, path);
    case 'udp':
      return decodeUdp(b, off, end, path);
    case 'icmp':
    case 'icmpv6':
      return decodeIcmp(kind, b, off, end, path);
    case 'vxlan':
      return decodeVxlan(b, off, end, path);
    case 'geneve':
      return decodeGeneve(b, off, end, path);
    case 'gre':
      return decodeGre(b, off, end, path);
  }
}

/**
 * Parses a frame (from its Ethernet header, or `options.first`) into its headers, following
 * EtherTypes, VLAN tags, IP protocols, IPv6 extension headers (hop-by-hop, routing, fragment,
 * destination options) and tunnels (VXLAN on UDP port 4789, Geneve on 6081, GRE version 0)
 * into the encapsulated packet. What it does not know (another EtherType, ESP, a non-first IP
 * fragment, ARP for other than Ethernet/IPv4) is payload, not an error.
 *
 * Throws a PacketError with a path (`ipv4/options/0: expected 4 bytes, got 2`): `packet/truncated`
 * when a header does not fit in the frame or in the length its outer header gives, `packet/bad-field`
 * when a field makes the header unreadable (IPv4 IHL below 5, a TCP data offset below 5, an option
 * length below 2, a wrong IP version). Headers after the start of a first fragment that do not fit
 * end the parse without an error. A length field claiming more bytes than the frame has only sets
 * `truncated`.
 */
export function parsePacket(frame: Uint8Array, options: ParseOptions = {}): ParsedPacket {
  const layers: Layer[] = [];
  const seen = new Map<string, number>();
  let off = 0;
  let end = frame.length;
  let truncated = false;
  let next: Next = options.first ?? 'eth';
  let inFragment = false;
  let error: PacketError | undefined;
  const narrow = (limit: number): void => {
    if (limit > end) truncated = true;
    end = Math.min(end, limit);
  };
  try {
    while (next !== 'payload') {
      const n = seen.get(next) ?? 0;
      seen.set(next, n + 1);
      const l = decode(next, frame, off, end, n === 0 ? next : `${next}[${n}]`);
      layers.push(l);
      off += l.length;
      switch (l.kind) {
        case 'eth':
        case 'vlan':
          next = byEtherType(l.type, frame, off, end);
          break;
        case 'ipv4':
          narrow(l.offset + l.totalLength);
          inFragment ||= (l.flags & 1) !== 0;
          next = l.fragOffset !== 0 ? 'payload' : byIpProto(l.protocol, false, frame, off, end);
          break;
        case 'ipv6':
          narrow(off + l.payloadLength);
          next = byIpProto(l.nextHeader, true, frame, off, end);
          break;
        case 'ipv6-frag':
          inFragment ||= l.more;
          next = l.fragOffset !== 0 ? 'payload' : byIpProto(l.nextHeader, true, frame, off, end);
          break;
        case 'ipv6-hopopts':
        case 'ipv6-dstopts':
        case 'ipv6-routing':
          next = byIpProto(l.nextHeader, true, frame, off, end);
          break;
        case 'udp':
          narrow(l.offset + l.len);
          next = l.dport === UDP_PORT.VXLAN ? 'vxlan' : l.dport === UDP_PORT.GENEVE ? 'geneve' : 'payload';
          break;
        case 'vxlan':
          next = 'eth';
          break;
        case 'geneve':
        case 'gre':
          next = byTunnelProtocol(l.protocol, frame, off, end);
          break;
        default:
          next = 'payload';
      }
    }
  } catch (err) {
    const e = asPacketError(err, next);
    if (!inFragment || e.code !== 'packet/truncated') {
      if (!options.lenient) throw e;
      error = e;
    }
  }
  const payloadEnd = Math.max(off, end);
  return {
    layers,
    payloadOffset: off,
    payload: frame.subarray(off, payloadEnd),
    trailer: frame.subarray(payloadEnd),
    truncated,
    ...(error ? { error } : {}),
  };
}

/** DataView and typed-array RangeErrors become `packet/truncated`; anything else is a bug and stays as is. */
function asPacketError(err: unknown, kind: string): PacketError {
  if (err instanceof PacketError) return err;
  if (err instanceof RangeError) return new PacketError('packet/truncated', `${kind}: ${err.message}`, kind);
  throw err;
}
