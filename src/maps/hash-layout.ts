import type { VmMemory } from '../vm/memory.js';
import type { KeyTable } from './key-table.js';
import type { ValueStore } from './value-store.js';

/**
 * A hash map's index as its inline lookup (inline-lookup.ts) reads it: a 32-byte record in VM memory of u32
 * fields at these offsets, which the map rewrites whenever its index moves. Keys are found as
 * key-table.ts does it (its hash, linear probing, slot -1 ends a probe); the value of
 * slot s on CPU c is at VALUE_ADDRS[s] + c * CPU_STRIDE; REF, when not 0, holds a byte per slot
 * that a lookup sets to 1 (the LRU's ref bit).
 */
export const HASH_LAYOUT = {
  SIZE: 32,
  INDEX: 0,
  MASK: 4,
  HASHES: 8,
  KEYS: 12,
  KEY_SIZE: 16,
  VALUE_ADDRS: 20,
  CPU_STRIDE: 24,
  REF: 28,
} as const;

/**
 * A hash map's HASH_LAYOUT record in VM memory: where its KeyTable and value
 * addresses are, for VmMap.inlineSlot. The record stays put; the map rewrites it after anything
 * that may move its index (an insert can grow the table, the value store or the memory).
 */
export class HashLayoutRecord {
  /** Address of the record. */
  readonly addr: number;

  constructor(
    private readonly mem: VmMemory,
    private readonly table: KeyTable,
    private readonly values: ValueStore,
    /** Distance between a slot's per-CPU values (0 for maps that are not per-CPU), bytes. */
    private readonly cpuStride: number,
    /** The LRU's ref bits (LruList.refAddr), or 0. */
    private readonly refAddr = 0,
  ) {
    this.addr = mem.allocRaw(HASH_LAYOUT.SIZE, 'hash layout');
    this.write();
  }

  /** Rewrites the record from the table and value store as they are now. */
  write(): void {
    const t = this.table.vmLayout();
    if (!t) return;
    const v = this.mem.view;
    const a = this.addr;
    v.setUint32(a + HASH_LAYOUT.INDEX, t.index, true);
    v.setUint32(a + HASH_LAYOUT.MASK, t.mask, true);
    v.setUint32(a + HASH_LAYOUT.HASHES, t.hashes, true);
    v.setUint32(a + HASH_LAYOUT.KEYS, t.keys, true);
    v.setUint32(a + HASH_LAYOUT.KEY_SIZE, this.table.keySize, true);
    v.setUint32(a + HASH_LAYOUT.VALUE_ADDRS, this.values.addrsAddr, true);
    v.setUint32(a + HASH_LAYOUT.CPU_STRIDE, this.cpuStride, true);
    v.setUint32(a + HASH_LAYOUT.REF, this.refAddr, true);
  }
}
