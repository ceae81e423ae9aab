import { PcapError } from '../internal/errors.js';
import type { ByteSource } from './byte-source.js';
import { BATCH_PACKETS, MAX_BLOCK_LEN, newBatch, resetBatch, type PacketBatch } from './types.js';

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
  /** For timestamps computed with numbers: units per second, ns per unit (0 when not a whole number: BigInt then), the offset. */
  unitsPerSecNum: number;
  nsPerUnit: number;
  tsOffsetNum: number;
  /** The last whole second a timestamp fell in (seconds before if_tsoffset) and its start in units as hi:lo, for the packets after it in the same second. */
  lastSec: number;
  lastSecHi: number;
  lastSecLo: number;
}

/** The values of option `code` in the options from `off` to `end` of the buffer (draft-ietf-opsawg-pcapng §3.5); a length past the block is `pcap/bad-block`. */
function optionValues(v: DataView, off: number, end: number, blockStart: number, le: boolean, st: ReadState, src: ByteSource, code: number): Uint8Array[] | undefined {
  let out: Uint8Array[] | undefined;
  while (off + 4 <= end) {
    const c = v.getUint16(off, le);
    const len = v.getUint16(off + 2, le);
    if (c === 0) break;
    if (off + 4 + len > end) {
      throw new PcapError('pcap/bad-block', `${blockName(st, src)}: option ${c} at block offset ${off - blockStart}: expected ${len} bytes, got ${end - off - 4}`);
    }
    if (c === code) (out ??= []).push(new Uint8Array(v.buffer, v.byteOffset + off + 4, len));
    off += 4 + ((len + 3) & ~3);
  }
  return out;
}

const decoder = new TextDecoder();
const utf8 = (b: Uint8Array): string => decoder.decode(b);

/** Timestamps are unsigned 64-bit nanoseconds since 1970 once read (what the writers take). */
const MAX_TIMESTAMP_NS = 1n << 64n;
/** Whole seconds below 2^64 ns, for the check on timestamps computed with numbers. */
const MAX_SECONDS = 18_446_744_073;

/** if_tsresol (option 9): 10^-n seconds, or 2^-n when the top bit is set; default microseconds. */
function unitsPerSec(tsresol: Uint8Array | undefined): bigint {
  if (!tsresol || tsresol.length < 1) return 1_000_000n;
  const v = tsresol[0]!;
  return v & 0x80 ? 1n << BigInt(v & 0x7f) : 10n ** BigInt(v);
}

/** Reading state across blocks: the section's byte order and interfaces, the block count. */
interface ReadState {
  le: boolean;
  ifaces: Iface[];
  index: number;
}

/**
 * Reads the packets of a pcapng file (draft-ietf-opsawg-pcapng) from the start of `src`, in
 * batches of what is buffered. Handles several sections, each in its own byte order; enhanced,
 * simple and obsolete packet blocks; `if_tsresol` and `if_tsoffset`; packet comments. Other
 * blocks are skipped. Errors name the block index and offset: `pcap/truncated`, `pcap/bad-magic`
 * (byte-order magic), `pcap/bad-block` (lengths, undefined interface), `pcap/bad-timestamp`.
 */
export async function* readPcapngBatches(src: ByteSource): AsyncGenerator<PacketBatch> {
  const st: ReadState = { le: true, ifaces: [], index: 0 };
  // One batch, filled again each time: the consumer reads it before asking for the next.
  let reused: PacketBatch | undefined;
  for (;;) {
    const batch = reused === undefined ? (reused = newBatch(src.buf)) : resetBatch(reused, src.buf);
    while (batch.length < BATCH_PACKETS && (readEnhancedPackets(src, st, batch), batch.length < BATCH_PACKETS) && readBlock(src, st, batch));
    if (batch.length > 0) {
      batch.offset = src.offset;
      yield batch;
      continue;
    }
    // No whole block is buffered: read more, or say why the file ends here.
    if (st.index > 0 && (await src.atEnd())) return;
    const where = `pcapng: block ${st.index} at offset ${src.offset}`;
    const headLen = st.index === 0 || (src.ensure(4) && src.view.getUint32(src.pos, true) === PCAPNG_SHB) ? 12 : 8;
    if (!(await src.refill(headLen))) throw new PcapError('pcap/truncated', `${where}: expected a ${headLen}-byte block header, got ${src.buffered}`);
    const totalLen = blockLength(src, st);
    if (!(await src.refill(totalLen))) throw new PcapError('pcap/truncated', `${where}: expected ${totalLen} bytes, got ${src.buffered}`);
  }
}

/** The total length of the block at `src.pos`, whose header is buffered, checked; a section header sets the byte order. */
function blockLength(src: ByteSource, st: ReadState): number {
  const v = src.view;
  const at = src.pos;
  if (st.index === 0 || v.getUint32(at, true) === PCAPNG_SHB) {
    if (v.getUint32(at + 8, true) === PCAPNG_BOM) st.le = true;
    else if (v.getUint32(at + 8, false) === PCAPNG_BOM) st.le = false;
    else throw new PcapError('pcap/bad-magic', `${blockName(st, src)}: expected byte-order magic 0x1a2b3c4d, got 0x${v.getUint32(at + 8, false).toString(16).padStart(8, '0')}`);
    const totalLen = v.getUint32(at + 4, st.le);
    if (totalLen < 28 || totalLen % 4 !== 0 || totalLen > MAX_BLOCK_LEN) {
      throw new PcapError('pcap/bad-block', `${blockName(st, src)}: expected a section header length of at least 28 and a multiple of 4, got ${totalLen}`);
    }
    return totalLen;
  }
  const totalLen = v.getUint32(at + 4, st.le);
  if (totalLen < 12 || totalLen % 4 !== 0 || totalLen > MAX_BLOCK_LEN) {
    throw new PcapError('pcap/bad-block', `${blockName(st, src)}: expected a block length of at least 12 and a multiple of 4, got ${totalLen}`);
  }
  return totalLen;
}

/** The block at `src.pos` in errors: `pcapng: block 3 at offset 120`. */
function blockName(st: ReadState, src: ByteSource): string {
  return `pcapng: block ${st.index} at offset ${src.offset}`;
}

function shortBody(where: string, what: string, n: number, got: number): PcapError {
  return new PcapError('pcap/bad-block', `${where}: ${what}: expected ${n} bytes, got ${got}`);
}

function noInterface(where: string, st: ReadState, id: number): never {
  throw new PcapError('pcap/bad-block', `${where}: expected an interface below ${st.ifaces.length}, got ${id}`);
}

/**
 * Reads the enhanced packet blocks at `src.pos` of the common shape into `batch` while they are
 * wholly buffered and it has room, as {@link readBlock} would: no options, a known interface
 * whose timestamps convert with numbers (see {@link setTimestamp}), lengths that add up. It
 * stops, leaving the block to readBlock, at any other block or any block it would refuse.
 */
function readEnhancedPackets(src: ByteSource, st: ReadState, batch: PacketBatch): void {
  if (st.index === 0) return;
  const v = src.view;
  const le = st.le;
  const ifaces = st.ifaces;
  const end = src.end;
  const { dataOff, dataLen, seconds, nanos, interfaceIndex, originalLength, linkType } = batch;
  let at = src.pos;
  let i = batch.length;
  let blocks = 0;
  while (i < BATCH_PACKETS && at + 32 <= end) {
    if (v.getUint32(at, le) !== PCAPNG_EPB) break;
    const totalLen = v.getUint32(at + 4, le);
    const capLen = v.getUint32(at + 20, le);
    // Exactly the header, the padded data and the trailer: no options.
    if (totalLen !== 32 + ((capLen + 3) & ~3) || at + totalLen > end || v.getUint32(at + totalLen - 4, le) !== totalLen) break;
    const id = v.getUint32(at + 8, le);
    const f = ifaces[id];
    if (f === undefined || f.nsPerUnit === 0) break;
    const hi = v.getUint32(at + 12, le);
    const lo = v.getUint32(at + 16, le);
    const ups = f.unitsPerSecNum;
    // Within the second of the packet before: no division.
    let units = (hi - f.lastSecHi) * 0x1_0000_0000 + (lo - f.lastSecLo);
    if (!(units >= 0 && units < ups)) {
      f.lastSec = secondsOf(hi, lo, ups);
      units = unitsLeft;
      // The second's start, hi:lo minus the units past it (fewer than 2^32: one borrow at most).
      f.lastSecHi = lo >= units ? hi : hi - 1;
      f.lastSecLo = lo >= units ? lo - units : lo - units + 0x1_0000_0000;
    }
    const sec = f.lastSec + f.tsOffsetNum;
    if (!(sec >= 0 && sec < MAX_SECONDS)) break;
    seconds[i] = sec;
    nanos[i] = units * f.nsPerUnit;
    dataOff[i] = at + 28;
    dataLen[i] = capLen;
    interfaceIndex[i] = id;
    originalLength[i] = v.getUint32(at + 24, le);
    linkType[i] = f.linkType;
    i++;
    blocks++;
    at += totalLen;
  }
  batch.length = i;
  src.skip(at - src.pos);
  st.index += blocks;
}

/** Reads the block at `src.pos` when it is wholly buffered, adding a packet to `batch` if it is one; false when more bytes are needed. */
function readBlock(src: ByteSource, st: ReadState, batch: PacketBatch): boolean {
  const at = src.pos;
  const v = src.view;
  const shb = st.index === 0 || (src.ensure(4) && v.getUint32(at, true) === PCAPNG_SHB);
  if (!src.ensure(shb ? 12 : 8)) return false;
  // The block's name in errors, built only for one.
  // A section header's byte order applies to its own length: read it on a copy of the state.
  const probe = shb ? { ...st } : st;
  const totalLen = blockLength(src, probe);
  if (!src.ensure(totalLen)) return false;
  const le = probe.le;
  const trailer = v.getUint32(at + totalLen - 4, le);
  if (trailer !== totalLen) throw new PcapError('pcap/bad-block', `${blockName(st, src)}: expected the trailing block length ${totalLen}, got ${trailer}`);
  const body = at + 8;
  const bodyEnd = at + totalLen - 4;
  const bodyLen = bodyEnd - body;
  const type = shb ? PCAPNG_SHB : v.getUint32(at, le);
  if (type === PCAPNG_SHB) {
    st.le = le;
    st.ifaces = [];
  } else if (type === PCAPNG_EPB || type === PCAPNG_PB) {
    if (bodyLen < 20) throw shortBody(blockName(st, src), type === PCAPNG_EPB ? 'enhanced packet' : 'packet', 20, bodyLen);
    const id = type === PCAPNG_EPB ? v.getUint32(body, le) : v.getUint16(body, le);
    const f = st.ifaces[id] ?? noInterface(blockName(st, src), st, id);
    const capLen = v.getUint32(body + 12, le);
    if (20 + capLen > bodyLen) throw new PcapError('pcap/bad-block', `${blockName(st, src)}: expected ${capLen} bytes of packet data, got ${bodyLen - 20}`);
    const optionsAt = body + 20 + ((capLen + 3) & ~3);
    const comments = optionsAt + 4 <= bodyEnd ? optionValues(v, optionsAt, bodyEnd, at, le, st, src, 1) : undefined;
    const i = batch.length;
    setTimestamp(batch, i, f, v.getUint32(body + 4, le), v.getUint32(body + 8, le), st, src);
    batch.length++;
    batch.dataOff[i] = body + 20;
    batch.dataLen[i] = capLen;
    batch.interfaceIndex[i] = id;
    batch.originalLength[i] = v.getUint32(body + 16, le);
    batch.linkType[i] = f.linkType;
    if (comments) batch.comment[i] = comments.map(utf8).join('\n');
  } else if (type === PCAPNG_SPB) {
    if (bodyLen < 4) throw shortBody(blockName(st, src), 'simple packet', 4, bodyLen);
    const f = st.ifaces[0] ?? noInterface(blockName(st, src), st, 0);
    const origLen = v.getUint32(body, le);
    const capLen = Math.min(origLen, f.snaplen || origLen, bodyLen - 4);
    const i = batch.length++;
    batch.dataOff[i] = body + 4;
    batch.dataLen[i] = capLen;
    batch.originalLength[i] = origLen;
    batch.linkType[i] = f.linkType;
  } else if (type === PCAPNG_IDB) {
    if (bodyLen < 8) throw shortBody(blockName(st, src), 'interface description', 8, bodyLen);
    const option = (code: number) => optionValues(v, body + 8, bodyEnd, at, le, st, src, code)?.[0];
    const tsresol = option(9);
    const off = option(14);
    const ups = unitsPerSec(tsresol);
    const tsOffset = off && off.length >= 8 ? new DataView(off.buffer, off.byteOffset, 8).getBigInt64(0, le) : 0n;
    const decimal = ups <= 1_000_000_000n && 1_000_000_000n % ups === 0n;
    const smallOffset = tsOffset > -(1n << 40n) && tsOffset < 1n << 40n;
    st.ifaces.push({
      linkType: v.getUint16(body, le),
      snaplen: v.getUint32(body + 4, le),
      unitsPerSec: ups,
      tsOffset,
      unitsPerSecNum: Number(ups),
      nsPerUnit: decimal && smallOffset ? Number(1_000_000_000n / ups) : 0,
      tsOffsetNum: Number(tsOffset),
      lastSec: 0,
      lastSecHi: -2,
      lastSecLo: 0,
    });
  }
  src.skip(totalLen);
  st.index++;
  return true;
}

/** The units past the whole seconds of the last {@link secondsOf}, 0 to unitsPerSec - 1. */
let unitsLeft = 0;

/** floor(x / d) and x - that * d for 0 <= x < 2^53, d a positive integer: the division rounds, so the quotient is put back in range. */
function divide(x: number, d: number): number {
  let q = Math.floor(x / d);
  const r = x - q * d;
  if (r < 0) q -= 1;
  else if (r >= d) q += 1;
  unitsLeft = x - q * d;
  return q;
}

/**
 * The whole seconds in a 64-bit count of `hi`:`lo` units of which `unitsPerSec` make a second
 * (at most 10^9), with numbers only: the count is divided 16 bits at a time so that every
 * intermediate stays below 2^53; the units left over go to {@link unitsLeft}. Exact while the
 * seconds stay below 2^53 (always, for the timestamps this reader accepts).
 */
function secondsOf(hi: number, lo: number, unitsPerSec: number): number {
  const high = divide(hi * 0x10000 + (lo >>> 16), unitsPerSec);
  const low = divide(unitsLeft * 0x10000 + (lo & 0xffff), unitsPerSec);
  return high * 0x10000 + low;
}

/**
 * Entry `i` of the batch's seconds and nanos from a timestamp of `hi`:`lo` units of `f`, with
 * numbers for a decimal resolution and an if_tsoffset below 2^40 s, else with BigInt. A time
 * before 1970 or past 2^64 ns (if_tsoffset is signed and unbounded) cannot be written back out:
 * `pcap/bad-timestamp`.
 */
function setTimestamp(batch: PacketBatch, i: number, f: Iface, hi: number, lo: number, st: ReadState, src: ByteSource): void {
  if (f.nsPerUnit !== 0) {
    const sec = secondsOf(hi, lo, f.unitsPerSecNum) + f.tsOffsetNum;
    if (sec >= 0 && sec < MAX_SECONDS) {
      batch.seconds[i] = sec;
      batch.nanos[i] = unitsLeft * f.nsPerUnit;
      return;
    }
  }
  const ns = (((BigInt(hi) << 32n) | BigInt(lo)) * 1_000_000_000n) / f.unitsPerSec + f.tsOffset * 1_000_000_000n;
  if (ns < 0n || ns >= MAX_TIMESTAMP_NS) {
    throw new PcapError('pcap/bad-timestamp', `${blockName(st, src)}: timestamp ${ns} ns (if_tsoffset ${f.tsOffset} s) is outside 0 to 2^64 ns since 1970`);
  }
  batch.seconds[i] = Number(ns / 1_000_000_000n);
  batch.nanos[i] = Number(ns % 1_000_000_000n);
}
