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
 * batch. Made by readCaptureBatches, for loops that want no object per packet.
 */
export interface PacketBatch {
  /** Packets in the batch. */
  length: number;
  /** Bytes of the capture consumed once the batch is read, from the start of the file. */
  offset: number;
  /** The captured bytes: views into the reader's buffers, which it never writes again. */
  data: Uint8Array[];
  /** Capture time: whole seconds since the Unix epoch (0 for pcapng simple packet blocks). */
  seconds: number[];
  /** Capture time: nanoseconds within the second, 0 to 999,999,999. */
  nanos: number[];
  /** The interface: its IDB's index in its pcapng section; 0 for pcap. */
  interfaceIndex: number[];
  /** Length on the wire in bytes. */
  originalLength: number[];
  /** LINKTYPE_* of the packet's interface. */
  linkType: number[];
  /** The packet's comment (pcapng `opt_comment`, several joined with a newline), or undefined. */
  comment: (string | undefined)[];
}

/** An empty batch to fill. */
export function newBatch(): PacketBatch {
  return { length: 0, offset: 0, data: [], seconds: [], nanos: [], interfaceIndex: [], originalLength: [], linkType: [], comment: [] };
}

/** Packets a reader puts in one batch at most (fewer when its buffer runs dry first). */
export const BATCH_PACKETS = 4096;
