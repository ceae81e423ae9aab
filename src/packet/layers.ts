/**
 * The layered packet representation shared by {@link parsePacket} and {@link buildLayers}: one
 * object per header, in wire order, each with its byte `offset` in the frame, its header `length`
 * in bytes and every field of the header (reserved bits included), so that building the parsed
 * layers gives back the same bytes. Field names follow the RFCs; addresses are strings.
 */

/** Where a header sits in the frame: byte offset and header length in bytes. */
export interface LayerBase {
  offset: number;
  length: number;
}

/** Ethernet II header (IEEE 802.3 §3.1.1): 14 bytes. `type` is the EtherType or TPID that follows. */
export interface EthLayer extends LayerBase {
  kind: 'eth';
  dst: string;
  src: string;
  type: number;
}

/**
 * One IEEE 802.1Q/802.1ad tag after its TPID (which is the previous layer's `type`): the 2-byte
 * TCI (`pcp` 3 bits, `dei` 1 bit, `vid` 12 bits) and the EtherType that follows: 4 bytes.
 */
export interface VlanLayer extends LayerBase {
  kind: 'vlan';
  pcp: number;
  dei: number;
  vid: number;
  type: number;
}

/** ARP for Ethernet/IPv4 (RFC 826): 28 bytes. Other hardware/protocol sizes are left as payload. */
export interface ArpLayer extends LayerBase {
  kind: 'arp';
  htype: number;
  ptype: number;
  /** 1 request, 2 reply. */
  op: number;
  sha: string;
  spa: string;
  tha: string;
  tpa: string;
}

/**
 * An IPv4 or TCP option (RFC 791 §3.1, RFC 9293 §3.1): `type` 0 (end of list) and 1 (no-op) are
 * one byte, every other type is type, length, `data`. For type 0, `data` holds the bytes after it up
 * to the end of the header (padding, normally zeros), so that a header round-trips exactly.
 */
export interface HeaderOption {
  type: number;
  data: Uint8Array;
}

/** IPv4 header (RFC 791 §3.1). `flags` is the 3-bit field (reserved, DF 0x2, MF 0x1); `fragOffset` in 8-byte units. */
export interface Ipv4Layer extends LayerBase {
  kind: 'ipv4';
  version: number;
  /** Header length in 32-bit words. */
  ihl: number;
  dscp: number;
  ecn: number;
  /** Total length in bytes, header included. */
  totalLength: number;
  id: number;
  flags: number;
  fragOffset: number;
  ttl: number;
  protocol: number;
  check: number;
  src: string;
  dst: string;
  options: HeaderOption[];
}

/** IPv6 fixed header (RFC 8200 §3): 40 bytes. */
export interface Ipv6Layer extends LayerBase {
  kind: 'ipv6';
  version: number;
  trafficClass: number;
  flowLabel: number;
  /** Bytes after the fixed header, extension headers included. */
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: string;
  dst: string;
}

/**
 * Hop-by-hop or destination options header (RFC 8200 §4.3, §4.6). Options are TLVs, except Pad1
 * (type 0), which is one byte with empty `data`.
 */
export interface Ipv6OptionsLayer extends LayerBase {
  kind: 'ipv6-hopopts' | 'ipv6-dstopts';
  nextHeader: number;
  /** Header length in 8-byte units, not counting the first 8 bytes. */
  hdrExtLen: number;
  options: HeaderOption[];
}

/** Routing header (RFC 8200 §4.4): `data` is the type-specific part after the first 4 bytes. */
export interface Ipv6RoutingLayer extends LayerBase {
  kind: 'ipv6-routing';
  nextHeader: number;
  hdrExtLen: number;
  routingType: number;
  segmentsLeft: number;
  data: Uint8Array;
}

/** Fragment header (RFC 8200 §4.5): 8 bytes. `fragOffset` in 8-byte units; `res` the 2 reserved bits. */
export interface Ipv6FragLayer extends LayerBase {
  kind: 'ipv6-frag';
  nextHeader: number;
  reserved: number;
  fragOffset: number;
  res: number;
  more: boolean;
  id: number;
}

/**
 * TCP header (RFC 9293 §3.1). `flags` is the low 8 flag bits (CWR ECE URG ACK PSH RST SYN FIN, see
 * {@link TCP_FLAGS}); `reserved` the 4 bits before them (AE is 0x1, RFC 9768).
 */
export interface TcpLayer extends LayerBase {
  kind: 'tcp';
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** Header length in 32-bit words. */
  dataOffset: number;
  reserved: number;
  flags: number;
  window: number;
  check: number;
  urgent: number;
  options: HeaderOption[];
}

/** UDP header (RFC 768): 8 bytes; `len` is the UDP Length field, header and data in bytes. */
export interface UdpLayer extends LayerBase {
  kind: 'udp';
  sport: number;
  dport: number;
  len: number;
  check: number;
}

/**
 * ICMP (RFC 792) or ICMPv6 (RFC 4443) header: 8 bytes. `id` and `seq` are bytes 4–7 as two
 * 16-bit halves: identifier and sequence number for echo, the type's own fields otherwise.
 */
export interface IcmpLayer extends LayerBase {
  kind: 'icmp' | 'icmpv6';
  type: number;
  code: number;
  check: number;
  id: number;
  seq: number;
}

/** VXLAN header (RFC 7348 §5): 8 bytes; `flags` 0x08 is the I (valid VNI) flag. */
export interface VxlanLayer extends LayerBase {
  kind: 'vxlan';
  flags: number;
  reserved1: number;
  vni: number;
  reserved2: number;
}

/** A Geneve option (RFC 8926 §3.5): `data` is a multiple of 4 bytes; `flags` the 3 reserved bits (default 0 when building). */
export interface GeneveOption {
  class: number;
  type: number;
  flags?: number;
  data: Uint8Array;
}

/** Geneve header (RFC 8926 §3.4): 8 bytes plus `optLen` 4-byte words of options. */
export interface GeneveLayer extends LayerBase {
  kind: 'geneve';
  version: number;
  optLen: number;
  oam: boolean;
  critical: boolean;
  reserved: number;
  /** EtherType of the payload: 0x6558 Ethernet, 0x0800 IPv4, 0x86dd IPv6. */
  protocol: number;
  vni: number;
  reserved2: number;
  options: GeneveOption[];
}

/**
 * GRE header, version 0 (RFC 2784, key and sequence from RFC 2890). `flags` is the whole first
 * 16-bit word: C 0x8000, K 0x2000, S 0x1000, version in the low 3 bits. The optional fields are
 * present exactly when their flag is set.
 */
export interface GreLayer extends LayerBase {
  kind: 'gre';
  flags: number;
  protocol: number;
  check?: number;
  reserved1?: number;
  key?: number;
  seq?: number;
}

/** Any parsed header. */
export type Layer =
  | EthLayer
  | VlanLayer
  | ArpLayer
  | Ipv4Layer
  | Ipv6Layer
  | Ipv6OptionsLayer
  | Ipv6RoutingLayer
  | Ipv6FragLayer
  | TcpLayer
  | UdpLayer
  | IcmpLayer
  | VxlanLayer
  | GeneveLayer
  | GreLayer;

/** The kinds of header, as in `Layer['kind']`. */
export type LayerKind = Layer['kind'];

/**
 * A header to build: its `kind` and any of its fields; the rest get defaults (lengths, checksums
 * and next-protocol fields computed from the layers around it). A parsed {@link Layer} is a
 * LayerSpec (its `offset` and `length` are ignored).
 */
export type LayerSpec = {
  [K in LayerKind]: { kind: K } & Partial<Omit<LayerOf<K>, 'kind'>>;
}[LayerKind];

/** The parsed layer type of one kind (`LayerOf<'tcp'>` is TcpLayer). */
export type LayerOf<K extends LayerKind> = Layer & { kind: K };

/** EtherTypes (IEEE 802 numbers, linux/if_ether.h). */
export const ETH_P = {
  IP: 0x0800,
  ARP: 0x0806,
  TEB: 0x6558,
  '8021Q': 0x8100,
  '8021AD': 0x88a8,
  IPV6: 0x86dd,
  /** IEEE local experimental EtherType 1: the default when nothing follows. */
  LOCAL_EXP: 0x88b5,
} as const;

/** IP protocol numbers (IANA, linux/in.h, linux/in6.h). */
export const IPPROTO = {
  HOPOPTS: 0,
  ICMP: 1,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
} as const;

/** TCP flag bits (RFC 9293 §3.1) by the letter {@link formatTcpFlags} uses. */
export const TCP_FLAGS = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 } as const;

/** UDP destination ports that carry tunnels: VXLAN (RFC 7348 §5), Geneve (RFC 8926 §3.3). */
export const UDP_PORT = { VXLAN: 4789, GENEVE: 6081 } as const;

/** TCP flags as letters in the order S F R P A U E C (`SA` for SYN+ACK), `none` for 0. */
export function formatTcpFlags(flags: number): string {
  const out = 'SFRPAUEC'
    .split('')
    .filter((c) => flags & TCP_FLAGS[c as keyof typeof TCP_FLAGS])
    .join('');
  return out === '' ? 'none' : out;
}

/** Parses TCP flag letters (`SA`, `PA`, `.` for ACK as tcpdump prints it) into the flag byte. */
export function parseTcpFlags(text: string): number | undefined {
  let flags = 0;
  for (const c of text.toUpperCase()) {
    if (c === '.') flags |= TCP_FLAGS.A;
    else if (c in TCP_FLAGS) flags |= TCP_FLAGS[c as keyof typeof TCP_FLAGS];
    else return undefined;
  }
  return flags;
}
