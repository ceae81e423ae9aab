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
