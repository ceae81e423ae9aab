import { valueStride, type VmMemory } from '../vm/memory.js';

/** sizeof(struct bpf_spin_lock). */
const SPIN_LOCK_SIZE = 4;

/**
 * Value storage of one map in the VM's memory: a value (or, for per-CPU maps, one value per
 * CPU, side by side) per slot, in slabs the program can dereference. Slabs are never freed, so
 * storage grows by doubling up to `maxSlots` (hash maps) or is made whole at once (arrays).
 * Each value is 8-byte aligned, as in the kernel's `round_up(value_size, 8)` element layout,
 * and followed by guard bytes no program may touch ({@link valueStride}).
 */
export class ValueStore {
  readonly valueSize: number;
  /** Distance between two values, bytes. */
  readonly stride: number;
  /** Values per slot: the CPU count for per-CPU maps, else 1. */
  readonly perSlot: number;
  readonly maxSlots: number;
  /** Base address of each slot's first value; 0 for slots not allocated yet. */
  private addrs: Uint32Array;
  private capacity = 0;
  /** Where `addrs` lives in VM memory (with `addrsInVm`), else 0. */
  private addrsAt = 0;
  /**
   * Offset of the value's `struct bpf_spin_lock`, -1 when none: copies in and out skip its 4 bytes
   * (copy_map_value, kernel/bpf/syscall.c zeroes them in what user space reads).
   */
  lockOff = -1;

  constructor(
    private readonly mem: VmMemory,
    valueSize: number,
    perSlot: number,
    maxSlots: number,
    private readonly name: string,
    private readonly writable: boolean,
    /** Keep the slot → address table in VM memory (allocRaw), where the WebAssembly engine reads it ({@link addrsAddr}). */
    private readonly addrsInVm = false,
  ) {
    this.valueSize = valueSize;
    this.stride = valueStride(valueSize);
    this.perSlot = perSlot;
    this.maxSlots = maxSlots;
    this.addrs = new Uint32Array(0);
    if (addrsInVm) mem.onGrow(() => (this.addrs = new Uint32Array(mem.u8.buffer, this.addrsAt, this.capacity)));
  }

  /** Address of the u32-per-slot table of value addresses in VM memory (0 until allocated, or when kept in the JS heap). Changes as the store grows. */
  get addrsAddr(): number {
    return this.addrsAt;
  }

  /** Slots allocated so far. */
  get allocated(): number {
    return this.capacity;
  }

  /** Makes sure slots below `n` have storage, growing by doubling (at least `min` slots a step). */
  ensure(n: number, min = 16): void {
    if (n <= this.capacity) return;
    let target = Math.max(n, this.capacity * 2, min);
    target = Math.min(target, this.maxSlots);
    if (target < n) throw new RangeError(`${this.name}: slot ${n - 1} is past max ${this.maxSlots}`);
    const count = target - this.capacity;
    const slab = this.mem.allocSlab(this.valueSize, count * this.perSlot, this.name, this.writable);
    // In VM memory: allocate first (a growth remaps the old view), then copy.
    const at = this.addrsInVm ? this.mem.allocRaw(target * 4, `${this.name} addresses`) : 0;
    const addrs = this.addrsInVm ? new Uint32Array(this.mem.u8.buffer, at, target) : new Uint32Array(target);
    addrs.set(this.addrs);
    this.addrsAt = at;
    const block = this.stride * this.perSlot;
    for (let i = 0; i < count; i++) addrs[this.capacity + i] = slab.base + i * block;
    this.addrs = addrs;
    this.capacity = target;
  }

  /** Address of `slot`'s value on `cpu` (0 for maps that are not per-CPU). */
  addr(slot: number, cpu = 0): number {
    return this.addrs[slot]! + cpu * this.stride;
  }

  /** Copies `value` (valueSize bytes are used) into `slot` on `cpu`. */
  write(slot: number, cpu: number, value: Uint8Array): void {
    const at = this.addr(slot, cpu);
    const lock = this.lockOff;
    if (lock < 0) {
      this.mem.u8.set(value.subarray(0, this.valueSize), at);
      return;
    }
    this.mem.u8.set(value.subarray(0, lock), at);
    this.mem.u8.set(value.subarray(lock + SPIN_LOCK_SIZE, this.valueSize), at + lock + SPIN_LOCK_SIZE);
  }

  /** Zeroes `slot`'s value on `cpu`. */
  zero(slot: number, cpu: number): void {
    const at = this.addr(slot, cpu);
    this.mem.u8.fill(0, at, at + this.valueSize);
  }

  /**
   * Writes a slot as a program's update does (`onCpu` >= 0: that CPU's value, others zeroed when
   * `fresh`, as the kernel's pcpu_init_value) or as user space does (`onCpu` < 0: `values` has
   * one value per slot value).
   */
  store(slot: number, values: readonly Uint8Array[], onCpu: number, fresh: boolean): void {
    if (onCpu >= 0) {
      if (fresh) for (let c = 0; c < this.perSlot; c++) if (c !== onCpu) this.zero(slot, c);
      this.write(slot, onCpu, values[0]!);
    } else {
      for (let c = 0; c < this.perSlot; c++) this.write(slot, c, values[c]!);
    }
  }

  /** Copies of every value of `slot` (one per CPU for per-CPU maps). */
  read(slot: number): Uint8Array[] {
    const u8 = this.mem.u8;
    const out: Uint8Array[] = [];
    for (let c = 0; c < this.perSlot; c++) {
      const at = this.addr(slot, c);
      const copy = u8.slice(at, at + this.valueSize);
      if (this.lockOff >= 0) copy.fill(0, this.lockOff, this.lockOff + SPIN_LOCK_SIZE);
      out.push(copy);
    }
    return out;
  }

  /** True when any value byte of `slot` is non-zero. */
  nonZero(slot: number): boolean {
    const u8 = this.mem.u8;
    for (let c = 0; c < this.perSlot; c++) {
      const at = this.addr(slot, c);
      for (let i = at; i < at + this.valueSize; i++) if (u8[i] !== 0) return true;
    }
    return false;
  }
}
