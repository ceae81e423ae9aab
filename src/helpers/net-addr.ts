import { CaseError, PacketError } from '../internal/errors.js';
import { formatIp as formatIpBytes, parseIpv4, parseIpv6 } from '../packet/address.js';

/**
 * Addresses of the simulated network as bigints: IPv4 in 32 bits, IPv6 in 128 bits, both in
 * network order (the first byte on the wire is the most significant), so prefix matching is a
 * shift and a compare. MACs are 6-byte arrays.
 */
export interface IpAddr {
  family: 4 | 6;
  value: bigint;
}

/** An address with a prefix length: `10.1.0.1/24`, `fd01::/64`. */
export interface IpPrefix extends IpAddr {
  len: number;
}

function bad(what: string, text: string, expected: string): CaseError {
  return new CaseError('case/bad-fib', `fib: ${what}: expected ${expected}, got '${text}'`);
}

/** The fib comes from JSON: anything but a string is refused before it is parsed. */
function expectText(text: unknown, what: string, expected: string): asserts text is string {
  if (typeof text !== 'string') throw new CaseError('case/bad-fib', `fib: ${what}: expected ${expected}, got ${JSON.stringify(text) ?? String(text)}`);
}

/**
 * Parses a dotted-quad IPv4 or an RFC 4291 §2.2 IPv6 text address with the packet module's
 * parsers (src/packet/address.ts); throws CaseError `case/bad-fib`.
 */
export function parseIp(text: string, what = 'address'): IpAddr {
  expectText(text, what, 'an IPv4 or IPv6 address');
  const v6 = text.includes(':');
  try {
    return ipFromBytes(v6 ? parseIpv6(text, what) : parseIpv4(text, what));
  } catch (err) {
    if (err instanceof PacketError) throw bad(what, text, v6 ? 'an IPv6 address' : 'an IPv4 or IPv6 address');
    throw err;
  }
}

/** Parses `addr/len` (or a bare address as a host prefix, or `default`/`::/0`); throws CaseError `case/bad-fib`. */
export function parsePrefix(text: string, what = 'prefix', defaultFamily: 4 | 6 = 4): IpPrefix {
  expectText(text, what, 'an address with a prefix length');
  if (text === 'default') return { family: defaultFamily, value: 0n, len: 0 };
  const slash = text.indexOf('/');
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash), what);
  const max = addr.family === 4 ? 32 : 128;
  const lenText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) throw bad(what, text, `a prefix length of 0 to ${max}`);
  return { ...addr, len: Number(lenText) };
}

/** Bits of an address of `family`. */
export function addrBits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

/** The network part of `p` (host bits cleared). */
export function networkOf(p: IpPrefix): bigint {
  const bits = BigInt(addrBits(p.family) - p.len);
  return (p.value >> bits) << bits;
}

/** True when `addr` lies in prefix `p`. */
export function prefixContains(p: IpPrefix, addr: IpAddr): boolean {
  if (p.family !== addr.family) return false;
  const bits = BigInt(addrBits(p.family) - p.len);
  return p.value >> bits === addr.value >> bits;
}

/**
 * Parses `02:00:00:00:01:01`; throws CaseError `case/bad-fib`. Stricter than the packet module's
 * parseMac on purpose: the kernel backend hands the same text to `ip`, which refuses `-`
 * separators (iproute2 on 6.18).
 */
export function parseMac(text: string, what = 'mac'): Uint8Array {
  expectText(text, what, 'a MAC address like 02:00:00:00:01:01');
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw bad(what, text, 'a MAC address like 02:00:00:00:01:01');
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

/** The 4 or 16 network-order bytes of `addr`. */
export function ipBytes(addr: IpAddr): Uint8Array {
  const n = addrBits(addr.family) / 8;
  const out = new Uint8Array(n);
  let v = addr.value;
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The address whose network-order bytes are `bytes` (4 or 16 of them). */
export function ipFromBytes(bytes: Uint8Array): IpAddr {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return { family: bytes.length === 4 ? 4 : 6, value: v };
}

/** Text form of `addr`: dotted quad, or RFC 5952 IPv6 (as src/packet/address.ts formats it). */
export function formatIp(addr: IpAddr): string {
  return formatIpBytes(ipBytes(addr));
}
