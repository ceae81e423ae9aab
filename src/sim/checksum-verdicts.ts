import { checkChecksums } from '../packet/checksum.js';
import { foldChecksum, sumWords } from '../packet/internet-checksum.js';

/** A checksum verdict in {@link checksumVerdicts}' two bits: none could be checked, all right, one wrong. */
export const CHECKSUM_NONE = 0;
export const CHECKSUM_OK = 1;
export const CHECKSUM_BAD = 2;

const code = (v: 'ok' | 'bad' | null): number => (v === 'ok' ? CHECKSUM_OK : v === 'bad' ? CHECKSUM_BAD : CHECKSUM_NONE);

/** The unfolded one's complement sum of `frame[from..to)` added to `sum` (RFC 1071). */
function sumRange(frame: Uint8Array, from: number, to: number, sum: number): number {
  return sumWords(frame.subarray(from, to), sum);
}

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
  const len = frame.length;
  if (len >= 14) {
    const type = (frame[12]! << 8) | frame[13]!;
    if (type === 0x0806) return 0;
    if (type === 0x0800 && len >= 34 && frame[14] === 0x45) {
      const total = (frame[16]! << 8) | frame[17]!;
      const end = 14 + total;
      const fragment = ((frame[20]! << 8) | frame[21]!) & 0x3fff;
      const proto = frame[23]!;
      if (fragment === 0 && end <= len && total >= 20) {
        const ip = verdict(sumRange(frame, 14, 34, 0));
        const pseudo = sumRange(frame, 26, 34, 0) + proto;
        const l4 = transport(frame, 34, end, proto, pseudo, true);
        if (l4 >= 0) return ip | (l4 << 2);
      }
    } else if (type === 0x86dd && len >= 54 && frame[14]! >> 4 === 6) {
      const end = 54 + ((frame[18]! << 8) | frame[19]!);
      const proto = frame[20]!;
      if (end <= len) {
        const pseudo = sumRange(frame, 22, 54, 0) + proto;
        const l4 = transport(frame, 54, end, proto, pseudo, false);
        if (l4 >= 0) return l4 << 2;
      }
    }
  }
  const r = checkChecksums(frame);
  return code(r.ip) | (code(r.l4) << 2);
}

/** The TCP or UDP verdict of the segment from `at` to `end`, or -1 for a shape left to checkChecksums. */
function transport(frame: Uint8Array, at: number, end: number, proto: number, pseudo: number, v4: boolean): number {
  if (proto === 6) {
    if (at + 20 > end) return -1;
    // TCP options are parsed by checkChecksums, and a malformed one stops it: only option-less headers here.
    if (frame[at + 12]! >> 4 !== 5) return -1;
    return verdict(sumRange(frame, at, end, pseudo + (end - at)));
  }
  if (proto === 17) {
    if (at + 8 > end) return -1;
    const dport = (frame[at + 2]! << 8) | frame[at + 3]!;
    // VXLAN and Geneve: the inner frame is checked too.
    if (dport === 4789 || dport === 6081) return -1;
    const udpLen = (frame[at + 4]! << 8) | frame[at + 5]!;
    if (udpLen < 8 || at + udpLen > end) return -1;
    if (frame[at + 6] === 0 && frame[at + 7] === 0) return v4 ? CHECKSUM_OK : CHECKSUM_BAD;
    return verdict(sumRange(frame, at, at + udpLen, pseudo + udpLen));
  }
  return -1;
}
