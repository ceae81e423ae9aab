/** One packet read from a capture. */
export interface CapturePacket {
  /** The captured bytes (a copy the caller owns), from the link-layer header. */
  data: Uint8Array;
  /** Capture time in nanoseconds since the Unix epoch (0n for pcapng simple packet blocks, which have none). */
  timestampNs: bigint;
  /** The interface the packet was captured on: the index of its IDB in its pcapng section; 0 for pcap. */
  interfaceIndex: number;
  /** The packet's comment (pcapng `opt_comment`; several are joined with a newline). */
  comment?: string;
  /** The packet's length on the wire in bytes (at least `data.length` unless the file says otherwise). */
  originalLength: number;
  /** The link type of the packet's interface (1 is Ethernet): LINKTYPE_* from tcpdump.org. */
  linkType: number;
}

/** A packet to write: only `data` is required. */
export interface CaptureRecord {
  data: Uint8Array;
  /** Nanoseconds since the Unix epoch; default 0n. */
  timestampNs?: bigint;
  /** pcapng only: the interface (as returned by `addInterface`); default 0. */
  interfaceIndex?: number;
  /** pcapng only: a packet comment (`opt_comment`). */
  comment?: string;
  /** Length on the wire; default `data.length`. */
  originalLength?: number;
}

/** LINKTYPE_ETHERNET (tcpdump.org link-layer header types). */
export const LINKTYPE_ETHERNET = 1;

/** Blocks and records larger than this are taken as corruption, not allocated. */
export const MAX_BLOCK_LEN = 256 * 1024 * 1024;

/**
 * Packets read from a capture in one go, as parallel arrays: entry i of each is packet i of the
 * batch. Packet i's bytes are `bytes[dataOff[i] .. dataOff[i] + dataLen[i])` (see
 * {@link batchPacket}), all in the one buffer the reader parsed the batch from, which it never
 * writes again. Made by readCaptureBatches, for loops that want no object per packet; the reader
 * fills the same arrays again for the next batch, so a batch is read before the next is asked for.
 */
export interface PacketBatch {
  /** Packets in the batch. */
  length: number;
  /** Bytes of the capture consumed once the batch is read, from the start of the file. */
  offset: number;
  /** The buffer holding every packet of the batch. */
  bytes: Uint8Array;
  /** Where each packet's captured bytes start in {@link bytes}. */
  dataOff: Int32Array;
  /** Each packet's captured length in bytes. */
  dataLen: Int32Array;
  /** Capture time: whole seconds since the Unix epoch (0 for pcapng simple packet blocks). */
  seconds: Float64Array;
  /** Capture time: nanoseconds within the second, 0 to 999,999,999. */
  nanos: Int32Array;
  /** The interface: its IDB's index in its pcapng section; 0 for pcap. */
  interfaceIndex: Uint32Array;
  /** Length on the wire in bytes. */
  originalLength: Float64Array;
  /** LINKTYPE_* of the packet's interface. */
  linkType: Uint32Array;
  /** The packet's comment (pcapng `opt_comment`, several joined with a newline), or undefined. */
  comment: (string | undefined)[];
}

/** Packets a reader puts in one batch at most (fewer when its buffer runs dry first). */
export const BATCH_PACKETS = 4096;

/** An empty batch to fill, over the reader's buffer `bytes`. */
export function newBatch(bytes: Uint8Array): PacketBatch {
  return {
    length: 0,
    offset: 0,
    bytes,
    dataOff: new Int32Array(BATCH_PACKETS),
    dataLen: new Int32Array(BATCH_PACKETS),
    seconds: new Float64Array(BATCH_PACKETS),
    nanos: new Int32Array(BATCH_PACKETS),
    interfaceIndex: new Uint32Array(BATCH_PACKETS),
    originalLength: new Float64Array(BATCH_PACKETS),
    linkType: new Uint32Array(BATCH_PACKETS),
    comment: [],
  };
}

/** `batch` emptied for the next packets, parsed from `bytes`; its arrays are reused. */
export function resetBatch(batch: PacketBatch, bytes: Uint8Array): PacketBatch {
  batch.length = 0;
  batch.offset = 0;
  batch.bytes = bytes;
  batch.comment.length = 0;
  batch.seconds.fill(0);
  batch.nanos.fill(0);
  batch.interfaceIndex.fill(0);
  return batch;
}

/** Packet `i` of a batch as a view of the reader's buffer (no copy). */
export function batchPacket(b: PacketBatch, i: number): Uint8Array {
  const off = b.dataOff[i]!;
  return b.bytes.subarray(off, off + b.dataLen[i]!);
}
