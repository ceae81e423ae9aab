import { PcapError } from '../internal/errors.js';
import { ByteSource, type CaptureSource } from './byte-source.js';
import { pcapMagic, readPcapBatches } from './pcap-reader.js';
import { PCAPNG_SHB, readPcapngBatches } from './pcapng-reader.js';
import { batchPacket, type CapturePacket, type PacketBatch } from './types.js';

/**
 * Reads the packets of a pcap or pcapng capture in batches (parallel typed arrays, packet bytes as
 * offsets into 1 MiB read buffers: no object or copy per packet), telling the format from the first 4
 * bytes: pcap magic in either byte order with microsecond or nanosecond timestamps
 * (pcap-savefile(5)), or a pcapng section header (draft-ietf-opsawg-pcapng). The source is a file
 * path, the file's bytes, or a stream of chunks such as `process.stdin`. Failures are PcapError:
 * `pcap/bad-magic` for a file that is neither, `pcap/truncated` when it ends inside a header or
 * block, `pcap/bad-block` for impossible lengths, `pcap/io` when the file cannot be read.
 * Stopping the iteration early closes the file.
 */
export async function* readCaptureBatches(source: CaptureSource): AsyncGenerator<PacketBatch> {
  const src = new ByteSource(source);
  try {
    if (!(await src.refill(4))) throw new PcapError('pcap/truncated', `capture: expected 4 bytes of magic at offset 0, got ${src.buffered}`);
    const magic = src.buf.subarray(src.pos, src.pos + 4);
    if (src.view.getUint32(src.pos, true) === PCAPNG_SHB) {
      yield* readPcapngBatches(src);
    } else if (pcapMagic(magic)) {
      yield* readPcapBatches(src);
    } else {
      const hex = Buffer.from(magic).toString('hex');
      throw new PcapError('pcap/bad-magic', `capture: expected pcap or pcapng magic at offset 0, got 0x${hex}`);
    }
  } finally {
    await src.close();
  }
}

/** Reads the packets of a capture one at a time (see {@link readCaptureBatches}); each packet's `data` is a copy the caller owns. */
export async function* readCapture(source: CaptureSource): AsyncGenerator<CapturePacket> {
  for await (const b of readCaptureBatches(source)) {
    for (let i = 0; i < b.length; i++) {
      const comment = b.comment[i];
      yield {
        data: batchPacket(b, i).slice(),
        timestampNs: BigInt(b.seconds[i]!) * 1_000_000_000n + BigInt(b.nanos[i]!),
        interfaceIndex: b.interfaceIndex[i]!,
        originalLength: b.originalLength[i]!,
        linkType: b.linkType[i]!,
        ...(comment !== undefined ? { comment } : {}),
      };
    }
  }
}

/** Every packet of a capture, in order (see {@link readCapture}). */
export async function readCaptureAll(source: CaptureSource): Promise<CapturePacket[]> {
  const out: CapturePacket[] = [];
  for await (const p of readCapture(source)) out.push(p);
  return out;
}
