import type { HelperFn, RunEnv } from '../vm/env.js';
import { ERRNO } from '../uapi/errno.js';
import { SK_BUFF } from '../uapi/context.js';
import { LAYOUT } from '../vm/layout.js';
import { errno, memAt, u32 } from './args.js';
import { clearSkbHash, skbState } from './skb-state.js';
import { bpfCsumDiff, csumReplace2, csumReplace4, csumReplaceByDiff } from './csum.js';

/**
 * Packet and checksum helpers of TC programs (net/core/filter.c) on the test_run skb: linear,
 * uncloned, ip_summed CHECKSUM_NONE, so BPF_F_RECOMPUTE_CSUM and the pseudo-header flag change
 * no packet byte (they only keep skb->csum right for CHECKSUM_COMPLETE).
 */

/** bpf_skb_store_bytes flags and the csum_replace flags (bpf.h). */
export const BPF_F_RECOMPUTE_CSUM = 1 << 0;
export const BPF_F_INVALIDATE_HASH = 1 << 1;
export const BPF_F_HDR_FIELD_MASK = 0xf;
export const BPF_F_PSEUDO_HDR = 1 << 4;
export const BPF_F_MARK_MANGLED_0 = 1 << 5;
export const BPF_F_MARK_ENFORCE = 1 << 6;
export const BPF_F_IPV6 = 1 << 7;
/** CSUM_MANGLED_0: what a UDP checksum of 0 is written as. */
const CSUM_MANGLED_0 = 0xffff;
const INT_MAX = 0x7fff_ffff;

function skbLen(env: RunEnv): number {
  return env.mem.pktEnd - env.mem.pktData;
}

/** bpf_skb_load_bytes(skb, offset, to, len): 0, or -EFAULT with `to` zeroed when the range is outside the packet. */
export const skbLoadBytes: HelperFn = (env, _r1, r2, r3, r4) => {
  const len = u32(r4);
  const to = memAt(env, r3, len, true);
  const off = u32(r2);
  if (off > INT_MAX || off + len > skbLen(env)) {
    to.fill(0);
    return errno(ERRNO.EFAULT);
  }
  const start = env.mem.pktData + off;
  to.set(env.mem.u8.slice(start, start + len));
  return 0n;
};

/**
 * bpf_skb_store_bytes(skb, offset, from, len, flags): flags other than BPF_F_RECOMPUTE_CSUM and
 * BPF_F_INVALIDATE_HASH give -EINVAL, a range outside the packet -EFAULT.
 */
export const skbStoreBytes: HelperFn = (env, _r1, r2, r3, r4, r5) => {
  if (r5 & ~BigInt(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) return errno(ERRNO.EINVAL);
  const off = u32(r2);
  const len = u32(r4);
  if (off > INT_MAX) return errno(ERRNO.EFAULT);
  const from = memAt(env, r3, len, false).slice();
  if (off + len > skbLen(env)) return errno(ERRNO.EFAULT);
  env.mem.u8.set(from, env.mem.pktData + off);
  if (r5 & BigInt(BPF_F_INVALIDATE_HASH)) clearSkbHash(env.mem);
  return 0n;
};

/** The __sum16 at packet offset `off`, or an errno when the helper refuses the offset. */
function sumAt(env: RunEnv, r2: bigint): number | bigint {
  const off = u32(r2);
  if (off > 0xffff || off & 1) return errno(ERRNO.EFAULT);
  if (off + 2 > skbLen(env)) return errno(ERRNO.EFAULT);
  return env.mem.pktData + off;
}

/** bpf_l3_csum_replace(skb, offset, from, to, flags): size 0 (a diff from bpf_csum_diff), 2 or 4 in the low flag bits. */
export const l3CsumReplace: HelperFn = (env, _r1, r2, r3, r4, r5) => {
  if (r5 & ~BigInt(BPF_F_HDR_FIELD_MASK)) return errno(ERRNO.EINVAL);
  const at = sumAt(env, r2);
  if (typeof at === 'bigint') return at;
  const v = env.mem.view;
  const sum = v.getUint16(at, true);
  switch (Number(r5 & BigInt(BPF_F_HDR_FIELD_MASK))) {
    case 0:
      if (r3 !== 0n) return errno(ERRNO.EINVAL);
      v.setUint16(at, csumReplaceByDiff(sum, u32(r4)), true);
      break;
    case 2:
      v.setUint16(at, csumReplace2(sum, Number(r3 & 0xffffn), Number(r4 & 0xffffn)), true);
      break;
    case 4:
      v.setUint16(at, csumReplace4(sum, u32(r3), u32(r4)), true);
      break;
    default:
      return errno(ERRNO.EINVAL);
  }
  return 0n;
};

/**
 * bpf_l4_csum_replace(skb, offset, from, to, flags): as l3, plus BPF_F_MARK_MANGLED_0 (leave a
 * zero UDP checksum alone, write a computed zero as 0xffff), BPF_F_MARK_ENFORCE, BPF_F_PSEUDO_HDR
 * and BPF_F_IPV6. The 2-byte form goes through inet_proto_csum_replace4 with zero-extended values.
 */
export const l4CsumReplace: HelperFn = (env, _r1, r2, r3, r4, r5) => {
  const known = BigInt(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_IPV6 | BPF_F_HDR_FIELD_MASK);
  if (r5 & ~known) return errno(ERRNO.EINVAL);
  const at = sumAt(env, r2);
  if (typeof at === 'bigint') return at;
  const flags = Number(r5);
  const mangled0 = (flags & BPF_F_MARK_MANGLED_0) !== 0;
  const enforce = (flags & BPF_F_MARK_ENFORCE) !== 0;
  const v = env.mem.view;
  const sum = v.getUint16(at, true);
  if (mangled0 && !enforce && sum === 0) return 0n;
  let next: number;
  switch (flags & BPF_F_HDR_FIELD_MASK) {
    case 0:
      if (r3 !== 0n) return errno(ERRNO.EINVAL);
      next = csumReplaceByDiff(sum, u32(r4));
      break;
    case 2:
      next = csumReplace4(sum, Number(r3 & 0xffffn), Number(r4 & 0xffffn));
      break;
    case 4:
      next = csumReplace4(sum, u32(r3), u32(r4));
      break;
    default:
      return errno(ERRNO.EINVAL);
  }
  v.setUint16(at, mangled0 && next === 0 ? CSUM_MANGLED_0 : next, true);
  return 0n;
};

/** bpf_csum_diff(from, from_size, to, to_size, seed): the folded difference (see {@link bpfCsumDiff}). */
export const csumDiff: HelperFn = (env, r1, r2, r3, r4, r5) => {
  const from = memAt(env, r1, u32(r2), false).slice();
  const to = memAt(env, r3, u32(r4), false).slice();
  return BigInt(bpfCsumDiff(from, to, u32(r5)));
};

/** bpf_csum_update: only for CHECKSUM_COMPLETE skbs; the test_run skb is CHECKSUM_NONE, so -ENOTSUPP. */
export const csumUpdate: HelperFn = () => errno(ERRNO.ENOTSUPP);

/** bpf_skb_pull_data(skb, len): 0 when `len` bytes (0 = all) are there, else -ENOMEM. */
export const skbPullData: HelperFn = (env, _r1, r2) => (u32(r2) > skbLen(env) ? errno(ERRNO.ENOMEM) : 0n);

/** bpf_set_hash(skb, hash): sets skb->hash as a valid software L4 hash (__skb_set_sw_hash), which bpf_get_hash_recalc then returns. */
export const setHash: HelperFn = (env, _r1, r2) => {
  env.mem.view.setUint32(LAYOUT.CTX + SK_BUFF.hash.off, u32(r2), true);
  skbState(env.mem).hashValid = true;
  return 0n;
};

/** bpf_set_hash_invalid(skb): clears skb->hash (skb_clear_hash): the next bpf_get_hash_recalc computes it. */
export const setHashInvalid: HelperFn = (env) => {
  clearSkbHash(env.mem);
  return 0n;
};
