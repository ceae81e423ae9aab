import { PcapError } from '../internal/errors.js';
import { ByteSource, type CaptureSource } from './byte-source.js';
import { pcapMagic, readPcap } from './pcap-reader.js';
import { PCAPNG_SHB, readPcapng } from './pcapng-reader.js';
import type { CapturePacket } from './types.js';

/**
 * Reads the packets of a pcap or pcapng capture, one at a time, telling the format from the
 * first 4 bytes: pcap magic in either byte order with microsecond or nanosecond timestamps
 * (pcap-savefile(5)), or a pcapng section header (draft-ietf-opsawg-pcapng). The source is a
 * file path, the file's bytes, or a stream of chunks such as `process.stdin`. Failures are
 * PcapError: `pcap/bad-magic` for a file that is neither, `pcap/truncated` when it ends inside a
 * header or block, `pcap/bad-block` for impossible lengths, `pcap/io` when the file cannot be
 * read. Stopping the iteration early closes the file.
 */
export async function* readCapture(source: CaptureSource): AsyncGenerator<CapturePacket> {
  const src = new ByteSource(source);
  try {
    const magic = await src.read(4);
    if (!magic) throw new PcapError('pcap/truncated', `capture: expected 4 bytes of magic at offset 0, got ${await src.available(4)}`);
    if (new DataView(magic.buffer).getUint32(0, true) === PCAPNG_SHB) {
      yield* readPcapng(src);
    } else if (pcapMagic(magic)) {
      yield* readPcap(src, magic);
    } else {
      const hex = Buffer.from(magic).toString('hex');
      throw new PcapError('pcap/bad-magic', `capture: expected pcap or pcapng magic at offset 0, got 0x${hex}`);
    }
  } finally {
    await src.close();
  }
}

/** Every packet of a capture, in order (see {@link readCapture}). */
export async function readCaptureAll(source: CaptureSource): Promise<CapturePacket[]> {
  const out: CapturePacket[] = [];
  for await (const p of readCapture(source)) out.push(p);
  return out;
}
