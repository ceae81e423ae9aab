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
   * Stack: MAX_CALL_FRAMES frames of MAX_BPF_STACK bytes, growing down as calls nest. The frame
   * at call depth d (0 = the program itself) is [STACK_END - (d+1)*512, STACK_END - d*512) and
   * its r10 is that range's end ({@link frameTop}).
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
  /** u32: the context size the WebAssembly engine's table below was built for (VmMemory.ctxSize). */
  WASM_CTX_SIZE: 0x0c,
  /**
   * 256 bytes, one per context offset: the WebAssembly engine's copy of VmMemory.ctxRule, bit
   * log2(size) set when a read of that size is allowed there, bit 4 + log2(size) for a write.
   */
  WASM_CTX_RULES: 0x100,
  /**
   * The slab table the WebAssembly engine's inline bounds check searches (VmMemory keeps it):
   * u32 count at WASM_SLABS, then from WASM_SLAB_ENTRIES one 16-byte entry per slab in address
   * order: u32 base, u32 end, u32 stride, u32 valueSize with bit 31 set when read-only. A count
   * of 0 with slabs present (more than WASM_SLABS_MAX) sends every slab access to the slow path.
   */
  WASM_SLABS: 0x200,
  WASM_SLAB_ENTRIES: 0x210,
  /** u32: the CPU of the current run (RunEnv.cpu), for the WebAssembly engine's inline per-CPU array lookups. */
  WASM_CPU: 0x10,
  /**
   * u32: the address of a copy of the bytes the run's stack started with (LAYOUT.STACK_SIZE of
   * them, allocated outside every region), or 0. While it is set, an inline form that reads a map
   * key from the stack reports (InlineSite.noteKey) a key with a byte that still equals the copy's
   * byte at the same offset, for the caller's uninitialised-key warning; 0 skips that test.
   */
  KEY_FILL: 0x14,
  /** u32: r0's high 32 bits after a run through the WebAssembly engine's `enter` export (its low half is the export's result). */
  RUN_R0_HI: 0x18,
  /** i32: the budget left after a run through the WebAssembly engine's `enter` export. */
  RUN_BUDGET: 0x1c,
  /**
   * INLINE_STATE_SIZE bytes the inline forms of helpers (src/helpers/inline) and the kernel state
   * they share with the helpers' implementations use as they define (a redirect target, the
   * address of tables in VM memory); the VM neither reads nor writes them.
   */
  INLINE_STATE: 0x20,
  /**
   * MAP_SLOT_SIZE bytes per map index below MAP_SLOTS_MAX: the four u32 words of the map's
   * VmMap.inlineSlot (zeros when it has none), what its type's inline lookup form (src/maps)
   * reads. The VM writes them; their meaning is the map type's.
   */
  MAP_SLOTS: 0xb00,
} as const;

/** Bytes of the control block's CTRL.INLINE_STATE area (up to the context rules). */
export const INLINE_STATE_SIZE = CTRL.WASM_CTX_RULES - CTRL.INLINE_STATE;
/** Entries the control block's slab table holds. */
export const WASM_SLABS_MAX = (CTRL.MAP_SLOTS - CTRL.WASM_SLAB_ENTRIES) / 16;
/** Bytes of one map's slot in CTRL.MAP_SLOTS. */
export const MAP_SLOT_SIZE = 16;
/** Map indices the control block's map slots cover (the rest of the 4 KiB control block). */
export const MAP_SLOTS_MAX = (LAYOUT.CTX - LAYOUT.CTRL - CTRL.MAP_SLOTS) / MAP_SLOT_SIZE;

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

/** One past the last stack byte: r10 of frame 0. */
export const STACK_END = LAYOUT.STACK + LAYOUT.STACK_SIZE;
/** Bytes per call frame (MAX_BPF_STACK). */
export const FRAME_SIZE = 512;

/** r10 of the frame at call depth `depth` (0 = the program itself): the end of its 512 bytes. */
export function frameTop(depth: number): number {
  return STACK_END - depth * FRAME_SIZE;
}

/**
 * Function pointers in registers (from `lddw rX, func` with src BPF_PSEUDO_FUNC, passed to
 * callback helpers such as bpf_loop) are handles, never valid addresses:
 * FUNC_HANDLE_BASE + pc * FUNC_HANDLE_STRIDE, with pc the callee's instruction index. They sit
 * above the map handles and are never a multiple of MAP_HANDLE_STRIDE away from MAP_HANDLE_BASE,
 * so {@link mapIndexOf} never mistakes one for a map.
 */
export const FUNC_HANDLE_BASE = 0xf800_0008;
/** Distance between the handles of consecutive instruction indices. */
export const FUNC_HANDLE_STRIDE = 0x10;

/** The register value of a pointer to the function starting at instruction `pc`. */
export function funcHandle(pc: number): number {
  return FUNC_HANDLE_BASE + pc * FUNC_HANDLE_STRIDE;
}

/** The instruction index of function handle `value`, or -1 when it is not a function pointer. */
export function funcPcOf(value: bigint | number): number {
  const v = Number(value);
  if (v < FUNC_HANDLE_BASE || v >= 0x1_0000_0000 || (v - FUNC_HANDLE_BASE) % FUNC_HANDLE_STRIDE !== 0) return -1;
  return (v - FUNC_HANDLE_BASE) / FUNC_HANDLE_STRIDE;
}
