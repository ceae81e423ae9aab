/**
 * Fixed addresses in the VM's linear memory (one WebAssembly.Memory shared by both engines).
 * Everything below HEAP is laid out at creation; map values and global data are allocated
 * from HEAP upward. Address 0 is never valid for the program, so NULL dereferences fault.
 */
export const LAYOUT = {
  /** Control block: run state both engines and the helpers read and write; never valid to the program. */
  CTRL: 0x0000,
  /** The context struct (xdp_md or __sk_buff), up to CTX_SIZE bytes. */
  CTX: 0x1000,
  CTX_SIZE: 0x100,
  /**
   * Stack: MAX_CALL_FRAMES frames of MAX_BPF_STACK bytes. Frame i is
   * [STACK + i*512, STACK + (i+1)*512) and its r10 is the frame's end.
   */
  STACK: 0x2000,
  STACK_SIZE: 8 * 512,
  /** The packet buffer: headroom, data and tailroom live in [PACKET, PACKET + PACKET_SIZE). */
  PACKET: 0x4000,
  PACKET_SIZE: 0xc000,
  /** First byte of the heap (map values, global data). */
  HEAP: 0x10000,
} as const;

/** Byte offsets of the control block's fields (all little-endian). */
export const CTRL = {
  /** u32: lowest valid packet address (data_meta). */
  PKT_START: 0x00,
  /** u32: data_end, one past the last valid packet byte. */
  PKT_END: 0x04,
  /** u32: data, where the frame starts after any metadata. */
  PKT_DATA: 0x08,
} as const;

/** WebAssembly page size, bytes. */
export const WASM_PAGE = 0x10000;

/**
 * Map pointers in registers (from `lddw rX, map`) are handles above the heap, never valid
 * addresses: MAP_HANDLE_BASE + index * MAP_HANDLE_STRIDE, index into ObjectSpec.maps.
 */
export const MAP_HANDLE_BASE = 0xf000_0000;
export const MAP_HANDLE_STRIDE = 0x100;
/** The heap never grows past this address. */
export const HEAP_LIMIT = MAP_HANDLE_BASE;

/** The register value of a pointer to map `index`. */
export function mapHandle(index: number): number {
  return MAP_HANDLE_BASE + index * MAP_HANDLE_STRIDE;
}

/** The map index of handle `value`, or -1 when it is not a map pointer. */
export function mapIndexOf(value: bigint | number): number {
  const v = Number(value);
  if (v < MAP_HANDLE_BASE || v >= 0x1_0000_0000 || (v - MAP_HANDLE_BASE) % MAP_HANDLE_STRIDE !== 0) return -1;
  return (v - MAP_HANDLE_BASE) / MAP_HANDLE_STRIDE;
}
