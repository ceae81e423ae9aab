import { PcapError } from '../internal/errors.js';
import type { ByteSource } from './byte-source.js';
import { BATCH_PACKETS, MAX_BLOCK_LEN, newBatch, resetBatch, type PacketBatch } from './types.js';

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
 * Reads the records of a classic pcap file (pcap-savefile(5)) from the start of `src`, whose
 * first 4 bytes are buffered and hold a pcap magic, in batches of what is buffered. Ends at the
 * end of the stream on a record boundary; a partial header or record is `pcap/truncated`, an
 * impossible captured length `pcap/bad-block`.
 */
export async function* readPcapBatches(src: ByteSource): AsyncGenerator<PacketBatch> {
  const { littleEndian: le, nanos } = pcapMagic(src.buf.subarray(src.pos, src.pos + 4))!;
  if (!(await src.refill(24))) throw new PcapError('pcap/truncated', `pcap: file header: expected 24 bytes, got ${src.buffered}`);
  const snaplen = src.view.getUint32(src.pos + 16, le);
  // The top bits of the link type field carry FCS information (pcap-savefile(5)).
  const linkType = src.view.getUint32(src.pos + 20, le) & 0x0fffffff;
  src.skip(24);
  const limit = Math.min(MAX_BLOCK_LEN, Math.max(snaplen, 262144));
  const fracNs = nanos ? 1 : 1000;
  let index = 0;
  // One batch, filled again each time: the consumer reads it before asking for the next.
  let reused: PacketBatch | undefined;
  for (;;) {
    const batch = reused === undefined ? (reused = newBatch(src.buf)) : resetBatch(reused, src.buf);
    // Parse every whole record that is buffered, then refill once.
    while (batch.length < BATCH_PACKETS && src.ensure(16)) {
      const at = src.pos;
      const v = src.view;
      const inclLen = v.getUint32(at + 8, le);
      if (inclLen > limit) throw new PcapError('pcap/bad-block', `pcap: record ${index} at offset ${src.offset}: expected captured length at most ${limit}, got ${inclLen}`);
      if (!src.ensure(16 + inclLen)) break;
      const i = batch.length++;
      batch.seconds[i] = v.getUint32(at, le);
      batch.nanos[i] = v.getUint32(at + 4, le) * fracNs;
      batch.originalLength[i] = v.getUint32(at + 12, le);
      batch.interfaceIndex[i] = 0;
      batch.linkType[i] = linkType;
      batch.dataOff[i] = at + 16;
      batch.dataLen[i] = inclLen;
      src.skip(16 + inclLen);
      index++;
    }
    if (batch.length > 0) {
      batch.offset = src.offset;
      yield batch;
      continue;
    }
    if (await src.atEnd()) return;
    const where = `pcap: record ${index} at offset ${src.offset}`;
    if (!(await src.refill(16))) throw new PcapError('pcap/truncated', `${where}: expected a 16-byte record header, got ${src.buffered}`);
    const inclLen = src.view.getUint32(src.pos + 8, le);
    if (inclLen <= limit && !(await src.refill(16 + inclLen))) throw new PcapError('pcap/truncated', `${where}: expected ${inclLen} bytes of packet data, got ${src.buffered - 16}`);
  }
}
