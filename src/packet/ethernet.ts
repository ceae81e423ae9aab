import { formatIpv4, formatMac, parseIpv4, parseMac } from './address.js';
import type { ArpLayer, EthLayer, LayerSpec, VlanLayer } from './layers.js';
import { ETH_P } from './layers.js';
import { type EncodeContext, concat, etherTypeFor, get16, need, put16, uint } from './wire.js';

/** Codecs for the link layer: Ethernet II (IEEE 802.3), 802.1Q/802.1ad tags and ARP (RFC 826). */

type Spec<K extends LayerSpec['kind']> = Extract<LayerSpec, { kind: K }>;

/** Default addresses of a built Ethernet header: locally administered unicast. */
export const DEFAULT_ETH_SRC = '02:00:00:00:00:01';
/** Default destination of a built Ethernet header. */
export const DEFAULT_ETH_DST = '02:00:00:00:00:02';

/** Decodes the Ethernet header at `off`; `end` bounds the bytes it may use, `path` names it in errors. */
export function decodeEth(b: Uint8Array, off: number, end: number, path: string): EthLayer {
  need(off, 14, end, path);
  return { kind: 'eth', offset: off, length: 14, dst: formatMac(b, off), src: formatMac(b, off + 6), type: get16(b, off + 12) };
}

/** Encodes an Ethernet header; `type` defaults to the EtherType of the next layer. */
export function encodeEth(s: Spec<'eth'>, ctx: EncodeContext): Uint8Array {
  const h = new Uint8Array(14);
  h.set(parseMac(s.dst ?? DEFAULT_ETH_DST, `${ctx.path}/dst`), 0);
  h.set(parseMac(s.src ?? DEFAULT_ETH_SRC, `${ctx.path}/src`), 6);
  put16(h, 12, uint(s.type, 16, `${ctx.path}/type`, etherTypeFor(ctx.next)));
  return h;
}

/** Decodes an 802.1Q/802.1ad tag (TCI and the next EtherType) at `off`. */
export function decodeVlan(b: Uint8Array, off: number, end: number, path: string): VlanLayer {
  need(off, 4, end, path);
  const tci = get16(b, off);
  return { kind: 'vlan', offset: off, length: 4, pcp: tci >>> 13, dei: (tci >>> 12) & 1, vid: tci & 0xfff, type: get16(b, off + 2) };
}

/** Encodes a VLAN tag; PCP, DEI and VID default to 0, `type` to the next layer's EtherType. */
export function encodeVlan(s: Spec<'vlan'>, ctx: EncodeContext): Uint8Array {
  const h = new Uint8Array(4);
  const p = ctx.path;
  put16(h, 0, (uint(s.pcp, 3, `${p}/pcp`) << 13) | (uint(s.dei, 1, `${p}/dei`) << 12) | uint(s.vid, 12, `${p}/vid`));
  put16(h, 2, uint(s.type, 16, `${p}/type`, etherTypeFor(ctx.next)));
  return h;
}

/** True when the ARP header at `off` is the Ethernet/IPv4 form this codec reads (hlen 6, plen 4). */
export function isEthernetArp(b: Uint8Array, off: number, end: number): boolean {
  return off + 28 <= end && b[off + 4] === 6 && b[off + 5] === 4;
}

/** Decodes an Ethernet/IPv4 ARP packet at `off` (see {@link isEthernetArp}). */
export function decodeArp(b: Uint8Array, off: number, end: number, path: string): ArpLayer {
  need(off, 28, end, path);
  return {
    kind: 'arp',
    offset: off,
    length: 28,
    htype: get16(b, off),
    ptype: get16(b, off + 2),
    op: get16(b, off + 6),
    sha: formatMac(b, off + 8),
    spa: formatIpv4(b, off + 14),
    tha: formatMac(b, off + 18),
    tpa: formatIpv4(b, off + 24),
  };
}

/** Defaults: Ethernet (1) / IPv4, a request (op 1), zero addresses. */
export function encodeArp(s: Spec<'arp'>, ctx: EncodeContext): Uint8Array {
  const p = ctx.path;
  const head = new Uint8Array(8);
  put16(head, 0, uint(s.htype, 16, `${p}/htype`, 1));
  put16(head, 2, uint(s.ptype, 16, `${p}/ptype`, ETH_P.IP));
  head[4] = 6;
  head[5] = 4;
  put16(head, 6, uint(s.op, 16, `${p}/op`, 1));
  return concat(
    head,
    parseMac(s.sha ?? '00:00:00:00:00:00', `${p}/sha`),
    parseIpv4(s.spa ?? '0.0.0.0', `${p}/spa`),
    parseMac(s.tha ?? '00:00:00:00:00:00', `${p}/tha`),
    parseIpv4(s.tpa ?? '0.0.0.0', `${p}/tpa`),
  );
}
