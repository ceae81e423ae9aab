import fc from 'fast-check';
import { formatIpv4, formatIpv6, formatMac } from '../packet/address.js';
import { type Ipv6ExtSpec, type PacketSpec, buildPacket } from '../packet/build.js';
import { type HeaderOption, UDP_PORT } from '../packet/layers.js';

/**
 * fast-check arbitraries for property tests of packet programs: addresses, and whole frames
 * (Ethernet first) with right lengths and checksums, built with {@link buildPacket}. Options take
 * either a fixed value or an arbitrary, so a test can pin what it needs (`dport: 80`) and vary
 * the rest. Shrinking works on the description, so a failing frame shrinks to a small one.
 */

/** A fixed value or an arbitrary of values. */
export type Gen<T> = T | fc.Arbitrary<T>;

function gen<T>(v: Gen<T> | undefined, dflt: fc.Arbitrary<T>): fc.Arbitrary<T> {
  if (v === undefined) return dflt;
  return v instanceof fc.Arbitrary ? v : fc.constant(v);
}

/** Options shared by the packet arbitraries; every field defaults to "anything valid". */
export interface ArbPacketOptions {
  /** Source IP address (IPv4 or IPv6 text, matching the packet's version). */
  src?: Gen<string>;
  /** Destination IP address. */
  dst?: Gen<string>;
  srcMac?: Gen<string>;
  dstMac?: Gen<string>;
  /** Transport source port. */
  sport?: Gen<number>;
  /** Transport destination port. */
  dport?: Gen<number>;
  /** Payload bytes. Default: 0 to 64 random bytes. */
  payload?: fc.Arbitrary<Uint8Array>;
  /** VLAN tag: `true` for a random VID, a VID, or `false` for none. Default: sometimes one tag. */
  vlan?: boolean | Gen<number>;
}

/** A MAC address as `02:00:00:00:00:01` text; `unicast` clears the group bit. Default: any. */
export function arbMac(options: { unicast?: boolean } = {}): fc.Arbitrary<string> {
  return fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => {
    if (options.unicast) b[0] = b[0]! & 0xfe;
    return formatMac(b);
  });
}

/** An IPv4 address as dotted-quad text, any of the 2^32. */
export function arbIpv4(): fc.Arbitrary<string> {
  return fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIpv4(b));
}

/** An IPv6 address in RFC 5952 text; runs of zero groups are common so `::` forms appear. */
export function arbIpv6(): fc.Arbitrary<string> {
  const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
  return fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => {
    const b = new Uint8Array(16);
    g.forEach((v, i) => {
      b[2 * i] = v >> 8;
      b[2 * i + 1] = v & 0xff;
    });
    return formatIpv6(b);
  });
}

const port = fc.integer({ min: 0, max: 0xffff });
/** A UDP destination port whose random payload the parser will not read as VXLAN or Geneve. */
const udpDport = port.filter((p) => p !== UDP_PORT.VXLAN && p !== UDP_PORT.GENEVE);
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = port;
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max });
const opt = (type: number, data: number[] = []): HeaderOption => ({ type, data: Uint8Array.from(data) });

/** Well-formed TCP options: MSS, window scale, SACK permitted, timestamps, no-ops. */
const tcpOptions = fc.array(
  fc.oneof(
    fc.constant(opt(1)),
    u16.map((mss) => opt(2, [mss >> 8, mss & 0xff])),
    fc.integer({ min: 0, max: 14 }).map((ws) => opt(3, [ws])),
    fc.constant(opt(4)),
    fc.uint8Array({ minLength: 8, maxLength: 8 }).map((ts) => ({ type: 8, data: ts })),
  ),
  { maxLength: 4 },
);

/** Well-formed IPv4 options: no-ops and router alert (RFC 2113). */
const ipv4Options = fc.array(fc.oneof(fc.constant(opt(1)), fc.constant(opt(0x94, [0, 0]))), { maxLength: 3 });

function linkSpec(o: ArbPacketOptions): fc.Arbitrary<NonNullable<PacketSpec['eth']>> {
  const vlan: fc.Arbitrary<number | undefined> =
    o.vlan === false ? fc.constant(undefined) : o.vlan === true ? fc.integer({ min: 1, max: 4094 }) : o.vlan === undefined ? fc.option(fc.integer({ min: 1, max: 4094 }), { nil: undefined }) : gen(o.vlan, fc.integer({ min: 1, max: 4094 }));
  return fc.record({ src: gen(o.srcMac, arbMac({ unicast: true })), dst: gen(o.dstMac, arbMac()), vid: vlan }).map(({ src, dst, vid }) => ({
    src,
    dst,
    ...(vid !== undefined ? { vlans: [{ vid }] } : {}),
  }));
}

type L4 = 'tcp' | 'udp' | 'icmp';

function l4Spec(kind: L4, o: ArbPacketOptions, v6: boolean): fc.Arbitrary<Partial<PacketSpec>> {
  switch (kind) {
    case 'tcp':
      return fc
        .record({ sport: gen(o.sport, port), dport: gen(o.dport, port), seq: u32, ack: u32, flags: u8, window: u16, options: tcpOptions })
        .map((tcp) => ({ tcp }));
    case 'udp':
      return fc.record({ sport: gen(o.sport, port), dport: gen(o.dport, udpDport) }).map((udp) => ({ udp }));
    case 'icmp': {
      const icmp = fc.record({ type: fc.constantFrom(0, 3, 8, 11), code: fc.integer({ min: 0, max: 3 }), id: u16, seq: u16 });
      return icmp.map((i) => (v6 ? { icmpv6: { ...i, type: [129, 1, 128, 3][[0, 3, 8, 11].indexOf(i.type)]! } } : { icmp: i }));
    }
  }
}

/** IPv6 extension headers that keep the packet unfragmented and its pseudo-header destination unchanged. */
const ipv6Ext: fc.Arbitrary<Ipv6ExtSpec[]> = fc.array(
  fc.oneof(
    fc.constant<Ipv6ExtSpec>({ kind: 'ipv6-hopopts', options: [opt(5, [0, 0])] }),
    bytes(12).map<Ipv6ExtSpec>((d) => ({ kind: 'ipv6-dstopts', options: [{ type: 0x1e, data: d }] })),
    u32.map<Ipv6ExtSpec>((id) => ({ kind: 'ipv6-frag', id })),
    fc.constant<Ipv6ExtSpec>({ kind: 'ipv6-routing', routingType: 4, segmentsLeft: 0, data: new Uint8Array(20) }),
  ),
  { maxLength: 3 },
);

/** Options of {@link arbIpv4Packet} and {@link arbIpv6Packet}: the transport, or a raw protocol number carrying random bytes. */
export interface ArbIpPacketOptions extends ArbPacketOptions {
  proto?: L4 | number;
}

function ipPacketSpec(v6: boolean, o: ArbIpPacketOptions): fc.Arbitrary<PacketSpec> {
  const addr = v6 ? arbIpv6() : arbIpv4();
  const proto = o.proto ?? fc.constantFrom<L4>('tcp', 'udp', 'icmp');
  return fc
    .record({
      eth: linkSpec(o),
      src: gen(o.src, addr),
      dst: gen(o.dst, addr),
      ttl: u8,
      extra: v6 ? ipv6Ext : ipv4Options,
      proto: gen(proto as L4 | number, fc.constant('tcp' as L4)),
      payload: o.payload ?? bytes(64),
    })
    .chain(({ eth, src, dst, ttl, extra, proto: p, payload }) => {
      const ip = v6
        ? { ipv6: { src, dst, hopLimit: ttl, ext: extra as Ipv6ExtSpec[] } }
        : { ipv4: { src, dst, ttl, options: extra as HeaderOption[], ...(typeof p === 'number' ? { protocol: p } : {}) } };
      if (v6 && typeof p === 'number') (ip as { ipv6: { nextHeader?: number } }).ipv6.nextHeader = p;
      const l4 = typeof p === 'number' ? fc.constant({}) : l4Spec(p, o, v6);
      return l4.map((t): PacketSpec => ({ eth, ...ip, ...t, payload }));
    });
}

/** A description of an IPv4 packet (see {@link arbIpv4Packet}), for tests that want the fields too. */
export function arbIpv4PacketSpec(options: ArbIpPacketOptions = {}): fc.Arbitrary<PacketSpec> {
  return ipPacketSpec(false, options);
}

/** A description of an IPv6 packet (see {@link arbIpv6Packet}). */
export function arbIpv6PacketSpec(options: ArbIpPacketOptions = {}): fc.Arbitrary<PacketSpec> {
  return ipPacketSpec(true, options);
}

/** An Ethernet frame carrying IPv4 (with options) and TCP, UDP, ICMP, or `proto` (a number: random bytes). */
export function arbIpv4Packet(options: ArbIpPacketOptions = {}): fc.Arbitrary<Uint8Array> {
  return arbIpv4PacketSpec(options).map(buildPacket);
}

/** An Ethernet frame carrying IPv6 (with extension headers) and TCP, UDP, ICMPv6, or `proto`. */
export function arbIpv6Packet(options: ArbIpPacketOptions = {}): fc.Arbitrary<Uint8Array> {
  return arbIpv6PacketSpec(options).map(buildPacket);
}

/** Options of {@link arbTcpPacket} and {@link arbUdpPacket}: the IP version, default either. */
export interface ArbTransportOptions extends ArbPacketOptions {
  ipVersion?: 4 | 6;
}

function transport(proto: L4, o: ArbTransportOptions): fc.Arbitrary<Uint8Array> {
  if (o.ipVersion === 4) return arbIpv4Packet({ ...o, proto });
  if (o.ipVersion === 6) return arbIpv6Packet({ ...o, proto });
  return fc.oneof(arbIpv4Packet({ ...o, proto }), arbIpv6Packet({ ...o, proto }));
}

/** An Ethernet frame with a TCP segment (random flags, sequence numbers, options) over IPv4 or IPv6. */
export function arbTcpPacket(options: ArbTransportOptions = {}): fc.Arbitrary<Uint8Array> {
  return transport('tcp', options);
}

/** An Ethernet frame with a UDP datagram over IPv4 or IPv6. */
export function arbUdpPacket(options: ArbTransportOptions = {}): fc.Arbitrary<Uint8Array> {
  return transport('udp', options);
}

/**
 * A description of any frame the packet module builds: ARP, IPv4 or IPv6 with TCP/UDP/ICMP,
 * and those inside VXLAN, Geneve (with options) or GRE tunnels. `depth` bounds tunnel nesting
 * (default 1).
 */
export function arbPacketSpec(options: ArbPacketOptions & { depth?: number } = {}): fc.Arbitrary<PacketSpec> {
  const depth = options.depth ?? 1;
  const plain = fc.oneof(arbIpv4PacketSpec(options), arbIpv6PacketSpec(options));
  const arp = fc
    .record({ eth: linkSpec(options), op: fc.constantFrom(1, 2), sha: arbMac(), spa: arbIpv4(), tha: arbMac(), tpa: arbIpv4() })
    .map(({ eth, ...arp }): PacketSpec => ({ eth, arp }));
  if (depth <= 0) return fc.oneof(plain, arp);
  const inner = arbPacketSpec({ ...options, depth: depth - 1 });
  const outer = fc.record({ eth: linkSpec(options), v6: fc.boolean(), src: arbIpv4(), dst: arbIpv4(), src6: arbIpv6(), dst6: arbIpv6() });
  const tunnel = fc
    .record({
      o: outer,
      inner,
      kind: fc.constantFrom('vxlan', 'geneve', 'gre'),
      vni: fc.integer({ min: 0, max: 0xffffff }),
      key: fc.option(u32, { nil: undefined }),
      csum: fc.boolean(),
      gopts: fc.array(fc.record({ class: u16, type: u8, flags: fc.constant(0), data: fc.integer({ min: 0, max: 3 }).map((n) => new Uint8Array(4 * n)) }), { maxLength: 2 }),
    })
    .map(({ o, inner: i, kind, vni, key, csum, gopts }): PacketSpec => {
      const ip = o.v6 ? { ipv6: { src: o.src6, dst: o.dst6 } } : { ipv4: { src: o.src, dst: o.dst } };
      // A Geneve or GRE payload starts at the IP header unless it is a whole Ethernet frame.
      const { eth: innerEth, ...innerRest } = i;
      if (kind === 'vxlan') return { eth: o.eth, ...ip, vxlan: { vni }, inner: i };
      const keepEth = innerEth !== undefined && (i.arp !== undefined || vni % 2 === 0);
      const payloadSpec = keepEth ? i : innerRest;
      if (kind === 'geneve') return { eth: o.eth, ...ip, geneve: { vni, options: gopts }, inner: payloadSpec };
      return { eth: o.eth, ...ip, gre: { ...(key !== undefined ? { key } : {}), ...(csum ? { reserved1: 0 } : {}) }, inner: payloadSpec };
    });
  return fc.oneof(plain, arp, tunnel);
}

/** Any Ethernet frame of {@link arbPacketSpec}, built, with right lengths and checksums. */
export function arbEthernetFrame(options: ArbPacketOptions & { depth?: number } = {}): fc.Arbitrary<Uint8Array> {
  return arbPacketSpec(options).map(buildPacket);
}
