import type { VmMemory } from '../vm/memory.js';

/** Where a KeyTable kept in VM memory has its probe table, hashes and keys (all addresses), for an engine that searches it itself. */
export interface KeyTableLayout {
  /** Int32 per bucket: a slot, or -1 for an empty bucket. */
  index: number;
  /** Buckets - 1 (a power of two minus one). */
  mask: number;
  /** Int32 per slot: the key's {@link KeyTable.hash}. */
  hashes: number;
  /** keySize bytes per slot. */
  keys: number;
}

/**
 * An open-addressing hash index from fixed-size byte keys to slot numbers, with the keys kept in
 * one flat buffer and a doubly linked list of slots in insertion order (the order `get_next_key`
 * walks). Lookups allocate nothing: the key is hashed and compared straight from the caller's
 * view (often a subarray of VM memory), which is what makes a hash map lookup cheap enough for
 * the WebAssembly engine's hot path.
 *
 * Slots are chosen by the caller (the map's free list, or the LRU's node ids); this class only
 * indexes them. Linear probing with backward-shift deletion keeps the table free of tombstones.
 *
 * Given a VmMemory, the probe table, the hashes and the keys live in it (allocRaw: no program can
 * touch them), at the addresses {@link vmLayout} gives, so that the WebAssembly engine can look
 * keys up without leaving wasm; the typed arrays here are views, rebuilt when the memory grows.
 */
export class KeyTable {
  readonly keySize: number;
  /** Keys by slot: slot `s` occupies bytes [s * keySize, (s + 1) * keySize). */
  private keys: Uint8Array;
  private hashes: Int32Array;
  private used: Uint8Array;
  private prevOrder: Int32Array;
  private nextOrder: Int32Array;
  /** The probe table: a slot number, or -1 for an empty bucket. */
  private index: Int32Array;
  private mask: number;
  private head = -1;
  private tail = -1;
  /** Number of keys present. */
  size = 0;

  /** Addresses of keys, hashes and index in `vm` (0 when the table lives in the JS heap). */
  private keysAddr = 0;
  private hashesAddr = 0;
  private indexAddr = 0;

  constructor(
    keySize: number,
    initialSlots = 16,
    private readonly vm?: VmMemory,
  ) {
    this.keySize = keySize;
    const n = Math.max(1, initialSlots);
    let buckets = 16;
    while (buckets < n * 2) buckets *= 2;
    this.used = new Uint8Array(n);
    this.prevOrder = new Int32Array(n);
    this.nextOrder = new Int32Array(n);
    this.mask = buckets - 1;
    this.keys = new Uint8Array(n * Math.max(1, keySize));
    this.hashes = new Int32Array(n);
    this.index = new Int32Array(buckets);
    if (vm) {
      this.keysAddr = vm.allocRaw(n * Math.max(1, keySize), 'key table keys');
      this.hashesAddr = vm.allocRaw(n * 4, 'key table hashes');
      this.indexAddr = vm.allocRaw(buckets * 4, 'key table index');
      this.remap();
      vm.onGrow(() => this.remap());
    }
    this.index.fill(-1);
  }

  /** Where the table lives in VM memory, or undefined when it is kept in the JS heap. Changes when the table grows. */
  vmLayout(): KeyTableLayout | undefined {
    if (!this.vm) return undefined;
    return { index: this.indexAddr, mask: this.mask, hashes: this.hashesAddr, keys: this.keysAddr };
  }

  /** Rebuilds the views over VM memory (after it grew, which detaches the old buffer, or after a move). */
  private remap(): void {
    const buffer = this.vm!.u8.buffer;
    this.keys = new Uint8Array(buffer, this.keysAddr, this.used.length * Math.max(1, this.keySize));
    this.hashes = new Int32Array(buffer, this.hashesAddr, this.used.length);
    this.index = new Int32Array(buffer, this.indexAddr, this.mask + 1);
  }

  /** Number of slots the per-slot arrays can hold now. */
  get slotCapacity(): number {
    return this.used.length;
  }

  /** Grows the per-slot arrays so that slots below `n` can be used. */
  ensureSlots(n: number): void {
    const cap = this.used.length;
    if (n <= cap) return;
    let next = cap * 2;
    while (next < n) next *= 2;
    const ks = Math.max(1, this.keySize);
    if (this.vm) {
      // Allocate before touching any field: a growth meanwhile remaps the old views, copied below.
      const keysAddr = this.vm.allocRaw(next * ks, 'key table keys');
      const hashesAddr = this.vm.allocRaw(next * 4, 'key table hashes');
      const buffer = this.vm.u8.buffer;
      new Uint8Array(buffer, keysAddr, next * ks).set(this.keys);
      new Int32Array(buffer, hashesAddr, next).set(this.hashes);
      this.keysAddr = keysAddr;
      this.hashesAddr = hashesAddr;
    } else {
      const keys = new Uint8Array(next * ks);
      keys.set(this.keys);
      this.keys = keys;
      this.hashes = grow32(this.hashes, next);
    }
    this.prevOrder = grow32(this.prevOrder, next);
    this.nextOrder = grow32(this.nextOrder, next);
    const used = new Uint8Array(next);
    used.set(this.used);
    this.used = used;
    if (this.vm) this.remap();
  }

  /** MurmurHash3-style 32-bit hash of the keySize bytes of `key` at `off`. */
  hash(key: Uint8Array, off = 0): number {
    const len = this.keySize;
    let h = 0x9747b28c ^ len;
    let i = off;
    const end = off + len;
    for (; i + 4 <= end; i += 4) {
      let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    if (i < end) {
      let k = 0;
      for (let s = 0; i < end; i++, s += 8) k |= key[i]! << s;
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h;
  }

  /** The slot holding the key of keySize bytes at `off` in `key`, or -1. Allocates nothing. */
  find(key: Uint8Array, off = 0): number {
    const h = this.hash(key, off);
    const index = this.index;
    const hashes = this.hashes;
    const mask = this.mask;
    const keys = this.keys;
    const ks = this.keySize;
    for (let b = h & mask; ; b = (b + 1) & mask) {
      const slot = index[b]!;
      if (slot < 0) return -1;
      if (hashes[slot] !== h) continue;
      let at = slot * ks;
      let i = off;
      const end = off + ks;
      while (i < end && keys[at] === key[i]) {
        at++;
        i++;
      }
      if (i === end) return slot;
    }
  }

  /** True when `slot` holds a key. */
  has(slot: number): boolean {
    return slot >= 0 && slot < this.used.length && this.used[slot] === 1;
  }

  /** Indexes `key` (absent) at `slot` (free, below slotCapacity), last in iteration order. */
  insert(key: Uint8Array, slot: number): void {
    if ((this.size + 1) * 2 > this.index.length) this.rehash(this.index.length * 2);
    const h = this.hash(key);
    this.keys.set(key.subarray(0, this.keySize), slot * this.keySize);
    this.hashes[slot] = h;
    this.used[slot] = 1;
    this.place(slot, h);
    this.prevOrder[slot] = this.tail;
    this.nextOrder[slot] = -1;
    if (this.tail >= 0) this.nextOrder[this.tail] = slot;
    else this.head = slot;
    this.tail = slot;
    this.size++;
  }

  /** Moves the key at `from` to the free slot `to`, keeping its place in iteration order. */
  replace(from: number, to: number): void {
    const ks = this.keySize;
    this.keys.copyWithin(to * ks, from * ks, from * ks + ks);
    const h = this.hashes[from]!;
    this.hashes[to] = h;
    this.used[to] = 1;
    this.used[from] = 0;
    for (let b = h & this.mask; ; b = (b + 1) & this.mask) {
      if (this.index[b] === from) {
        this.index[b] = to;
        break;
      }
    }
    const p = this.prevOrder[from]!;
    const n = this.nextOrder[from]!;
    this.prevOrder[to] = p;
    this.nextOrder[to] = n;
    if (p >= 0) this.nextOrder[p] = to;
    else this.head = to;
    if (n >= 0) this.prevOrder[n] = to;
    else this.tail = to;
  }

  /** Removes the key at `slot` (which must hold one). */
  remove(slot: number): void {
    const index = this.index;
    const mask = this.mask;
    let i = this.hashes[slot]! & mask;
    while (index[i] !== slot) i = (i + 1) & mask;
    // Backward-shift deletion: pull later members of the probe run into the hole.
    let j = i;
    for (;;) {
      index[i] = -1;
      let moved = false;
      for (;;) {
        j = (j + 1) & mask;
        const s = index[j]!;
        if (s < 0) break;
        const home = this.hashes[s]! & mask;
        const stays = i <= j ? i < home && home <= j : i < home || home <= j;
        if (!stays) {
          index[i] = s;
          i = j;
          moved = true;
          break;
        }
      }
      if (!moved) break;
    }
    this.used[slot] = 0;
    const p = this.prevOrder[slot]!;
    const n = this.nextOrder[slot]!;
    if (p >= 0) this.nextOrder[p] = n;
    else this.head = n;
    if (n >= 0) this.prevOrder[n] = p;
    else this.tail = p;
    this.size--;
  }

  /** The first slot in iteration order, or -1 when empty. */
  first(): number {
    return this.head;
  }

  /** The slot after `slot` in iteration order, or -1. */
  after(slot: number): number {
    return this.nextOrder[slot]!;
  }

  /** A copy of the key at `slot`. */
  keyAt(slot: number): Uint8Array {
    const off = slot * this.keySize;
    return this.keys.slice(off, off + this.keySize);
  }

  private place(slot: number, h: number): void {
    const mask = this.mask;
    let b = h & mask;
    while (this.index[b]! >= 0) b = (b + 1) & mask;
    this.index[b] = slot;
  }

  private rehash(buckets: number): void {
    if (this.vm) {
      this.indexAddr = this.vm.allocRaw(buckets * 4, 'key table index');
      this.mask = buckets - 1;
      this.remap();
      this.index.fill(-1);
    } else {
      this.index = new Int32Array(buckets).fill(-1);
      this.mask = buckets - 1;
    }
    for (let s = this.head; s >= 0; s = this.nextOrder[s]!) this.place(s, this.hashes[s]!);
  }
}

function grow32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
