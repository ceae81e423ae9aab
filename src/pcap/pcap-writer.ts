import { AtomicFile } from './atomic-file.js';
import { PCAP_MAGIC_NS, PCAP_MAGIC_US } from './pcap-reader.js';
import { type CaptureRecord, LINKTYPE_ETHERNET } from './types.js';

/** Options of {@link PcapWriter}. */
export interface PcapWriterOptions {
  /** Timestamp unit: `'ns'` (magic 0xa1b23c4d) or `'us'` (0xa1b2c3d4). Default `'ns'`. */
  resolution?: 'us' | 'ns';
  /** Byte order of the file. Default true (little-endian). */
  littleEndian?: boolean;
  /** Link type. Default 1 (Ethernet). */
  linkType?: number;
  /** Snapshot length in the header. Default 262144. */
  snaplen?: number;
}

/** The 24-byte pcap file header (pcap-savefile(5)). */
export function encodePcapHeader(options: PcapWriterOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const h = new Uint8Array(24);
  const v = new DataView(h.buffer);
  v.setUint32(0, options.resolution === 'us' ? PCAP_MAGIC_US : PCAP_MAGIC_NS, le);
  v.setUint16(4, 2, le);
  v.setUint16(6, 4, le);
  v.setUint32(16, options.snaplen ?? 262144, le);
  v.setUint32(20, options.linkType ?? LINKTYPE_ETHERNET, le);
  return h;
}

/** One pcap record: the 16-byte record header and the data. Timestamps are cut to the file's unit. */
export function encodePcapRecord(rec: CaptureRecord, options: PcapWriterOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const ts = rec.timestampNs ?? 0n;
  if (ts < 0n || ts >= 2n ** 32n * 1_000_000_000n) throw new RangeError(`timestampNs: expected 0 to 2^32 seconds, got ${ts}`);
  const out = new Uint8Array(16 + rec.data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, Number(ts / 1_000_000_000n), le);
  const frac = ts % 1_000_000_000n;
  v.setUint32(4, Number(options.resolution === 'us' ? frac / 1000n : frac), le);
  v.setUint32(8, rec.data.length, le);
  v.setUint32(12, rec.originalLength ?? rec.data.length, le);
  out.set(rec.data, 16);
  return out;
}

/**
 * A classic pcap file being written (pcap-savefile(5)). It is written under a temporary name and
 * appears at its path on {@link PcapWriter.close}; {@link PcapWriter.abort} or a failure leaves
 * no file. Comments and interfaces of {@link CaptureRecord} are not representable and ignored.
 */
export class PcapWriter {
  private constructor(
    private readonly file: AtomicFile,
    private readonly options: PcapWriterOptions,
  ) {}

  /** Starts a pcap file at `path` (replacing any file there when closed). */
  static async open(path: string, options: PcapWriterOptions = {}): Promise<PcapWriter> {
    const file = await AtomicFile.create(path);
    file.push(encodePcapHeader(options));
    return new PcapWriter(file, options);
  }

  /** Appends one packet. */
  async writePacket(rec: CaptureRecord): Promise<void> {
    await this.file.write(encodePcapRecord(rec, this.options));
  }

  /** Finishes the file and moves it into place. */
  async close(): Promise<void> {
    await this.file.commit();
  }

  /** Drops the file: nothing appears at the path. */
  async abort(): Promise<void> {
    await this.file.abort();
  }
}
