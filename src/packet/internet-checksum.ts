import { parseIp } from './address.js';
import { get16 } from './wire.js';

/**
 * The internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of
 * the data as big-endian 16-bit words, pseudo-header sums and RFC 1624 incremental updates.
 */

/** One's complement addition of two 16-bit values (end-around carry), RFC 1071 §2(A). */
export function onesComplementAdd(a: number, b: number): number {
  const s = (a & 0xffff) + (b & 0xffff);
  return (s & 0xffff) + (s >>> 16);
}

/** Folds a wide sum of 16-bit words into 16 bits by adding the carries back in (RFC 1071 §4.1). Not complemented. */
export function foldChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/**
 * The unfolded sum of `bytes` as big-endian 16-bit words (an odd last byte is padded with a
 * zero byte), added to `initial`. Fold it with {@link foldChecksum}.
 */
export function sumWords(bytes: Uint8Array, initial = 0): number {
  return sumWordsIn(bytes, 0, bytes.length, initial);
}

/** {@link sumWords} of `bytes[from..to)`, without a view of the range. */
export function sumWordsIn(bytes: Uint8Array, from: number, to: number, initial = 0): number {
  let sum = initial;
  const even = from + ((to - from) & ~1);
  for (let i = from; i < even; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (even < to) sum += bytes[even]! << 8;
  // Fold now and then so the sum stays an exact integer for any packet size.
  return sum > 0x7fffffff ? foldChecksum(sum) : sum;
}

/**
 * The internet checksum of `bytes` (RFC 1071): `~fold(initial + Σ words) & 0xffff`. Over data
 * that includes a correct checksum field it is 0. `initial` is an unfolded sum such as a
 * pseudo-header's.
 */
export function internetChecksum(bytes: Uint8Array, initial = 0): number {
  return ~foldChecksum(sumWords(bytes, initial)) & 0xffff;
}

function addrBytes(a: Uint8Array | string, len: number): Uint8Array {
  const b = typeof a === 'string' ? parseIp(a) : a;
  if (b.length !== len) throw new RangeError(`expected a ${len}-byte address, got ${b.length} bytes`);
  return b;
}

/** The unfolded sum of the IPv4 pseudo-header (RFC 9293 §3.1, RFC 768): src, dst, zero, protocol, length. */
export function pseudoHeaderSumV4(src: Uint8Array | string, dst: Uint8Array | string, protocol: number, length: number): number {
  return sumWords(addrBytes(src, 4)) + sumWords(addrBytes(dst, 4)) + protocol + (length & 0xffff);
}

/** The unfolded sum of the IPv6 pseudo-header (RFC 8200 §8.1): src, dst, 32-bit length, next header. */
export function pseudoHeaderSumV6(src: Uint8Array | string, dst: Uint8Array | string, nextHeader: number, length: number): number {
  return sumWords(addrBytes(src, 16)) + sumWords(addrBytes(dst, 16)) + (length >>> 16) + (length & 0xffff) + nextHeader;
}

/**
 * The checksum after one 16-bit word of the covered data changes from `oldWord` to `newWord`,
 * without the rest of the data: RFC 1624 §3 eqn. 3, `HC' = ~(~HC + ~m + m')`. Unlike eqn. 2 it
 * never yields 0x0000 from a non-zero sum.
 */
export function incrementalUpdate(check: number, oldWord: number, newWord: number): number {
  let s = onesComplementAdd(~check & 0xffff, ~oldWord & 0xffff);
  s = onesComplementAdd(s, newWord & 0xffff);
  return ~s & 0xffff;
}

/**
 * {@link incrementalUpdate} for a field of several words (an address, a port pair): `oldBytes`
 * and `newBytes` have the same even length and start at an even offset of the covered data.
 */
export function incrementalUpdateBytes(check: number, oldBytes: Uint8Array, newBytes: Uint8Array): number {
  if (oldBytes.length !== newBytes.length || oldBytes.length % 2 !== 0) {
    throw new RangeError(`expected two fields of the same even length, got ${oldBytes.length} and ${newBytes.length} bytes`);
  }
  let c = check;
  for (let i = 0; i < oldBytes.length; i += 2) c = incrementalUpdate(c, get16(oldBytes, i), get16(newBytes, i));
  return c;
}

/**
 * The address a routing header sends the packet to in the end, which the upper-layer
 * pseudo-header uses (RFC 8200 §8.1): the last address for types 0 and 2, segment 0 of a
 * segment routing header (type 4, RFC 8754 §2). Undefined when no segments are left.
 */
export function finalDestination(routingType: number, segmentsLeft: number, data: Uint8Array): Uint8Array | undefined {
  if (segmentsLeft === 0 || data.length < 20) return undefined;
  if (routingType === 4) return data.subarray(4, 20);
  if (routingType === 0 || routingType === 2) {
    const n = Math.floor((data.length - 4) / 16);
    return data.subarray(4 + 16 * (n - 1), 4 + 16 * n);
  }
  return undefined;
}
