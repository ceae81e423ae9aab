import { PcapError } from '../internal/errors.js';
import type { ByteSource } from './byte-source.js';
import { type CapturePacket, MAX_BLOCK_LEN } from './types.js';

/** pcapng block types (draft-ietf-opsawg-pcapng §4, §11.1). */
export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_IDB = 1;
export const PCAPNG_PB = 2;
export const PCAPNG_SPB = 3;
export const PCAPNG_EPB = 6;
/** The section header's byte-order magic. */
export const PCAPNG_BOM = 0x1a2b3c4d;

/** What a section remembers of each interface description block. */
interface Iface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second, and the if_tsoffset in seconds. */
  unitsPerSec: bigint;
  tsOffset: bigint;
  name?: string;
}

type Options = Map<number, Uint8Array[]>;

/** The options in `body` from `off` (draft-ietf-opsawg-pcapng §3.5); a length past the block is `pcap/bad-block`. */
function readOptions(body: DataView, off: number, le: boolean, where: string): Options {
  const out: Options = new Map();
  while (off + 4 <= body.byteLength) {
    const code = body.getUint16(off, le);
    const len = body.getUint16(off + 2, le);
    if (code === 0) break;
    if (off + 4 + len > body.byteLength) {
      throw new PcapError('pcap/bad-block', `${where}: option ${code} at block offset ${off + 8}: expected ${len} bytes, got ${body.byteLength - off - 4}`);
    }
    const value = new Uint8Array(body.buffer, body.byteOffset + off + 4, len);
    out.set(code, [...(out.get(code) ?? []), value]);
    off += 4 + ((len + 3) & ~3);
  }
  return out;
}

const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Timestamps are unsigned 64-bit nanoseconds since 1970 once read (what the writers take). */
const MAX_TIMESTAMP_NS = 1n << 64n;

/** if_tsresol (option 9): 10^-n seconds, or 2^-n when the top bit is set; default microseconds. */
function unitsPerSec(tsresol: Uint8Array | undefined): bigint {
  if (!tsresol || tsresol.length < 1) return 1_000_000n;
  const v = tsresol[0]!;
  return v & 0x80 ? 1n << BigInt(v & 0x7f) : 10n ** BigInt(v);
}

/**
 * Reads the packets of a pcapng file (draft-ietf-opsawg-pcapng) whose first 4 bytes (the section
 * header block type) were already consumed from `src`. Handles several sections, each in its own
 * byte order; enhanced, simple and obsolete packet blocks; interface names, `if_tsresol` and
 * `if_tsoffset`; packet comments. Other blocks are skipped. Errors name the block index and offset:
 * `pcap/truncated`, `pcap/bad-magic` (byte-order magic), `pcap/bad-block` (lengths, undefined interface).
 */
export async function* readPcapng(src: ByteSource): AsyncGenerator<CapturePacket> {
  let le = true;
  let ifaces: Iface[] = [];
  let first = true;
  for (let index = 0; ; index++) {
    const at = first ? 0 : src.offset;
    const where = `pcapng: block ${index} at offset ${at}`;
    if (!first && (await src.atEnd())) return;
    const head = await src.read(8);
    const headLen = first ? 12 : 8;
    if (!head) throw new PcapError('pcap/truncated', `${where}: expected a ${headLen}-byte block header, got ${(first ? 4 : 0) + (await src.available(8))}`);
    // The first read of a section header lacks the 4 type bytes already consumed.
    const hv = new DataView(head.buffer);
    const isShb = first || hv.getUint32(0, true) === PCAPNG_SHB;
    if (isShb) {
      let lenBytes: Uint8Array;
      let bom: Uint8Array;
      if (first) {
        lenBytes = head.subarray(0, 4);
        bom = head.subarray(4, 8);
      } else {
        const more = await src.read(4);
        if (!more) throw new PcapError('pcap/truncated', `${where}: expected a 12-byte section header, got ${8 + (await src.available(4))}`);
        lenBytes = head.subarray(4, 8);
        bom = more;
      }
      const bv = new DataView(bom.buffer, bom.byteOffset, 4);
      if (bv.getUint32(0, true) === PCAPNG_BOM) le = true;
      else if (bv.getUint32(0, false) === PCAPNG_BOM) le = false;
      else throw new PcapError('pcap/bad-magic', `${where}: expected byte-order magic 0x1a2b3c4d, got 0x${bv.getUint32(0, false).toString(16).padStart(8, '0')}`);
      const totalLen = new DataView(lenBytes.buffer, lenBytes.byteOffset, 4).getUint32(0, le);
      if (totalLen < 28 || totalLen % 4 !== 0 || totalLen > MAX_BLOCK_LEN) {
        throw new PcapError('pcap/bad-block', `${where}: expected a section header length of at least 28 and a multiple of 4, got ${totalLen}`);
      }
      const rest = await src.read(totalLen - 12);
      if (!rest) throw new PcapError('pcap/truncated', `${where}: expected ${totalLen} bytes, got ${12 + (await src.available(totalLen - 12))}`);
      checkTrailer(rest, totalLen, le, where);
      ifaces = [];
      first = false;
      continue;
    }
    const type = hv.getUint32(0, le);
    const totalLen = hv.getUint32(4, le);
    if (totalLen < 12 || totalLen % 4 !== 0 || totalLen > MAX_BLOCK_LEN) {
      throw new PcapError('pcap/bad-block', `${where}: expected a block length of at least 12 and a multiple of 4, got ${totalLen}`);
    }
    const rest = await src.read(totalLen - 8);
    if (!rest) throw new PcapError('pcap/truncated', `${where}: expected ${totalLen} bytes, got ${8 + (await src.available(totalLen - 8))}`);
    checkTrailer(rest, totalLen, le, where);
    const body = rest.subarray(0, rest.length - 4);
    const bv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const needBody = (n: number, what: string): void => {
      if (body.length < n) throw new PcapError('pcap/bad-block', `${where}: ${what}: expected ${n} bytes, got ${body.length}`);
    };
    const iface = (id: number): Iface => {
      const f = ifaces[id];
      if (!f) throw new PcapError('pcap/bad-block', `${where}: expected an interface below ${ifaces.length}, got ${id}`);
      return f;
    };
    const ts = (f: Iface, hi: number, lo: number): bigint => {
      const ns = (((BigInt(hi) << 32n) | BigInt(lo)) * 1_000_000_000n) / f.unitsPerSec + f.tsOffset * 1_000_000_000n;
      // if_tsoffset is signed and unbounded: a time before 1970 or past 2^64 ns cannot be written back out.
      if (ns < 0n || ns >= MAX_TIMESTAMP_NS) {
        throw new PcapError('pcap/bad-timestamp', `${where}: timestamp ${ns} ns (if_tsoffset ${f.tsOffset} s) is outside 0 to 2^64 ns since 1970`);
      }
      return ns;
    };
    if (type === PCAPNG_IDB) {
      needBody(8, 'interface description');
      const opts = readOptions(bv, 8, le, where);
      const off = opts.get(14)?.[0];
      ifaces.push({
        linkType: bv.getUint16(0, le),
        snaplen: bv.getUint32(4, le),
        unitsPerSec: unitsPerSec(opts.get(9)?.[0]),
        tsOffset: off && off.length >= 8 ? new DataView(off.buffer, off.byteOffset, 8).getBigInt64(0, le) : 0n,
        ...(opts.get(2) ? { name: utf8(opts.get(2)![0]!) } : {}),
      });
    } else if (type === PCAPNG_EPB || type === PCAPNG_PB) {
      needBody(20, type === PCAPNG_EPB ? 'enhanced packet' : 'packet');
      const id = type === PCAPNG_EPB ? bv.getUint32(0, le) : bv.getUint16(0, le);
      const f = iface(id);
      const capLen = bv.getUint32(12, le);
      if (20 + capLen > body.length) throw new PcapError('pcap/bad-block', `${where}: expected ${capLen} bytes of packet data, got ${body.length - 20}`);
      const comments = readOptions(bv, 20 + ((capLen + 3) & ~3), le, where).get(1);
      yield {
        data: body.slice(20, 20 + capLen),
        timestampNs: ts(f, bv.getUint32(4, le), bv.getUint32(8, le)),
        interfaceIndex: id,
        originalLength: bv.getUint32(16, le),
        linkType: f.linkType,
        ...(comments ? { comment: comments.map(utf8).join('\n') } : {}),
      };
    } else if (type === PCAPNG_SPB) {
      needBody(4, 'simple packet');
      const f = iface(0);
      const origLen = bv.getUint32(0, le);
      const capLen = Math.min(origLen, f.snaplen || origLen, body.length - 4);
      yield { data: body.slice(4, 4 + capLen), timestampNs: 0n, interfaceIndex: 0, originalLength: origLen, linkType: f.linkType };
    }
  }
}

function checkTrailer(rest: Uint8Array, totalLen: number, le: boolean, where: string): void {
  const trailer = new DataView(rest.buffer, rest.byteOffset + rest.length - 4, 4).getUint32(0, le);
  if (trailer !== totalLen) throw new PcapError('pcap/bad-block', `${where}: expected the trailing block length ${totalLen}, got ${trailer}`);
}
