import { RingBufMap } from '../maps/ringbuf.js';
import { BPF_PROG_TYPE } from '../uapi/bpf.js';
import { SK_BUFF } from '../uapi/context.js';
import { LAYOUT } from '../vm/layout.js';
import { ERRNO } from '../uapi/errno.js';
import type { HelperFn, RunEnv } from '../vm/env.js';
import { addrOf, errno, helperFault, mapArg, memAt, u32 } from './args.js';
import { skbLoadBytes, skbStoreBytes } from './skb-helpers.js';
import { fragsSize, xdpCopy, xdpPointer } from './xdp-frags.js';
import { xdpLoadBytes, xdpStoreBytes } from './xdp-helpers.js';

/**
 * Dynptrs (kernel/bpf/helpers.c, net/core/filter.c, kernel/bpf/ringbuf.c): the 16-byte
 * `struct bpf_dynptr` on the program's stack holds a `struct bpf_dynptr_kern` as the kernel lays
 * it out: `data` (u64 at 0: the sample or local memory, or the context for skb and xdp
 * dynptrs), `size` (u32 at 8: the size in bits 0-23, the type in bits 28-30, read-only in bit 31)
 * and `offset` (u32 at 12). A NULL dynptr is all zeros. skb and xdp dynptrs read and write the
 * packet through the skb and xdp byte helpers, so their errors are those helpers' errors; skb_meta
 * dynptrs read and write the skb's metadata in place (bpf_skb_meta_pointer).
 */

/** enum bpf_dynptr_type (include/linux/bpf.h). */
export const BPF_DYNPTR_TYPE = { LOCAL: 1, RINGBUF: 2, SKB: 3, XDP: 4, SKB_META: 5 } as const;

/** DYNPTR_MAX_SIZE, DYNPTR_TYPE_SHIFT, DYNPTR_RDONLY_BIT (include/linux/bpf.h). */
const DYNPTR_MAX_SIZE = (1 << 24) - 1;
const DYNPTR_TYPE_SHIFT = 28;
const DYNPTR_RDONLY_BIT = 0x8000_0000;
const DYNPTR_SIZE = 16;

interface Dynptr {
  /** The address of the struct bpf_dynptr. */
  at: number;
  data: bigint;
  size: number;
  offset: number;
  type: number;
  rdonly: boolean;
}

function dynptrAt(env: RunEnv, r: bigint): Dynptr {
  const bytes = memAt(env, r, DYNPTR_SIZE, false);
  const view = new DataView(bytes.buffer, bytes.byteOffset, DYNPTR_SIZE);
  const sizeWord = view.getUint32(8, true);
  return {
    at: addrOf(r),
    data: view.getBigUint64(0, true),
    size: sizeWord & DYNPTR_MAX_SIZE,
    offset: view.getUint32(12, true),
    type: (sizeWord >>> DYNPTR_TYPE_SHIFT) & 7,
    rdonly: (sizeWord & DYNPTR_RDONLY_BIT) !== 0,
  };
}

function store(env: RunEnv, at: bigint, data: bigint, type: number, offset: number, size: number, rdonly: boolean): void {
  const bytes = memAt(env, at, DYNPTR_SIZE, true);
  const view = new DataView(bytes.buffer, bytes.byteOffset, DYNPTR_SIZE);
  view.setBigUint64(0, data, true);
  view.setUint32(8, (size | (type << DYNPTR_TYPE_SHIFT) | (rdonly ? DYNPTR_RDONLY_BIT : 0)) >>> 0, true);
  view.setUint32(12, offset, true);
}

/** bpf_dynptr_set_null. */
function setNull(env: RunEnv, at: bigint): void {
  memAt(env, at, DYNPTR_SIZE, true).fill(0);
}

/** bpf_dynptr_check_off_len: -E2BIG when [offset, offset + len) is not inside the dynptr. */
function outside(p: Dynptr, offset: number, len: number): boolean {
  return len > p.size || offset > p.size - len;
}

/** skb->len (the simulated skb is linear): the packet from data to data_end. */
function packetLen(env: RunEnv): number {
  return env.mem.pktEnd - env.mem.pktData;
}

/** bpf_dynptr_from_xdp(xdp, flags, ptr__uninit): an xdp dynptr over the whole frame; flags -EINVAL. */
export const dynptrFromXdp: HelperFn = (env, r1, r2, r3) => {
  if (r2 !== 0n) {
    setNull(env, r3);
    return errno(ERRNO.EINVAL);
  }
  store(env, r3, r1, BPF_DYNPTR_TYPE.XDP, 0, packetLen(env) + fragsSize(env.mem), false);
  return 0n;
};

/**
 * bpf_dynptr_from_skb(skb, flags, ptr__uninit): an skb dynptr over skb->len bytes; flags -EINVAL.
 * Programs that may not write packet data (socket filters) get bpf_dynptr_from_skb_rdonly, as the
 * verifier's specialize_kfunc arranges.
 */
export const dynptrFromSkb: HelperFn = (env, r1, r2, r3) => {
  if (r2 !== 0n) {
    setNull(env, r3);
    return errno(ERRNO.EINVAL);
  }
  store(env, r3, r1, BPF_DYNPTR_TYPE.SKB, 0, packetLen(env), env.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER);
  return 0n;
};

/** Where the skb's metadata starts (bpf_skb_meta_pointer at 0): __sk_buff data_meta, which ends at data. */
function skbMetaStart(env: RunEnv): number {
  return env.mem.view.getUint32(LAYOUT.CTX + SK_BUFF.data_meta.off, true);
}

/**
 * bpf_dynptr_from_skb_meta(skb, flags, ptr__uninit): a dynptr over the skb's metadata
 * (skb_metadata_len bytes, none on a BPF_PROG_TEST_RUN skb); flags -EINVAL.
 */
export const dynptrFromSkbMeta: HelperFn = (env, r1, r2, r3) => {
  if (r2 !== 0n) {
    setNull(env, r3);
    return errno(ERRNO.EINVAL);
  }
  store(env, r3, r1, BPF_DYNPTR_TYPE.SKB_META, 0, env.mem.pktData - skbMetaStart(env), false);
  return 0n;
};

/** bpf_dynptr_from_mem(data, size, flags, ptr): a local dynptr; -E2BIG past DYNPTR_MAX_SIZE, -EINVAL for flags. */
export const dynptrFromMem: HelperFn = (env, r1, r2, r3, r4) => {
  const size = u32(r2);
  memAt(env, r1, size, true);
  if (size > DYNPTR_MAX_SIZE || r3 !== 0n) {
    setNull(env, r4);
    return errno(size > DYNPTR_MAX_SIZE ? ERRNO.E2BIG : ERRNO.EINVAL);
  }
  store(env, r4, r1, BPF_DYNPTR_TYPE.LOCAL, 0, size, false);
  return 0n;
};

/** Where byte `off` of a memory-backed (local, ringbuf, skb_meta) dynptr is. */
function memAddr(env: RunEnv, p: Dynptr, off: number): bigint {
  if (p.type === BPF_DYNPTR_TYPE.SKB_META) return BigInt(skbMetaStart(env) + p.offset + off);
  return p.data + BigInt(p.offset + off);
}

/** bpf_dynptr_read(dst, len, src, offset, flags): __bpf_dynptr_read. */
export const dynptrRead: HelperFn = (env, r1, r2, r3, r4, r5) => {
  const len = u32(r2);
  const dst = memAt(env, r1, len, true);
  const p = dynptrAt(env, r3);
  const off = u32(r4);
  if (p.data === 0n || r5 !== 0n) return errno(ERRNO.EINVAL);
  if (outside(p, off, len)) return errno(ERRNO.E2BIG);
  switch (p.type) {
    case BPF_DYNPTR_TYPE.SKB:
      return skbLoadBytes(env, p.data, BigInt(p.offset + off), r1, r2, 0n);
    case BPF_DYNPTR_TYPE.XDP:
      return xdpLoadBytes(env, p.data, BigInt(p.offset + off), r1, r2, 0n);
    default:
      dst.set(memAt(env, memAddr(env, p, off), len, false).slice());
      return 0n;
  }
};

/** bpf_dynptr_write(dst, offset, src, len, flags): __bpf_dynptr_write; only skb dynptrs take flags (bpf_skb_store_bytes's). */
export const dynptrWrite: HelperFn = (env, r1, r2, r3, r4, r5) => {
  const len = u32(r4);
  const src = memAt(env, r3, len, false).slice();
  const p = dynptrAt(env, r1);
  const off = u32(r2);
  if (p.data === 0n || p.rdonly) return errno(ERRNO.EINVAL);
  if (outside(p, off, len)) return errno(ERRNO.E2BIG);
  switch (p.type) {
    case BPF_DYNPTR_TYPE.SKB:
      return skbStoreBytes(env, p.data, BigInt(p.offset + off), r3, r4, r5);
    case BPF_DYNPTR_TYPE.XDP:
      if (r5 !== 0n) return errno(ERRNO.EINVAL);
      return xdpStoreBytes(env, p.data, BigInt(p.offset + off), r3, r4, 0n);
    default:
      if (r5 !== 0n) return errno(ERRNO.EINVAL);
      memAt(env, memAddr(env, p, off), len, true).set(src);
      return 0n;
  }
};

/** bpf_dynptr_data(ptr, offset, len): a pointer into a local or ringbuf dynptr; NULL for skb, skb_meta and xdp ones (they use slices). */
export const dynptrData: HelperFn = (env, r1, r2, r3) => {
  const p = dynptrAt(env, r1);
  const off = u32(r2);
  const len = u32(r3);
  if (p.data === 0n || outside(p, off, len) || p.rdonly) return 0n;
  if (p.type === BPF_DYNPTR_TYPE.SKB || p.type === BPF_DYNPTR_TYPE.XDP || p.type === BPF_DYNPTR_TYPE.SKB_META) return 0n;
  return memAddr(env, p, off);
};

/**
 * bpf_dynptr_slice(p, offset, buffer__opt, buffer__szk): a pointer to `buffer__szk` bytes at
 * `offset`, or NULL when they are outside the dynptr. The simulated skb is linear, so its slices
 * point into the packet. An xdp slice points into the frame when the bytes lie in one buffer (the
 * linear part or one fragment, bpf_xdp_pointer); otherwise they are copied into `buffer__opt`,
 * which is returned, or NULL without one.
 */
export const dynptrSlice: HelperFn = (env, r1, r2, r3, r4) => {
  const p = dynptrAt(env, r1);
  const off = u32(r2);
  const len = u32(r4);
  if (p.data === 0n || outside(p, off, len)) return 0n;
  if (p.type === BPF_DYNPTR_TYPE.SKB) return BigInt(env.mem.pktData + p.offset + off);
  if (p.type === BPF_DYNPTR_TYPE.XDP) {
    const at = p.offset + off;
    const direct = at > 0xffff || len > 0xffff ? -1 : xdpPointer(env.mem, at, len);
    if (direct >= 0) return BigInt(direct);
    if (r3 === 0n) return 0n;
    xdpCopy(env.mem, at, memAt(env, r3, len, true), false);
    return r3;
  }
  return memAddr(env, p, off);
};

/** bpf_dynptr_slice_rdwr: as bpf_dynptr_slice, NULL for a read-only dynptr. */
export const dynptrSliceRdwr: HelperFn = (env, r1, r2, r3, r4, r5) => {
  const p = dynptrAt(env, r1);
  if (p.data === 0n || p.rdonly) return 0n;
  return dynptrSlice(env, r1, r2, r3, r4, r5);
};

/** bpf_dynptr_adjust(p, start, end): -EINVAL for a NULL dynptr or start > end, -ERANGE past its size. */
export const dynptrAdjust: HelperFn = (env, r1, r2, r3) => {
  const p = dynptrAt(env, r1);
  const start = u32(r2);
  const end = u32(r3);
  if (p.data === 0n) return errno(ERRNO.EINVAL);
  if (start > p.size || end > p.size) return errno(ERRNO.ERANGE);
  if (start > end) return errno(ERRNO.EINVAL);
  store(env, r1, p.data, p.type, p.offset + start, end - start, p.rdonly);
  return 0n;
};

/** bpf_dynptr_is_null(p). */
export const dynptrIsNull: HelperFn = (env, r1) => (dynptrAt(env, r1).data === 0n ? 1n : 0n);

/** bpf_dynptr_is_rdonly(p): false for a NULL dynptr. */
export const dynptrIsRdonly: HelperFn = (env, r1) => {
  const p = dynptrAt(env, r1);
  return p.data !== 0n && p.rdonly ? 1n : 0n;
};

/** bpf_dynptr_size(p): its size, or -EINVAL (as a u32) for a NULL dynptr. */
export const dynptrSize: HelperFn = (env, r1) => {
  const p = dynptrAt(env, r1);
  return p.data === 0n ? errno(ERRNO.EINVAL) & 0xffff_ffffn : BigInt(p.size);
};

/** bpf_dynptr_clone(p, clone__uninit): a copy of the dynptr; -EINVAL (and a NULL clone) for a NULL one. */
export const dynptrClone: HelperFn = (env, r1, r2) => {
  const p = dynptrAt(env, r1);
  if (p.data === 0n) {
    setNull(env, r2);
    return errno(ERRNO.EINVAL);
  }
  memAt(env, r2, DYNPTR_SIZE, true).set(memAt(env, r1, DYNPTR_SIZE, false).slice());
  return 0n;
};

/**
 * bpf_ringbuf_reserve_dynptr(ringbuf, size, flags, ptr): a ringbuf dynptr over a new sample;
 * -E2BIG past DYNPTR_MAX_SIZE, -EINVAL for flags or a record larger than the ring, -EAGAIN when
 * the ring is full, each leaving a
 * NULL dynptr (which the program must still submit or discard).
 */
export const ringbufReserveDynptr: HelperFn = (env, r1, r2, r3, r4) => {
  const { map } = mapArg(env, r1, 'bpf_ringbuf_reserve_dynptr');
  if (!(map instanceof RingBufMap)) throw helperFault(env, 'bpf_ringbuf_reserve_dynptr', 'helper/bad-map', `map '${map.spec.name}' is not a ring buffer`);
  const size = u32(r2);
  let err = 0;
  if (size > DYNPTR_MAX_SIZE) err = ERRNO.E2BIG;
  else if (r3 !== 0n) err = ERRNO.EINVAL;
  // A record that could never fit the ring (BPF_RINGBUF_HDR_SZ included) is -EINVAL on this kernel, a full ring -EAGAIN.
  else if (size + 8 > map.spec.maxEntries) err = ERRNO.EINVAL;
  const sample = err === 0 ? map.reserve(size, env.cpu) : 0;
  if (err === 0 && sample === 0) err = ERRNO.EAGAIN;
  if (err !== 0) {
    setNull(env, r4);
    return errno(err);
  }
  store(env, r4, BigInt(sample), BPF_DYNPTR_TYPE.RINGBUF, 0, size, false);
  return 0n;
};

function commitDynptr(helper: string, discard: boolean): HelperFn {
  return (env, r1) => {
    const p = dynptrAt(env, r1);
    if (p.data === 0n) return 0n;
    const addr = Number(p.data);
    const rb = env.maps.find((m): m is RingBufMap => m instanceof RingBufMap && m.isReserved(addr));
    if (rb === undefined) throw helperFault(env, helper, 'helper/bad-ringbuf-sample', `the dynptr's sample 0x${addr.toString(16)} is not reserved`);
    rb.commit(addr, discard);
    setNull(env, r1);
    return 0n;
  };
}

/** bpf_ringbuf_submit_dynptr(ptr, flags): commits the sample and nulls the dynptr; nothing for a NULL dynptr. */
export const ringbufSubmitDynptr = commitDynptr('bpf_ringbuf_submit_dynptr', false);
/** bpf_ringbuf_discard_dynptr(ptr, flags): drops the sample and nulls the dynptr. */
export const ringbufDiscardDynptr = commitDynptr('bpf_ringbuf_discard_dynptr', true);

/**
 * bpf_dynptr_slice(_rdwr) without a buffer, as bpf_dynptr_copy and bpf_dynptr_memset call it: the
 * address of `len` bytes at `off` when they lie in one piece of memory, else null (a NULL or
 * out-of-range dynptr, a read-only one for `write`, xdp bytes across a fragment boundary).
 */
function directAddress(env: RunEnv, p: Dynptr, off: number, len: number, write: boolean): number | null {
  if (p.data === 0n || outside(p, off, len) || (write && p.rdonly)) return null;
  if (p.type === BPF_DYNPTR_TYPE.SKB) return env.mem.pktData + p.offset + off;
  if (p.type === BPF_DYNPTR_TYPE.XDP) {
    const at = p.offset + off;
    const direct = at > 0xffff || len > 0xffff ? -1 : xdpPointer(env.mem, at, len);
    return direct >= 0 ? direct : null;
  }
  const at = memAddr(env, p, off);
  memAt(env, at, len, write);
  return Number(at);
}

/** bpf_xdp_pointer's range check on the offsets __bpf_xdp_load_bytes and __bpf_xdp_store_bytes take: -EFAULT past 0xffff. */
function xdpFault(p: Dynptr, off: number, len: number): boolean {
  return p.type === BPF_DYNPTR_TYPE.XDP && (p.offset + off > 0xffff || len > 0xffff);
}

/** __bpf_dynptr_read with flags 0 into `buf`: 0 or an errno. */
function readInto(env: RunEnv, p: Dynptr, off: number, buf: Uint8Array): number {
  if (p.data === 0n) return ERRNO.EINVAL;
  if (outside(p, off, buf.length)) return ERRNO.E2BIG;
  if (xdpFault(p, off, buf.length)) return ERRNO.EFAULT;
  if (p.type === BPF_DYNPTR_TYPE.XDP) xdpCopy(env.mem, p.offset + off, buf, false);
  else buf.set(env.mem.u8.subarray(...span(env, p, off, buf.length, false)));
  return 0;
}

/** __bpf_dynptr_write with flags 0 from `bytes`: 0 or an errno. */
function writeFrom(env: RunEnv, p: Dynptr, off: number, bytes: Uint8Array): number {
  if (p.data === 0n || p.rdonly) return ERRNO.EINVAL;
  if (outside(p, off, bytes.length)) return ERRNO.E2BIG;
  if (xdpFault(p, off, bytes.length)) return ERRNO.EFAULT;
  if (p.type === BPF_DYNPTR_TYPE.XDP) xdpCopy(env.mem, p.offset + off, bytes, true);
  else env.mem.u8.set(bytes, span(env, p, off, bytes.length, true)[0]);
  return 0;
}

/** [start, end) in VM memory of `len` bytes at `off` of a linear (skb, local, ringbuf, skb_meta) dynptr, checked as a memory access. */
function span(env: RunEnv, p: Dynptr, off: number, len: number, write: boolean): [number, number] {
  const at = p.type === BPF_DYNPTR_TYPE.SKB ? BigInt(env.mem.pktData + p.offset + off) : memAddr(env, p, off);
  if (p.type !== BPF_DYNPTR_TYPE.SKB) memAt(env, at, len, write);
  return [Number(at), Number(at) + len];
}

/** The size of the bounce buffer bpf_dynptr_copy and bpf_dynptr_memset go through when a slice is not direct. */
const BOUNCE_LEN = 256;

/**
 * bpf_dynptr_copy(dst_ptr, dst_off, src_ptr, src_off, size) (kernel/bpf/helpers.c): a memmove
 * when both ranges are direct slices; otherwise a write from the source slice, a read into the
 * destination slice, or, with neither, -E2BIG for a range outside either dynptr and then
 * 256-byte chunks read and written, each step's error returned.
 */
export const dynptrCopy: HelperFn = (env, r1, r2, r3, r4, r5) => {
  const dst = dynptrAt(env, r1);
  const dstOff = u32(r2);
  const src = dynptrAt(env, r3);
  const srcOff = u32(r4);
  const size = u32(r5);
  const srcAt = directAddress(env, src, srcOff, size, false);
  const dstAt = directAddress(env, dst, dstOff, size, true);
  const u8 = env.mem.u8;
  if (srcAt !== null && dstAt !== null) {
    u8.copyWithin(dstAt, srcAt, srcAt + size);
    return 0n;
  }
  if (srcAt !== null) return errno(writeFrom(env, dst, dstOff, u8.slice(srcAt, srcAt + size)));
  if (dstAt !== null) {
    const buf = new Uint8Array(size);
    const err = readInto(env, src, srcOff, buf);
    if (err === 0) u8.set(buf, dstAt);
    return errno(err);
  }
  if (outside(dst, dstOff, size) || outside(src, srcOff, size)) return errno(ERRNO.E2BIG);
  for (let off = 0; off < size; off += BOUNCE_LEN) {
    const chunk = new Uint8Array(Math.min(BOUNCE_LEN, size - off));
    const err = readInto(env, src, srcOff + off, chunk) || writeFrom(env, dst, dstOff + off, chunk);
    if (err !== 0) return errno(err);
  }
  return 0n;
};

/**
 * bpf_dynptr_memset(p, offset, size, val) (kernel/bpf/helpers.c): fills a direct slice in place;
 * otherwise -EINVAL for a read-only dynptr, -E2BIG outside it, then 256-byte chunks written.
 */
export const dynptrMemset: HelperFn = (env, r1, r2, r3, r4) => {
  const p = dynptrAt(env, r1);
  const off = u32(r2);
  const size = u32(r3);
  const val = Number(r4 & 0xffn);
  const at = directAddress(env, p, off, size, true);
  if (at !== null) {
    env.mem.u8.fill(val, at, at + size);
    return 0n;
  }
  if (p.rdonly) return errno(ERRNO.EINVAL);
  if (outside(p, off, size)) return errno(ERRNO.E2BIG);
  for (let done = 0; done < size; done += BOUNCE_LEN) {
    const err = writeFrom(env, p, off + done, new Uint8Array(Math.min(BOUNCE_LEN, size - done)).fill(val));
    if (err !== 0) return errno(err);
  }
  return 0n;
};
