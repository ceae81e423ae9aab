import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { BPF_F_RDONLY_PROG } from '../uapi/bpf.js';
import { EEXIST, EINVAL, ENOENT, ENOSPC, badUpdateFlags, checkKey, mapLabel, u32At, userValue } from './check.js';
import { ValueStore } from './value-store.js';

/** LPM_TREE_NODE_FLAG_IM: a node that only splits the trie and holds no entry. */
const IM = 1;

/**
 * BPF_MAP_TYPE_LPM_TRIE: longest-prefix match over keys `struct bpf_lpm_trie_key_u8 { u32
 * prefixlen; u8 data[]; }` with data in network order, the same binary trie of real and
 * intermediate nodes as kernel/bpf/lpm_trie.c.
 *
 * - Lookup (from programs and from user space alike) gives the entry with the longest prefix
 *   no longer than the key's prefixlen that matches the key's data; NULL when none, or when the
 *   key's prefixlen exceeds data_size * 8.
 * - Update: flags past BPF_EXIST or a prefixlen past the maximum -EINVAL; BPF_NOEXIST on a
 *   present prefix -EEXIST; BPF_EXIST on an absent one -ENOENT; a new prefix when max_entries
 *   entries exist -ENOSPC (not -E2BIG); replacing a present prefix always succeeds.
 * - Delete: prefixlen past the maximum -EINVAL; absent -ENOENT.
 * - get_next_key: postorder (more specific prefixes first); a null, absent or invalid key gives
 *   the first. Keys come back with the data bytes of the update that stored them, bits past the
 *   prefix included, as the kernel keeps them.
 * - Replacing an entry writes the value in place; the kernel swaps in a new node, so an older
 *   pointer from a program's lookup would keep the old value there.
 */
export class LpmTrieMap implements VmMap {
  readonly spec: MapSpec;
  /** Bytes of key data (key size - 4); the maximum prefix length is 8 times this. */
  readonly dataSize: number;
  readonly maxPrefixlen: number;
  private readonly values: ValueStore;
  private child0 = new Int32Array(0);
  private child1 = new Int32Array(0);
  private prefixlen = new Int32Array(0);
  private flags = new Uint8Array(0);
  private data = new Uint8Array(0);
  private root = -1;
  private readonly freeNodes: number[] = [];
  private fresh = 0;
  /** Real (non-intermediate) entries. */
  entries = 0;

  constructor(spec: MapSpec, mem: VmMemory) {
    this.spec = spec;
    this.dataSize = spec.keySize - 4;
    this.maxPrefixlen = this.dataSize * 8;
    const writable = (spec.flags & BPF_F_RDONLY_PROG) === 0;
    // Intermediate nodes need slots too: at most max_entries - 1 of them.
    this.values = new ValueStore(mem, spec.valueSize, 1, spec.maxEntries * 2, `${mapLabel(spec)} value`, writable);
  }

  lookup(key: Uint8Array, _cpu: number): number {
    const node = this.longestMatch(key);
    return node < 0 ? 0 : this.values.addr(node);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): number {
    if (badUpdateFlags(flags)) return -EINVAL;
    const keyLen = u32At(key);
    if (keyLen > this.maxPrefixlen) return -EINVAL;
    let parent = -1;
    let dir = 0;
    let node = this.root;
    let matchlen = 0;
    while (node >= 0) {
      matchlen = this.match(node, key, keyLen);
      if (this.prefixlen[node] !== matchlen || this.prefixlen[node] === keyLen) break;
      parent = node;
      dir = this.bit(key, 4, this.prefixlen[node]!);
      node = dir ? this.child1[node]! : this.child0[node]!;
    }
    if (node < 0) {
      const err = this.checkAdd(flags);
      if (err) return err;
      this.setSlot(parent, dir, this.newNode(key, keyLen, value));
      return 0;
    }
    if (this.prefixlen[node] === matchlen) {
      if (!(this.flags[node]! & IM)) {
        if (flags === 1) return -EEXIST;
      } else {
        const err = this.checkAdd(flags);
        if (err) return err;
      }
      this.data.set(key.subarray(4, 4 + this.dataSize), node * this.dataSize);
      this.flags[node] = 0;
      this.values.write(node, 0, value);
      return 0;
    }
    const err = this.checkAdd(flags);
    if (err) return err;
    const fresh = this.newNode(key, keyLen, value);
    if (matchlen === keyLen) {
      // The new prefix covers the node: it becomes the node's parent.
      this.setChild(fresh, this.bit(this.data, node * this.dataSize, matchlen), node);
      this.setSlot(parent, dir, fresh);
      return 0;
    }
    const im = this.alloc();
    this.prefixlen[im] = matchlen;
    this.flags[im] = IM;
    this.data.copyWithin(im * this.dataSize, node * this.dataSize, (node + 1) * this.dataSize);
    if (this.bit(key, 4, matchlen)) {
      this.child0[im] = node;
      this.child1[im] = fresh;
    } else {
      this.child0[im] = fresh;
      this.child1[im] = node;
    }
    this.setSlot(parent, dir, im);
    return 0;
  }

  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    return this.update(key, userValue(this.spec, key, values), flags, 0);
  }

  delete(key: Uint8Array): number {
    checkKey(this.spec, key);
    const keyLen = u32At(key);
    if (keyLen > this.maxPrefixlen) return -EINVAL;
    let parent = -1;
    let parentSlot: [number, number] = [-1, 0];
    let slot: [number, number] = [-1, 0];
    let node = this.root;
    let matchlen = 0;
    while (node >= 0) {
      matchlen = this.match(node, key, keyLen);
      if (this.prefixlen[node] !== matchlen || this.prefixlen[node] === keyLen) break;
      parentSlot = slot;
      parent = node;
      const dir = this.bit(key, 4, this.prefixlen[node]!);
      slot = [node, dir];
      node = dir ? this.child1[node]! : this.child0[node]!;
    }
    if (node < 0 || this.prefixlen[node] !== keyLen || this.prefixlen[node] !== matchlen || this.flags[node]! & IM) return -ENOENT;
    this.entries--;
    const c0 = this.child0[node]!;
    const c1 = this.child1[node]!;
    if (c0 >= 0 && c1 >= 0) {
      this.flags[node] = IM;
      return 0;
    }
    if (parent >= 0 && this.flags[parent]! & IM && c0 < 0 && c1 < 0) {
      // Drop the intermediate parent too and promote its other child.
      const other = this.child0[parent] === node ? this.child1[parent]! : this.child0[parent]!;
      this.setSlot(parentSlot[0], parentSlot[1], other);
      this.release(parent);
      this.release(node);
      return 0;
    }
    this.setSlot(slot[0], slot[1], c0 >= 0 ? c0 : c1);
    this.release(node);
    return 0;
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    if (key) checkKey(this.spec, key);
    if (this.root < 0) return null;
    let searchRoot = this.root;
    if (key && u32At(key) <= this.maxPrefixlen) {
      const keyLen = u32At(key);
      const stack: number[] = [];
      let node = this.root;
      let matchlen = 0;
      while (node >= 0) {
        stack.push(node);
        matchlen = this.match(node, key, keyLen);
        if (this.prefixlen[node] !== matchlen || this.prefixlen[node] === keyLen) break;
        node = this.bit(key, 4, this.prefixlen[node]!) ? this.child1[node]! : this.child0[node]!;
      }
      if (node >= 0 && this.prefixlen[node] === matchlen && !(this.flags[node]! & IM)) {
        // Found: the next node in postorder.
        let cur = stack[stack.length - 1]!;
        let found = -1;
        for (let sp = stack.length - 1; sp > 0 && found < 0; sp--) {
          const parent = stack[sp - 1]!;
          if (this.child0[parent] === cur && this.child1[parent]! >= 0) {
            searchRoot = this.child1[parent]!;
            found = -2;
            break;
          }
          if (!(this.flags[parent]! & IM)) {
            found = parent;
            break;
          }
          cur = parent;
        }
        if (found === -1) return null;
        if (found >= 0) return this.keyOf(found);
      }
    }
    return this.keyOf(this.leftmost(searchRoot));
  }

  read(key: Uint8Array): Uint8Array[] | null {
    checkKey(this.spec, key);
    const node = this.longestMatch(key);
    return node < 0 ? null : this.values.read(node);
  }

  /** trie_lookup_elem: the node of the longest matching prefix, or -1. */
  private longestMatch(key: Uint8Array): number {
    const keyLen = u32At(key);
    if (keyLen > this.maxPrefixlen) return -1;
    let found = -1;
    let node = this.root;
    while (node >= 0) {
      const matchlen = this.match(node, key, keyLen);
      if (matchlen === this.maxPrefixlen) return node;
      if (matchlen < this.prefixlen[node]!) break;
      if (!(this.flags[node]! & IM)) found = node;
      node = this.bit(key, 4, this.prefixlen[node]!) ? this.child1[node]! : this.child0[node]!;
    }
    return found;
  }

  /** Leftmost real node under `root` (the first in postorder), as find_leftmost. */
  private leftmost(root: number): number {
    let next = -1;
    let node = root;
    while (node >= 0) {
      if (this.flags[node]! & IM) {
        node = this.child0[node]!;
      } else {
        next = node;
        node = this.child0[node]!;
        if (node < 0) node = this.child1[next]!;
      }
    }
    return next;
  }

  /** Leading bits `node`'s data shares with the key's, at most min(node prefixlen, keyLen). */
  private match(node: number, key: Uint8Array, keyLen: number): number {
    const limit = Math.min(this.prefixlen[node]!, keyLen);
    const data = this.data;
    const off = node * this.dataSize;
    let bits = 0;
    for (let i = 0; i < this.dataSize && bits < limit; i++) {
      const diff = data[off + i]! ^ key[4 + i]!;
      if (diff !== 0) return Math.min(bits + Math.clz32(diff) - 24, limit);
      bits += 8;
    }
    return Math.min(bits, limit);
  }

  /** Bit `index` (0 = most significant of byte 0) of the data at `off` in `bytes`. */
  private bit(bytes: Uint8Array, off: number, index: number): number {
    return (bytes[off + (index >> 3)]! >> (7 - (index & 7))) & 1;
  }

  private checkAdd(flags: number): number {
    if (flags === 2) return -ENOENT;
    if (this.entries === this.spec.maxEntries) return -ENOSPC;
    this.entries++;
    return 0;
  }

  private setSlot(parent: number, dir: number, node: number): void {
    if (parent < 0) this.root = node;
    else this.setChild(parent, dir, node);
  }

  private setChild(parent: number, dir: number, node: number): void {
    if (dir) this.child1[parent] = node;
    else this.child0[parent] = node;
  }

  private keyOf(node: number): Uint8Array {
    const out = new Uint8Array(4 + this.dataSize);
    new DataView(out.buffer).setUint32(0, this.prefixlen[node]!, true);
    out.set(this.data.subarray(node * this.dataSize, (node + 1) * this.dataSize), 4);
    return out;
  }

  private newNode(key: Uint8Array, keyLen: number, value: Uint8Array): number {
    const node = this.alloc();
    this.prefixlen[node] = keyLen;
    this.flags[node] = 0;
    this.data.set(key.subarray(4, 4 + this.dataSize), node * this.dataSize);
    this.values.write(node, 0, value);
    return node;
  }

  private alloc(): number {
    const reused = this.freeNodes.pop();
    const node = reused ?? this.fresh++;
    if (node >= this.prefixlen.length) this.growNodes(node + 1);
    this.values.ensure(node + 1);
    this.child0[node] = -1;
    this.child1[node] = -1;
    return node;
  }

  private release(node: number): void {
    this.freeNodes.push(node);
  }

  private growNodes(n: number): void {
    const cap = Math.max(n, this.prefixlen.length * 2, 16);
    const grow = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.child0 = grow(this.child0);
    this.child1 = grow(this.child1);
    this.prefixlen = grow(this.prefixlen);
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.flags = flags;
    const data = new Uint8Array(cap * this.dataSize);
    data.set(this.data);
    this.data = data;
  }
}
