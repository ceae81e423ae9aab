import { checkChecksums } from '../packet/checksum.js';
import { foldChecksum, sumWordsIn } from '../packet/internet-checksum.js';

/** A checksum verdict in {@link checksumVerdicts}' two bits: none could be checked, all right, one wrong. */
export const CHECKSUM_NONE = 0;
export const CHECKSUM_OK = 1;
export const CHECKSUM_BAD = 2;

const code = (v: 'ok' | 'bad' | null): number => (v === 'ok' ? CHECKSUM_OK : v === 'bad' ? CHECKSUM_BAD : CHECKSUM_NONE);

/** Whether a range summed with its checksum field folds to all ones: the checksum is right. */
function verdict(sum: number): number {
  return foldChecksum(sum) === 0xffff ? CHECKSUM_OK : CHECKSUM_BAD;
}

/**
 * The verdicts of checkChecksums (src/packet/checksum.ts) on a frame as a number: bits 0-1 the
 * IPv4 header's, bits 2-3 the transport's (CHECKSUM_NONE, _OK, _BAD). Frames of the common shapes
 * are checked here without parsing them into objects: Ethernet then IPv4 without options or
 * fragmentation, or IPv6 without extension headers, then TCP without options or UDP (not to a tunnel port), the
 * datagram whole inside the frame; ARP has no checksum. Every other frame goes to checkChecksums,
 * whose verdicts these equal (test/sim/checksum-verdicts.test.ts checks both on random frames).
 */
export function checksumVerdicts(frame: Uint8Array): number {
  return checksumVerdictsIn(frame, 0, frame.length);
}

/** {@link checksumVerdicts} of the frame of `len` bytes at `at` in `bytes`, with no view of it for the common shapes. */
export function checksumVerdictsIn(bytes: Uint8Array, at: number, len: number): number {
  if (len >= 14) {
    const type = (bytes[at + 12]! << 8) | bytes[at + 13]!;
    if (type === 0x0806) return 0;
    const l3 = at + 14;
    const frameEnd = at + len;
    if (type === 0x0800 && len >= 34 && bytes[l3] === 0x45) {
      const total = (bytes[l3 + 2]! << 8) | bytes[l3 + 3]!;
      const end = l3 + total;
      const fragment = ((bytes[l3 + 6]! << 8) | bytes[l3 + 7]!) & 0x3fff;
      const proto = bytes[l3 + 9]!;
      if (fragment === 0 && end <= frameEnd && total >= 20) {
        const ip = verdict(sumWordsIn(bytes, l3, l3 + 20, 0));
        const pseudo = sumWordsIn(bytes, l3 + 12, l3 + 20, 0) + proto;
        const l4 = transport(bytes, l3 + 20, end, proto, pseudo, true);
        if (l4 >= 0) return ip | (l4 << 2);
      }
    } else if (type === 0x86dd && len >= 54 && bytes[l3]! >> 4 === 6) {
      const end = l3 + 40 + ((bytes[l3 + 4]! << 8) | bytes[l3 + 5]!);
      const proto = bytes[l3 + 6]!;
      if (end <= frameEnd) {
        const pseudo = sumWordsIn(bytes, l3 + 8, l3 + 40, 0) + proto;
        const l4 = transport(bytes, l3 + 40, end, proto, pseudo, false);
        if (l4 >= 0) return l4 << 2;
      }
    }
  }
  const r = checkChecksums(at === 0 && len === bytes.length ? bytes : bytes.subarray(at, at + len));
  return code(r.ip) | (code(r.l4) << 2);
}

/** The TCP or UDP verdict of the segment from `at` to `end` of `bytes`, or -1 for a shape left to checkChecksums. */
function transport(bytes: Uint8Array, at: number, end: number, proto: number, pseudo: number, v4: boolean): number {
  if (proto === 6) {
    if (at + 20 > end) return -1;
    // TCP options are parsed by checkChecksums, and a malformed one stops it: only option-less headers here.
    if (bytes[at + 12]! >> 4 !== 5) return -1;
    return verdict(sumWordsIn(bytes, at, end, pseudo + (end - at)));
  }
  if (proto === 17) {
    if (at + 8 > end) return -1;
    const dport = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    // VXLAN and Geneve: the inner frame is checked too.
    if (dport === 4789 || dport === 6081) return -1;
    const udpLen = (bytes[at + 4]! << 8) | bytes[at + 5]!;
    if (udpLen < 8 || at + udpLen > end) return -1;
    if (bytes[at + 6] === 0 && bytes[at + 7] === 0) return v4 ? CHECKSUM_OK : CHECKSUM_BAD;
    return verdict(sumWordsIn(bytes, at, at + udpLen, pseudo + udpLen));
  }
  return -1;
}
