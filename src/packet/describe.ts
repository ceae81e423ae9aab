import { type IcmpLayer, type Layer, formatTcpFlags } from './layers.js';
import { parsePacket } from './parse.js';

const ICMP_NAMES: Record<number, string> = { 0: 'echo-reply', 3: 'unreachable', 5: 'redirect', 8: 'echo-request', 11: 'time-exceeded' };
const ICMPV6_NAMES: Record<number, string> = {
  1: 'unreachable',
  2: 'packet-too-big',
  3: 'time-exceeded',
  128: 'echo-request',
  129: 'echo-reply',
  133: 'router-solicit',
  134: 'router-advert',
  135: 'neighbor-solicit',
  136: 'neighbor-advert',
};

function icmpText(l: IcmpLayer): string {
  const name = (l.kind === 'icmp' ? ICMP_NAMES : ICMPV6_NAMES)[l.type];
  const echo = name === 'echo-request' || name === 'echo-reply';
  const what = name ? `${name}${l.code ? ` code ${l.code}` : ''}` : `type ${l.type} code ${l.code}`;
  return `${l.kind === 'icmp' ? 'ICMP' : 'ICMPv6'} ${what}${echo ? ` id ${l.id} seq ${l.seq}` : ''}`;
}

function hostPort(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/**
 * A one-line summary of a frame, in the spirit of tcpdump: `IPv4 10.0.0.1:1234 > 10.0.0.2:80 TCP
 * [S] len 54`. VLAN tags come first (`vlan 10`), each tunnel adds `| ` before the encapsulated
 * packet (`UDP VXLAN vni 42 | IPv4 …`), `len` is the frame length in bytes. A frame that does
 * not parse ends with `malformed (<error>)`. Never throws.
 */
export function describePacket(frame: Uint8Array): string {
  const p = parsePacket(frame, { lenient: true });
  const parts: string[] = [];
  let ip: { name: string; src: string; dst: string; proto: number; frag: string } | undefined;
  const flushIp = (rest?: string): void => {
    if (!ip) return;
    parts.push(`${ip.name}${ip.frag} ${rest ?? `${ip.src} > ${ip.dst} proto ${ip.proto}`}`);
    ip = undefined;
  };
  const layers: Layer[] = p.layers;
  layers.forEach((l, i) => {
    switch (l.kind) {
      case 'eth':
        if (i > 0) parts.push('|');
        if (layers[i + 1] === undefined) parts.push(`eth ${l.src} > ${l.dst} type 0x${l.type.toString(16).padStart(4, '0')}`);
        break;
      case 'vlan':
        parts.push(`vlan ${l.vid}`);
        if (layers[i + 1] === undefined) parts.push(`type 0x${l.type.toString(16).padStart(4, '0')}`);
        break;
      case 'arp':
        parts.push(
          l.op === 1 ? `ARP who-has ${l.tpa} tell ${l.spa}` : l.op === 2 ? `ARP ${l.spa} is-at ${l.sha}` : `ARP op ${l.op} ${l.spa} > ${l.tpa}`,
        );
        break;
      case 'ipv4':
        flushIp();
        ip = { name: 'IPv4', src: l.src, dst: l.dst, proto: l.protocol, frag: l.fragOffset || l.flags & 1 ? ` frag ${l.fragOffset * 8}` : '' };
        break;
      case 'ipv6':
        flushIp();
        ip = { name: 'IPv6', src: l.src, dst: l.dst, proto: l.nextHeader, frag: '' };
        break;
      case 'ipv6-frag':
        if (ip) ip.frag = ` frag ${l.fragOffset * 8}`;
        if (ip) ip.proto = l.nextHeader;
        break;
      case 'ipv6-hopopts':
      case 'ipv6-dstopts':
      case 'ipv6-routing':
        if (ip) ip.proto = l.nextHeader;
        break;
      case 'tcp':
        flushIp(`${hostPort(ip?.src ?? '?', l.sport)} > ${hostPort(ip?.dst ?? '?', l.dport)} TCP [${formatTcpFlags(l.flags)}]`);
        break;
      case 'udp':
        flushIp(`${hostPort(ip?.src ?? '?', l.sport)} > ${hostPort(ip?.dst ?? '?', l.dport)} UDP`);
        break;
      case 'icmp':
      case 'icmpv6':
        flushIp(`${ip?.src} > ${ip?.dst} ${icmpText(l)}`);
        break;
      case 'gre':
        flushIp(`${ip?.src} > ${ip?.dst} GRE${l.key !== undefined ? ` key ${l.key}` : ''} |`);
        break;
      case 'vxlan':
        parts.push(`VXLAN vni ${l.vni}`);
        break;
      case 'geneve':
        parts.push(`Geneve vni ${l.vni}`, ...(layers[i + 1]?.kind === 'eth' ? [] : ['|']));
        break;
    }
  });
  flushIp();
  if (p.error) parts.push(`malformed (${p.error.message})`);
  if (parts.length === 0) parts.push('empty');
  parts.push(`len ${frame.length}`);
  return parts.join(' ');
}
