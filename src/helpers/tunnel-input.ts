import { parseIpv4, parseIpv6 } from '../packet/address.js';
import { IP_TUNNEL_BIT, TUNNEL_FLAG_NAMES, type TunnelInfo } from './skb-state.js';

/**
 * Tunnel metadata a TC run starts with, as a collect_md tunnel device (vxlan, geneve, gre with
 * `external`) attaches it to a received skb: an RX ip_tunnel_info whose key.src is the outer
 * source (the remote peer) and key.dst the outer destination. bpf_skb_get_tunnel_key and
 * _opt read it; bpf_skb_set_tunnel_opt refuses it (it is not the helper's metadata_dst).
 */
export interface TunnelInput {
  /** The tunnel id (VNI, GRE key), up to 2^32 - 1. */
  id: number;
  /** Outer source (the peer) and destination, IPv4 or IPv6, both of one family. */
  remote: string;
  local: string;
  tos?: number;
  ttl?: number;
  /** IPv6 flow label (20 bits); 0 for IPv4. */
  label?: number;
  /** IP_TUNNEL_* flag names (`key`, `csum`, `geneve_opt`, ...); default `key`, plus `geneve_opt` when there are options. */
  flags?: string[];
  /** Tunnel options (Geneve TLVs, a VXLAN GBP word): a multiple of 4 bytes, at most 255. */
  options?: Uint8Array;
}

const byteField = (v: number | undefined, name: string, max: number, fail: (m: string) => Error): number => {
  if (v === undefined) return 0;
  if (!Number.isInteger(v) || v < 0 || v > max) throw fail(`${name}: expected an integer from 0 to ${max}, got ${JSON.stringify(v)}`);
  return v;
};

/** The RX tunnel info `input` describes; `fail` makes the caller's error (CaseError, ArgumentError) from a `field: why` message. */
export function rxTunnelInfo(input: TunnelInput, fail: (message: string) => Error): TunnelInfo {
  const id = byteField(input.id, 'id', 0xffff_ffff, fail);
  const address = (text: unknown, name: string): Uint8Array => {
    if (typeof text !== 'string') throw fail(`${name}: expected an IPv4 or IPv6 address, got ${JSON.stringify(text)}`);
    try {
      return text.includes(':') ? parseIpv6(text, name) : parseIpv4(text, name);
    } catch {
      throw fail(`${name}: expected an IPv4 or IPv6 address, got ${JSON.stringify(text)}`);
    }
  };
  const remote = address(input.remote, 'remote');
  const local = address(input.local, 'local');
  if (remote.length !== local.length) throw fail(`local: expected an address of the family of remote, got ${input.local}`);
  const ipv6 = remote.length === 16;
  const label = byteField(input.label, 'label', 0xfffff, fail);
  if (!ipv6 && label !== 0) throw fail('label: an IPv4 tunnel has no flow label');
  const options = input.options ?? new Uint8Array(0);
  if (options.length % 4 !== 0 || options.length > 255) throw fail(`options: expected a multiple of 4 bytes up to 252, got ${options.length}`);
  let flags = 0;
  for (const name of input.flags ?? (options.length ? ['key', 'geneve_opt'] : ['key'])) {
    const bit = TUNNEL_FLAG_NAMES.indexOf(name);
    if (bit < 0) throw fail(`flags: expected names among ${TUNNEL_FLAG_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
    flags |= 1 << bit;
  }
  const optionBits = [IP_TUNNEL_BIT.GENEVE_OPT, IP_TUNNEL_BIT.VXLAN_OPT, IP_TUNNEL_BIT.ERSPAN_OPT, IP_TUNNEL_BIT.GTP_OPT, IP_TUNNEL_BIT.PFCP_OPT].reduce((m, b) => m | (1 << b), 0);
  if (options.length && !(flags & optionBits)) throw fail('flags: options need one of geneve_opt, vxlan_opt, erspan_opt, gtp_opt, pfcp_opt');
  return {
    id: BigInt(id),
    ipv6,
    tx: false,
    src: remote,
    dst: local,
    tos: byteField(input.tos, 'tos', 255, fail),
    ttl: byteField(input.ttl, 'ttl', 255, fail),
    label,
    flags,
    options: options.slice(),
  };
}
