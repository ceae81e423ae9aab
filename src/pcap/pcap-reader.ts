import { PcapError } from '../internal/errors.js';
import type { ByteSource } from './byte-source.js';
import { type CapturePacket, MAX_BLOCK_LEN } from './types.js';

/** Classic pcap magic numbers as read little-endian (pcap-savefile(5)): microsecond and nanosecond timestamps. */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;

/** Byte order and timestamp unit of a pcap file from its magic, or undefined when it is not one. */
export function pcapMagic(magic: Uint8Array): { littleEndian: boolean; nanos: boolean } | undefined {
  const le = new DataView(magic.buffer, magic.byteOffset, 4).getUint32(0, true);
  const be = new DataView(magic.buffer, magic.byteOffset, 4).getUint32(0, false);
  if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) return { littleEndian: true, nanos: le === PCAP_MAGIC_NS };
  if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) return { littleEndian: false, nanos: be === PCAP_MAGIC_NS };
  return undefined;
}

/**
 * Reads the records of a classic pcap file (pcap-savefile(5)) whose 4 magic bytes `magic` were
 * already consumed from `src`. Ends at the end of the stream on a record boundary; a partial
 * header or record is `pcap/truncated`, an impossible captured length `pcap/bad-block`.
 */
export async function* readPcap(src: ByteSource, magic: Uint8Array): AsyncGenerator<CapturePacket> {
  const { littleEndian, nanos } = pcapMagic(magic)!;
  const rest = await src.read(20);
  if (!rest) throw new PcapError('pcap/truncated', `pcap: file header: expected 24 bytes, got ${4 + (await src.available(20))}`);
  const hv = new DataView(rest.buffer);
  const snaplen = hv.getUint32(12, littleEndian);
  // The top bits of the link type field carry FCS information (pcap-savefile(5)).
  const linkType = hv.getUint32(16, littleEndian) & 0x0fffffff;
  const limit = Math.min(MAX_BLOCK_LEN, Math.max(snaplen, 262144));
  for (let index = 0; ; index++) {
    const at = src.offset;
    const where = `pcap: record ${index} at offset ${at}`;
    if (await src.atEnd()) return;
    const h = await src.read(16);
    if (!h) throw new PcapError('pcap/truncated', `${where}: expected a 16-byte record header, got ${await src.available(16)}`);
    const v = new DataView(h.buffer);
    const sec = v.getUint32(0, littleEndian);
    const frac = v.getUint32(4, littleEndian);
    const inclLen = v.getUint32(8, littleEndian);
    const origLen = v.getUint32(12, littleEndian);
    if (inclLen > limit) throw new PcapError('pcap/bad-block', `${where}: expected captured length at most ${limit}, got ${inclLen}`);
    const data = await src.read(inclLen);
    if (!data) throw new PcapError('pcap/truncated', `${where}: expected ${inclLen} bytes of packet data, got ${await src.available(inclLen)}`);
    yield {
      data,
      timestampNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nanos ? 1n : 1000n),
      interfaceIndex: 0,
      originalLength: origLen,
      linkType,
    };
  }
}
