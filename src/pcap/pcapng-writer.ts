import { AtomicFile } from './atomic-file.js';
import { PCAPNG_BOM, PCAPNG_EPB, PCAPNG_IDB, PCAPNG_SHB } from './pcapng-reader.js';
import { type CaptureRecord, LINKTYPE_ETHERNET } from './types.js';

/** An interface of a pcapng file: one interface description block. */
export interface PcapngInterface {
  /** `if_name`, shown by Wireshark as `frame.interface_name`. */
  name?: string;
  /** `if_description`. */
  description?: string;
  /** Link type. Default 1 (Ethernet). */
  linkType?: number;
  /** Snapshot length. Default 0 (no limit). */
  snaplen?: number;
  /** `if_tsresol` as a power of ten: 6 for microseconds, 9 for nanoseconds. Default 9. */
  tsresol?: number;
}

/** Options of {@link PcapngWriter}. */
export interface PcapngWriterOptions {
  /** Byte order of the section. Default true (little-endian). */
  littleEndian?: boolean;
  /** `shb_userappl`. Default `'bpfsim'`. */
  application?: string;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bytes of the buffer {@link PcapngWriter.appendPacket} encodes blocks into. */
const APPEND_BUFFER_BYTES = 1 << 20;

/** Options as `code`, `length`, value padded to 4 bytes, then `opt_endofopt` (draft-ietf-opsawg-pcapng §3.5). */
function encodeOptions(options: [number, Uint8Array][], le: boolean): Uint8Array {
  if (options.length === 0) return new Uint8Array(0);
  let len = 4;
  for (const [, v] of options) len += 4 + ((v.length + 3) & ~3);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  let off = 0;
  for (const [code, v] of options) {
    if (v.length > 0xffff) throw new RangeError(`pcapng option ${code}: expected at most 65535 bytes, got ${v.length}`);
    dv.setUint16(off, code, le);
    dv.setUint16(off + 2, v.length, le);
    out.set(v, off + 4);
    off += 4 + ((v.length + 3) & ~3);
  }
  return out;
}

/** A block: type, total length, `body` (padded to 4 bytes), `options`, total length again. */
export function encodeBlock(type: number, body: Uint8Array, options: [number, Uint8Array][], le: boolean): Uint8Array {
  const opts = encodeOptions(options, le);
  const bodyLen = (body.length + 3) & ~3;
  const total = 12 + bodyLen + opts.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, le);
  dv.setUint32(4, total, le);
  out.set(body, 8);
  out.set(opts, 8 + bodyLen);
  dv.setUint32(total - 4, total, le);
  return out;
}

/** A section header block with an unknown section length (§4.1). */
export function encodeSectionHeader(options: PcapngWriterOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const body = new Uint8Array(16);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, PCAPNG_BOM, le);
  dv.setUint16(4, 1, le);
  dv.setUint16(6, 0, le);
  dv.setBigInt64(8, -1n, le);
  return encodeBlock(PCAPNG_SHB, body, [[4, utf8(options.application ?? 'bpfsim')]], le);
}

/** An interface description block (§4.2). */
export function encodeInterface(iface: PcapngInterface, le = true): Uint8Array {
  const body = new Uint8Array(8);
  const dv = new DataView(body.buffer);
  dv.setUint16(0, iface.linkType ?? LINKTYPE_ETHERNET, le);
  dv.setUint32(4, iface.snaplen ?? 0, le);
  const opts: [number, Uint8Array][] = [];
  if (iface.name !== undefined) opts.push([2, utf8(iface.name)]);
  if (iface.description !== undefined) opts.push([3, utf8(iface.description)]);
  opts.push([9, Uint8Array.of(iface.tsresol ?? 9)]);
  return encodeBlock(PCAPNG_IDB, body, opts, le);
}

/** An enhanced packet block (§4.3), its timestamp in units of 10^-`tsresol` seconds. */
export function encodeEnhancedPacket(rec: CaptureRecord, tsresol = 9, le = true): Uint8Array {
  const ts = rec.timestampNs ?? 0n;
  if (ts < 0n) throw new RangeError(`timestampNs: expected a non-negative time, got ${ts}`);
  const units = tsresol <= 9 ? ts / 10n ** BigInt(9 - tsresol) : ts * 10n ** BigInt(tsresol - 9);
  const body = new Uint8Array(20 + rec.data.length);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, rec.interfaceIndex ?? 0, le);
  dv.setUint32(4, Number((units >> 32n) & 0xffffffffn), le);
  dv.setUint32(8, Number(units & 0xffffffffn), le);
  dv.setUint32(12, rec.data.length, le);
  dv.setUint32(16, rec.originalLength ?? rec.data.length, le);
  body.set(rec.data, 20);
  return encodeBlock(PCAPNG_EPB, body, rec.comment !== undefined ? [[1, utf8(rec.comment)]] : [], le);
}

/**
 * A pcapng file being written (draft-ietf-opsawg-pcapng): one section, interfaces added at any
 * time (bpfsim adds one per egress), enhanced packet blocks with an optional comment each. It is
 * written under a temporary name and appears at its path on {@link PcapngWriter.close};
 * {@link PcapngWriter.abort} or a failure leaves no file.
 */
export class PcapngWriter {
  private readonly tsresol: number[] = [];

  private constructor(
    private readonly file: AtomicFile,
    private readonly le: boolean,
  ) {}

  /** Starts a pcapng file at `path` (replacing any file there when closed). */
  static async open(path: string, options: PcapngWriterOptions = {}): Promise<PcapngWriter> {
    const file = await AtomicFile.create(path);
    file.push(encodeSectionHeader(options));
    return new PcapngWriter(file, options.littleEndian ?? true);
  }

  /** The number of interfaces added so far. */
  get interfaceCount(): number {
    return this.tsresol.length;
  }

  /** Adds an interface and returns its index, for `interfaceIndex` of the packets written on it. */
  addInterface(iface: PcapngInterface = {}): number {
    const tsresol = iface.tsresol ?? 9;
    if (!Number.isInteger(tsresol) || tsresol < 0 || tsresol > 9) throw new RangeError(`tsresol: expected 0..9, got ${tsresol}`);
    this.appendBlock(encodeInterface({ ...iface, tsresol }, this.le));
    this.tsresol.push(tsresol);
    return this.tsresol.length - 1;
  }

  /** Appends one packet; its interface must have been added. */
  async writePacket(rec: CaptureRecord): Promise<void> {
    const id = rec.interfaceIndex ?? 0;
    const tsresol = this.tsresol[id];
    if (tsresol === undefined) throw new RangeError(`interfaceIndex: expected an added interface below ${this.tsresol.length}, got ${id}`);
    this.appendBlock(encodeEnhancedPacket(rec, tsresol, this.le));
    await this.file.drain();
  }

  /**
   * Appends an enhanced packet block without awaiting: the block is encoded straight into a
   * 1 MiB buffer (the comment's bytes cached per string), and full buffers are queued on the
   * file; {@link drain} writes them. The time is `seconds` since 1970 and `nanos` within it.
   */
  appendPacket(data: Uint8Array, interfaceIndex: number, seconds: number, nanos: number, comment?: string): void {
    this.appendPacketIn(data, 0, data.length, interfaceIndex, seconds, nanos, comment);
  }

  /** {@link appendPacket} of the `len` bytes at `off` of `bytes`, copied straight into the buffer. */
  appendPacketIn(bytes: Uint8Array, off: number, len: number, interfaceIndex: number, seconds: number, nanos: number, comment?: string): void {
    const tsresol = this.tsresol[interfaceIndex];
    if (tsresol !== 9) {
      if (tsresol === undefined) throw new RangeError(`interfaceIndex: expected an added interface below ${this.tsresol.length}, got ${interfaceIndex}`);
      const data = bytes.slice(off, off + len);
      this.appendBlock(encodeEnhancedPacket({ data, interfaceIndex, timestampNs: BigInt(seconds) * 1_000_000_000n + BigInt(nanos), ...(comment !== undefined && { comment }) }, tsresol, this.le));
      return;
    }
    const opt = comment === undefined ? undefined : this.commentOption(comment);
    const dataLen = (len + 3) & ~3;
    const total = 32 + dataLen + (opt ? opt.length : 0);
    if (this.used + total > this.block.length) this.newBlock(total);
    const at = this.used;
    const v = this.blockView;
    const le = this.le;
    // Nanosecond units as hi:lo without BigInt: seconds = a * 2^16 + b keeps every product below 2^53.
    const a = Math.floor(seconds / 0x10000);
    const b = seconds - a * 0x10000;
    const aNs = a * 1e9;
    const aNsHi = Math.floor(aNs / 0x10000);
    let lo = (aNs - aNsHi * 0x10000) * 0x10000 + b * 1e9 + nanos;
    const carry = Math.floor(lo / 0x1_0000_0000);
    lo -= carry * 0x1_0000_0000;
    v.setUint32(at, PCAPNG_EPB, le);
    v.setUint32(at + 4, total, le);
    v.setUint32(at + 8, interfaceIndex, le);
    v.setUint32(at + 12, aNsHi + carry, le);
    v.setUint32(at + 16, lo, le);
    v.setUint32(at + 20, len, le);
    v.setUint32(at + 24, len, le);
    const block = this.block;
    block.set(off === 0 && len === bytes.length ? bytes : bytes.subarray(off, off + len), at + 28);
    // Padding bytes are zero (the buffer may be a reused one).
    for (let p = at + 28 + len; p < at + 28 + dataLen; p++) block[p] = 0;
    if (opt) block.set(opt, at + 28 + dataLen);
    v.setUint32(at + total - 4, total, le);
    this.used += total;
  }

  /** Writes the full buffers {@link appendPacket} queued, once they add up to 1 MiB. */
  async drain(): Promise<void> {
    await this.file.drain();
    // Once the file has written every buffer, they are free for the next packets.
    if (this.file.queuedBytes === 0 && this.written.length > 0) {
      for (const buffer of this.written) if (this.spares.length < 4) this.spares.push(buffer);
      this.written = [];
    }
  }

  /** Append buffers queued on the file, and those it has written, to fill again. */
  private written: Uint8Array<ArrayBuffer>[] = [];
  private readonly spares: Uint8Array<ArrayBuffer>[] = [];

  private block = new Uint8Array(0);
  private blockView = new DataView(this.block.buffer);
  private used = 0;
  private readonly comments = new Map<string, Uint8Array>();

  /** Queues the filled part of the buffer and starts a new one with room for `atLeast` bytes. */
  private newBlock(atLeast: number): void {
    // Nothing appended to the buffer yet, and it has the room: keep it.
    if (this.used === 0 && this.block.length > 0 && this.block.length >= atLeast) return;
    if (this.used > 0) {
      this.file.push(this.block.subarray(0, this.used));
      if (this.block.length === APPEND_BUFFER_BYTES) this.written.push(this.block);
    }
    const spare = atLeast <= APPEND_BUFFER_BYTES ? this.spares.pop() : undefined;
    this.block = spare ?? new Uint8Array(Math.max(APPEND_BUFFER_BYTES, atLeast));
    this.blockView = new DataView(this.block.buffer);
    this.used = 0;
  }

  private appendBlock(bytes: Uint8Array): void {
    this.newBlock(0);
    this.file.push(bytes);
  }

  /** The encoded options of a packet comment (opt_comment, then opt_endofopt), cached for the comments a replay repeats. */
  private commentOption(comment: string): Uint8Array {
    let opt = this.comments.get(comment);
    if (!opt) {
      opt = encodeOptions([[1, utf8(comment)]], this.le);
      if (this.comments.size < 4096) this.comments.set(comment, opt);
    }
    return opt;
  }

  /** Finishes the file and moves it into place. */
  async close(): Promise<void> {
    this.newBlock(0);
    await this.file.commit();
  }

  /** Drops the file: nothing appears at the path. */
  async abort(): Promise<void> {
    await this.file.abort();
  }
}
