import { type Layer, IPPROTO } from './layers.js';
import { foldChecksum, internetChecksum, pseudoHeaderSumV4, pseudoHeaderSumV6, sumWords } from './internet-checksum.js';
import { type ParsedPacket, parsePacket } from './parse.js';
import { put16 } from './wire.js';

/**
 * Checksums: the RFC 1071 arithmetic and RFC 1624 incremental update (from internet-checksum.ts),
 * and the whole-frame checks a run result reports.
 */
export {
  finalDestination,
  foldChecksum,
  incrementalUpdate,
  incrementalUpdateBytes,
  internetChecksum,
  onesComplementAdd,
  pseudoHeaderSumV4,
  pseudoHeaderSumV6,
  sumWords,
} from './internet-checksum.js';
import { finalDestination } from './internet-checksum.js';

/** What {@link checkChecksums} found: `null` where there is no such checksum to check. */
export interface ChecksumResult {
  ip: 'ok' | 'bad' | null;
  l4: 'ok' | 'bad' | null;
}

/** Where the upper-layer data of an IP header lies, and whether its checksum can be checked. */
interface Upper {
  layer: Layer;
  index: number;
  /** Unfolded pseudo-header sum for a length and protocol (ICMPv4 callers skip it: it has none). */
  pseudo: (length: number, proto: number) => number;
  ipv4: boolean;
  start: number;
  end: number;
}

/** Finds each transport layer whose whole datagram is in the frame, with its IP pseudo-header. */
function transports(frame: Uint8Array, p: ParsedPacket): Upper[] {
  const out: Upper[] = [];
  p.layers.forEach((ip, j) => {
    if (ip.kind !== 'ipv4' && ip.kind !== 'ipv6') return;
    let end: number;
    let fragmented: boolean;
    let dst: string | Uint8Array = ip.dst;
    let k = j + 1;
    if (ip.kind === 'ipv4') {
      end = ip.offset + ip.totalLength;
      fragmented = (ip.flags & 1) !== 0 || ip.fragOffset !== 0;
    } else {
      end = ip.offset + 40 + ip.payloadLength;
      fragmented = false;
      for (; k < p.layers.length; k++) {
        const x = p.layers[k]!;
        if (x.kind === 'ipv6-frag') fragmented ||= x.more || x.fragOffset !== 0;
        else if (x.kind === 'ipv6-routing') dst = finalDestination(x.routingType, x.segmentsLeft, x.data) ?? dst;
        else if (x.kind !== 'ipv6-hopopts' && x.kind !== 'ipv6-dstopts') break;
      }
    }
    const l4 = p.layers[k];
    if (!l4 || !['tcp', 'udp', 'icmp', 'icmpv6'].includes(l4.kind)) return;
    if (fragmented || end > frame.length) return;
    const src = ip.src;
    const v4 = ip.kind === 'ipv4';
    out.push({
      layer: l4,
      index: k,
      ipv4: v4,
      start: l4.offset,
      end,
      pseudo: (length, proto) => (v4 ? pseudoHeaderSumV4(src, dst, proto, length) : pseudoHeaderSumV6(src, dst, proto, length)),
    });
  });
  return out;
}

/** The covered range and checksum offset of a transport layer, or null when its length field is unusable. */
function coverage(u: Upper, frame: Uint8Array): { end: number; checkOff: number; proto: number } | null {
  const l = u.layer;
  switch (l.kind) {
    case 'tcp':
      return { end: u.end, checkOff: l.offset + 16, proto: IPPROTO.TCP };
    case 'udp': {
      // The UDP length, not the IP length, bounds the datagram (Linux __udp4_lib_rcv trims to it).
      const end = l.offset + l.len;
      if (l.len < 8 || end > u.end || end > frame.length) return null;
      return { end, checkOff: l.offset + 6, proto: IPPROTO.UDP };
    }
    case 'icmp':
      return { end: u.end, checkOff: l.offset + 2, proto: IPPROTO.ICMP };
    case 'icmpv6':
      return { end: u.end, checkOff: l.offset + 2, proto: IPPROTO.ICMPV6 };
    default:
      return null;
  }
}

function transportSum(u: Upper, frame: Uint8Array, end: number, proto: number): number {
  const initial = proto === IPPROTO.ICMP ? 0 : u.pseudo(end - u.start, proto);
  return foldChecksum(sumWords(frame.subarray(u.start, end), initial));
}

/**
 * Checks the checksums of a frame (from its Ethernet header), as a run result reports them.
 * `ip`: every IPv4 header checksum (outer and encapsulated). `l4`: every TCP, UDP, ICMP and
 * ICMPv6 checksum, over IPv4 or IPv6 with its pseudo-header (through an IPv6 routing header, to
 * the final destination). Each is `'bad'` when any checked one is wrong, `'ok'` when all checked
 * ones are right, and `null` when none could be checked. Not checked: a transport header in an IP
 * fragment, or whose IP datagram runs past the end of the frame (truncated), and headers after the
 * point where the frame stops parsing. A UDP checksum of 0 over IPv4 means "no checksum" and is
 * `'ok'`; over IPv6 it is `'bad'` (RFC 8200 §8.1). A UDP length below 8 or past the IP datagram is
 * `'bad'`. Never throws.
 */
export function checkChecksums(frame: Uint8Array): ChecksumResult {
  let p: ParsedPacket;
  try {
    p = parsePacket(frame, { lenient: true });
  } catch {
    return { ip: null, l4: null };
  }
  const merge = (a: 'ok' | 'bad' | null, ok: boolean): 'ok' | 'bad' => (a === 'bad' || !ok ? 'bad' : 'ok');
  let ip: ChecksumResult['ip'] = null;
  for (const l of p.layers) {
    if (l.kind === 'ipv4') ip = merge(ip, internetChecksum(frame.subarray(l.offset, l.offset + l.length)) === 0);
  }
  let l4: ChecksumResult['l4'] = null;
  for (const u of transports(frame, p)) {
    const c = coverage(u, frame);
    if (!c) {
      l4 = 'bad';
      continue;
    }
    if (u.layer.kind === 'udp' && u.layer.check === 0) {
      l4 = merge(l4, u.ipv4);
      continue;
    }
    l4 = merge(l4, transportSum(u, frame, c.end, c.proto) === 0xffff);
  }
  return { ip, l4 };
}

/**
 * A copy of `frame` with every checksum {@link checkChecksums} can check recomputed, innermost
 * first (an outer UDP checksum covers the inner headers), plus GRE checksums when the C flag is
 * set. A UDP checksum of 0 over IPv4 stays 0 (it means "no checksum"); a computed UDP checksum of
 * 0 is sent as 0xffff (RFC 768). Headers that cannot be checked are left alone.
 */
export function fixChecksums(frame: Uint8Array): Uint8Array {
  const out = frame.slice();
  let p: ParsedPacket;
  try {
    p = parsePacket(out, { lenient: true });
  } catch {
    return out;
  }
  const ups = new Map(transports(out, p).map((u) => [u.index, u]));
  for (let i = p.layers.length - 1; i >= 0; i--) {
    const l = p.layers[i]!;
    const u = ups.get(i);
    if (u) {
      const c = coverage(u, out);
      if (!c || (l.kind === 'udp' && l.check === 0 && u.ipv4)) continue;
      put16(out, c.checkOff, 0);
      let sum = ~transportSum(u, out, c.end, c.proto) & 0xffff;
      if (sum === 0 && l.kind === 'udp') sum = 0xffff;
      put16(out, c.checkOff, sum);
    } else if (l.kind === 'ipv4') {
      put16(out, l.offset + 10, 0);
      put16(out, l.offset + 10, internetChecksum(out.subarray(l.offset, l.offset + l.length)));
    } else if (l.kind === 'gre' && l.flags & 0x8000) {
      const end = greEnd(p, i, out.length);
      put16(out, l.offset + 4, 0);
      put16(out, l.offset + 4, internetChecksum(out.subarray(l.offset, end)));
    }
  }
  return out;
}

/** The end of the GRE packet at layer `i`: the end of the IP datagram around it, within the frame. */
function greEnd(p: ParsedPacket, i: number, frameLen: number): number {
  for (let j = i - 1; j >= 0; j--) {
    const ip = p.layers[j]!;
    if (ip.kind === 'ipv4') return Math.min(frameLen, ip.offset + ip.totalLength);
    if (ip.kind === 'ipv6') return Math.min(frameLen, ip.offset + 40 + ip.payloadLength);
  }
  return frameLen;
}
