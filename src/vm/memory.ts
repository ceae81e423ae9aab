import { SimError, VmFault } from '../internal/errors.js';
import { CTRL, HEAP_LIMIT, LAYOUT, WASM_PAGE, WASM_SLABS_MAX } from './layout.js';

/** A block of equally sized values (map values, a global data section) in the heap. */
export interface Slab {
  /** Address of the first value. */
  base: number;
  /** Distance between consecutive values, bytes ({@link valueStride}). */
  stride: number;
  /** Bytes of each value the program may touch. */
  valueSize: number;
  count: number;
  writable: boolean;
  /** What the fault message calls it: `map 'flows' value`, `.rodata`. */
  name: string;
}

/**
 * Bytes after every value that belong to no value: an access at `value + value_size` faults
 * (the kernel's verifier refuses it, check_map_access) instead of reaching the next element, the
 * next CPU's value or the next map, even when the value size is a multiple of 8.
 */
export const VALUE_GUARD = 8;

/** Distance between consecutive values of `valueSize` bytes in a slab: 8-aligned, with {@link VALUE_GUARD} bytes after each. */
export function valueStride(valueSize: number): number {
  return ((valueSize + 7) & ~7) + VALUE_GUARD;
}

/** Checks a context access: true when the program may read (or write) `size` bytes at `off`. */
export type CtxAccessRule = (off: number, size: number, write: boolean) => boolean;

/** What kind of region an access landed in. */
export type RegionKind = 'ctx' | 'stack' | 'packet' | 'slab' | 'kernel';

/**
 * A simulated kernel object the program reads through a BTF pointer (the struct sk_buff or
 * xdp_buff bpf_cast_to_kern_ctx returns): `size` bytes at `base`, outside every other region.
 * Its owner (src/helpers) decides each access: it writes the current values of the fields it
 * simulates and returns null when `size` bytes at `off` lie in them, or the reason they do not.
 */
export interface KernelObject {
  base: number;
  size: number;
  /** `struct sk_buff`, for fault messages. */
  name: string;
  access(off: number, size: number, write: boolean): string | null;
}

/**
 * The VM's linear memory: one WebAssembly.Memory holding the control block, the context, the
 * stack frames, the packet and a heap of slabs for map values and global data. Every access the
 * program makes goes through {@link check} (the interpreter) or an equivalent inline test (wasm).
 */
export class VmMemory {
  readonly memory: WebAssembly.Memory;
  private buffer!: ArrayBuffer;
  private bytes!: Uint8Array;
  private dataView!: DataView;
  private heapTop: number = LAYOUT.HEAP;
  /** Slabs sorted by base address. */
  private readonly slabs: Slab[] = [];
  private readonly growListeners: (() => void)[] = [];
  /** Context access rule; set by whoever fills the context. */
  ctxRule: CtxAccessRule = () => false;
  /** Size of the current context struct, bytes. */
  ctxSize = 0;
  /** Lowest address the stack may be touched at in this run (frames in use). */
  stackLow: number = LAYOUT.STACK + LAYOUT.STACK_SIZE;
  /** Kernel objects the program may read (see KernelObject); checked only after every other region. */
  readonly kernelObjects: KernelObject[] = [];

  constructor(initialPages = 4) {
    this.memory = new WebAssembly.Memory({ initial: Math.max(initialPages, LAYOUT.HEAP / WASM_PAGE + 1), maximum: 65536 });
    this.refresh();
  }

  private refresh(): void {
    this.buffer = this.memory.buffer;
    this.bytes = new Uint8Array(this.buffer);
    this.dataView = new DataView(this.buffer);
  }

  // The views are cached: reading `memory.buffer` is a slow builtin and these getters sit on
  // every helper's path. Growing the memory detaches the old buffer, which empties the cached
  // views, so a zero length (never true of a live memory) is the cheap sign to refresh them;
  // allocSlab and allocRaw, the only places that grow it, refresh them at once.

  /** The whole memory as bytes. Re-read after any allocation: growing the memory replaces it. */
  get u8(): Uint8Array {
    if (this.bytes.length === 0) this.refresh();
    return this.bytes;
  }

  /** The whole memory as a DataView (little-endian reads are the caller's to ask for). */
  get view(): DataView {
    if (this.bytes.length === 0) this.refresh();
    return this.dataView;
  }

  /** Packet bounds of the current run, from the control block. */
  get pktStart(): number {
    return this.view.getUint32(LAYOUT.CTRL + CTRL.PKT_START, true);
  }
  get pktData(): number {
    return this.view.getUint32(LAYOUT.CTRL + CTRL.PKT_DATA, true);
  }
  get pktEnd(): number {
    return this.view.getUint32(LAYOUT.CTRL + CTRL.PKT_END, true);
  }
  /** Sets the packet bounds: `start` = data_meta, `data` = data, `end` = data_end. */
  setPacketBounds(start: number, data: number, end: number): void {
    const v = this.view;
    v.setUint32(LAYOUT.CTRL + CTRL.PKT_START, start, true);
    v.setUint32(LAYOUT.CTRL + CTRL.PKT_DATA, data, true);
    v.setUint32(LAYOUT.CTRL + CTRL.PKT_END, end, true);
  }

  /**
   * Allocates `count` values of `valueSize` bytes in a new slab and returns it. Values are
   * 8-byte aligned, zeroed and {@link valueStride} apart. Slabs are never freed: a map keeps its slabs for its lifetime.
   * Throws SimError `vm/out-of-memory` when the slab does not fit the address space or the host.
   */
  allocSlab(valueSize: number, count: number, name: string, writable = true): Slab {
    const stride = valueStride(valueSize);
    const base = this.reserve(stride * count, name);
    const slab: Slab = { base, stride, valueSize, count, writable, name };
    this.slabs.push(slab);
    this.publishSlab(slab);
    return slab;
  }

  /**
   * Allocates `len` zeroed bytes, 8-byte aligned, that belong to no region: the program can never
   * touch them (a map's index, kept here so that the WebAssembly engine can search it). Never
   * freed. Throws as {@link allocSlab}.
   */
  allocRaw(len: number, name: string): number {
    return this.reserve(len, name);
  }

  /**
   * Calls `listener` after every growth of the memory, once the cached views are new: whoever
   * keeps typed arrays over the memory (allocRaw) rebuilds them there, as growing detaches them.
   */
  onGrow(listener: () => void): void {
    this.growListeners.push(listener);
  }

  /** Bumps the heap by `len` bytes (8-aligned start), growing the memory as needed; returns the start. */
  private reserve(len: number, name: string): number {
    const base = (this.heapTop + 7) & ~7;
    const top = base + len;
    // Sizes come from the object (a map's max_entries and value size), so running out is bad input, not misuse.
    if (top > HEAP_LIMIT) throw new SimError('vm/out-of-memory', `vm memory: cannot allocate ${len} bytes for ${name}: 4 GiB address space exhausted`);
    const needPages = Math.ceil(top / WASM_PAGE) - this.memory.buffer.byteLength / WASM_PAGE;
    if (needPages > 0) {
      try {
        this.memory.grow(needPages);
      } catch (err) {
        throw new SimError('vm/out-of-memory', `vm memory: cannot allocate ${len} bytes for ${name}: ${(err as Error).message}`);
      }
      this.refresh();
      for (const listener of this.growListeners) listener();
    }
    this.heapTop = top;
    this.u8.fill(0, base, top);
    return base;
  }

  /** Appends `slab` (the newest, highest) to the control block's table for the WebAssembly engine (layout.ts WASM_SLABS). */
  private publishSlab(slab: Slab): void {
    const v = this.dataView;
    const n = this.slabs.length;
    if (n > WASM_SLABS_MAX) {
      v.setUint32(LAYOUT.CTRL + CTRL.WASM_SLABS, 0, true);
      return;
    }
    const at = LAYOUT.CTRL + CTRL.WASM_SLAB_ENTRIES + (n - 1) * 16;
    v.setUint32(at, slab.base, true);
    v.setUint32(at + 4, slab.base + slab.stride * slab.count, true);
    v.setUint32(at + 8, slab.stride, true);
    v.setUint32(at + 12, (slab.valueSize | (slab.writable ? 0 : 0x8000_0000)) >>> 0, true);
    v.setUint32(LAYOUT.CTRL + CTRL.WASM_SLABS, n, true);
  }

  /** The slab holding address `addr`, or undefined. */
  slabAt(addr: number): Slab | undefined {
    const slabs = this.slabs;
    let lo = 0;
    let hi = slabs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = slabs[mid]!;
      if (addr < s.base) hi = mid - 1;
      else if (addr >= s.base + s.stride * s.count) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /**
   * Which region `size` bytes at `addr` lie in, or a VmFault (`vm/out-of-bounds`, or
   * `vm/read-only` for a write to read-only data or context) naming pc, address, size and the
   * nearest region. Addresses are unsigned 64-bit values from registers, as numbers.
   */
  check(addr: number, size: number, write: boolean, pc: number): RegionKind {
    const end = addr + size;
    if (addr >= this.pktStart && end <= this.pktEnd) return 'packet';
    if (addr >= this.stackLow && end <= LAYOUT.STACK + LAYOUT.STACK_SIZE) return 'stack';
    if (addr >= LAYOUT.CTX && end <= LAYOUT.CTX + this.ctxSize) {
      if (this.ctxRule(addr - LAYOUT.CTX, size, write)) return 'ctx';
      throw this.fault(write ? 'vm/ctx-write' : 'vm/ctx-read', `${write ? 'write to' : 'read of'} context field at offset ${addr - LAYOUT.CTX} size ${size} is not allowed`, pc, addr, size, 'ctx');
    }
    const slab = addr >= LAYOUT.HEAP ? this.slabAt(addr) : undefined;
    if (slab) {
      const within = (addr - slab.base) % slab.stride;
      if (within + size <= slab.valueSize) {
        if (write && !slab.writable) throw this.fault('vm/read-only', `write of ${size} bytes to read-only ${slab.name} at 0x${addr.toString(16)}`, pc, addr, size, slab.name);
        return 'slab';
      }
      throw this.fault('vm/out-of-bounds', `${write ? 'write' : 'read'} of ${size} bytes at 0x${addr.toString(16)} runs past the end of ${slab.name} (offset ${within}, value size ${slab.valueSize})`, pc, addr, size, slab.name);
    }
    for (const k of this.kernelObjects) {
      if (addr < k.base || end > k.base + k.size) continue;
      const refusal = k.access(addr - k.base, size, write);
      if (refusal === null) return 'kernel';
      throw this.fault(write ? 'vm/read-only' : 'vm/kernel-field-unsimulated', `${write ? 'write to' : 'read of'} ${k.name} at offset ${addr - k.base} size ${size}: ${refusal}`, pc, addr, size, k.name);
    }
    const region = this.nearestRegion(addr);
    throw this.fault('vm/out-of-bounds', `invalid ${write ? 'write' : 'read'} of ${size} bytes at 0x${addr.toString(16)}${addr === 0 ? ' (null pointer)' : ''}, nearest region: ${region}`, pc, addr, size, region);
  }

  /** A description of the region closest to `addr`, for fault messages. */
  nearestRegion(addr: number): string {
    const candidates: [string, number, number][] = [
      ['packet', this.pktStart, this.pktEnd],
      ['stack', this.stackLow, LAYOUT.STACK + LAYOUT.STACK_SIZE],
      ['ctx', LAYOUT.CTX, LAYOUT.CTX + this.ctxSize],
      ...this.slabs.map((s): [string, number, number] => [s.name, s.base, s.base + s.stride * s.count]),
    ];
    let best = 'none';
    let bestDist = Infinity;
    for (const [name, lo, hi] of candidates) {
      const dist = addr < lo ? lo - addr : addr >= hi ? addr - hi + 1 : 0;
      if (dist < bestDist) {
        bestDist = dist;
        const delta = addr < lo ? `${lo - addr} bytes before` : addr >= hi ? `${addr - hi} bytes past the end of` : 'inside';
        best = `${delta} ${name} [0x${lo.toString(16)}, 0x${hi.toString(16)})`;
      }
    }
    return best;
  }

  private fault(code: string, message: string, pc: number, addr: number, size: number, region: string): VmFault {
    return new VmFault(code, `insn ${pc}: ${message}`, pc, { addr, size, region });
  }
}
