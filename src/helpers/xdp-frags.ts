import type { Slab, VmMemory } from '../vm/memory.js';

/**
 * XDP multi-buffer frames as bpf_prog_test_run_xdp (net/bpf/test_run.c) builds them: the bytes
 * that do not fit the linear buffer go to page-sized fragments (skb_shared_info frags), each
 * filled up to PAGE_SIZE, at most MAX_SKB_FRAGS of them. The program reaches fragment bytes only
 * through helpers (bpf_xdp_load_bytes/store_bytes, dynptrs), never through data/data_end, so the
 * pages live in a slab of VM memory that only a dynptr slice's pointer leads to.
 */

/** PAGE_SIZE: the size of one fragment's page. */
export const FRAG_PAGE_SIZE = 4096;
/** MAX_SKB_FRAGS (CONFIG_MAX_SKB_FRAGS, 17 by default): more are refused with ENOMEM. */
export const MAX_SKB_FRAGS = 17;

/** The fragments of the current run's frame. */
export interface XdpFrags {
  /** The pages: fragment i is at `slab.base + i * slab.stride`. */
  readonly slab: Slab;
  /** skb_frag_size of each fragment in use, in order (nr_frags = sizes.length). */
  sizes: number[];
  /**
   * xdp_rxq_info.frag_size of the queue the frame arrived on: a whole page for loopback's queue,
   * which test_run sets, 0 for a device's own queue (bpf_xdp_adjust_tail cannot grow a fragment then).
   */
  fragSize: number;
}

const pages = new WeakMap<VmMemory, Slab>();
const current = new WeakMap<VmMemory, XdpFrags>();

/** The fragments of the frame set up in `mem`, or undefined for a linear frame. */
export function xdpFragsOf(mem: VmMemory): XdpFrags | undefined {
  const frags = current.get(mem);
  return frags !== undefined && frags.sizes.length > 0 ? frags : undefined;
}

/** sinfo->xdp_frags_size: the bytes held in fragments (0 for a linear frame). */
export function fragsSize(mem: VmMemory): number {
  const frags = current.get(mem);
  if (frags === undefined) return 0;
  let total = 0;
  for (const size of frags.sizes) total += size;
  return total;
}

/** Address of fragment `i`'s first byte. */
export function fragAddress(frags: XdpFrags, i: number): number {
  return frags.slab.base + i * frags.slab.stride;
}

/**
 * Puts `rest` (the frame's bytes past the linear buffer) into fragments of `mem`, as test_run's
 * loop over data_in does; `rest` empty leaves the frame linear. The caller checks the count.
 */
export function setXdpFrags(mem: VmMemory, rest: Uint8Array, fragSize: number): void {
  if (rest.length === 0) {
    current.delete(mem);
    return;
  }
  let slab = pages.get(mem);
  if (slab === undefined) {
    slab = mem.allocSlab(FRAG_PAGE_SIZE, MAX_SKB_FRAGS, 'xdp fragment');
    pages.set(mem, slab);
  }
  const sizes: number[] = [];
  const u8 = mem.u8;
  for (let off = 0; off < rest.length; off += FRAG_PAGE_SIZE) {
    const len = Math.min(FRAG_PAGE_SIZE, rest.length - off);
    const at = slab.base + sizes.length * slab.stride;
    u8.fill(0, at, at + FRAG_PAGE_SIZE);
    u8.set(rest.subarray(off, off + len), at);
    sizes.push(len);
  }
  current.set(mem, { slab, sizes, fragSize });
}

/** The fragments' bytes in order, as bpf_test_finish copies them after the linear part. */
export function readXdpFrags(mem: VmMemory): Uint8Array {
  const frags = xdpFragsOf(mem);
  if (frags === undefined) return new Uint8Array(0);
  const out = new Uint8Array(fragsSize(mem));
  let off = 0;
  frags.sizes.forEach((size, i) => {
    const at = fragAddress(frags, i);
    out.set(mem.u8.subarray(at, at + size), off);
    off += size;
  });
  return out;
}

/**
 * bpf_xdp_pointer's search (net/core/filter.c) for `len` bytes at frame offset `off` (from data),
 * the range already checked against xdp_get_buff_len: the address when they lie in one buffer
 * (the linear part or one fragment), else -1.
 */
export function xdpPointer(mem: VmMemory, off: number, len: number): number {
  const linear = mem.pktEnd - mem.pktData;
  if (off < linear) return off + len <= linear ? mem.pktData + off : -1;
  const frags = xdpFragsOf(mem);
  if (frags === undefined) return -1;
  let rel = off - linear;
  for (let i = 0; i < frags.sizes.length; i++) {
    const size = frags.sizes[i]!;
    if (rel < size) return rel + len <= size ? fragAddress(frags, i) + rel : -1;
    rel -= size;
  }
  return -1;
}

/**
 * bpf_xdp_copy_buf: copies `buf.length` bytes between `buf` and the frame at offset `off` (from
 * data), across the linear part and the fragments; `toFrame` writes the frame.
 */
export function xdpCopy(mem: VmMemory, off: number, buf: Uint8Array, toFrame: boolean): void {
  const u8 = mem.u8;
  const spans: [number, number][] = [[mem.pktData, mem.pktEnd - mem.pktData]];
  const frags = xdpFragsOf(mem);
  if (frags) frags.sizes.forEach((size, i) => spans.push([fragAddress(frags, i), size]));
  let rel = off;
  let done = 0;
  for (const [at, size] of spans) {
    if (done === buf.length) break;
    if (rel >= size) {
      rel -= size;
      continue;
    }
    const n = Math.min(size - rel, buf.length - done);
    if (toFrame) u8.set(buf.subarray(done, done + n), at + rel);
    else buf.set(u8.subarray(at + rel, at + rel + n), done);
    done += n;
    rel = 0;
  }
}

/**
 * bpf_xdp_frags_increase_tail: grows the last fragment by `delta` bytes, zeroed. -EOPNOTSUPP
 * (as a positive errno here) without a frag_size on the queue, -EINVAL past its page.
 */
export function growLastFrag(frags: XdpFrags, mem: VmMemory, delta: number): 0 | 'EOPNOTSUPP' | 'EINVAL' {
  if (frags.fragSize === 0 || frags.fragSize > FRAG_PAGE_SIZE) return 'EOPNOTSUPP';
  const last = frags.sizes.length - 1;
  const size = frags.sizes[last]!;
  if (delta > frags.fragSize - size) return 'EINVAL';
  const at = fragAddress(frags, last) + size;
  mem.u8.fill(0, at, at + delta);
  frags.sizes[last] = size + delta;
  return 0;
}

/**
 * bpf_xdp_frags_shrink_tail: takes `delta` bytes off the end, releasing fragments it empties,
 * from the last one back; what the fragments do not cover comes off the linear part. Returns the
 * bytes still to take from the linear part. The caller has checked `delta` against the frame.
 */
export function shrinkFrags(frags: XdpFrags, delta: number): number {
  let left = delta;
  while (left > 0 && frags.sizes.length > 0) {
    const last = frags.sizes.length - 1;
    const size = frags.sizes[last]!;
    const shrink = Math.min(left, size);
    if (shrink === size) frags.sizes.pop();
    else frags.sizes[last] = size - shrink;
    left -= shrink;
  }
  return left;
}
