import type { HelperFn, RunEnv } from '../vm/env.js';
import { ERRNO } from '../uapi/errno.js';
import { errno, memAt, s32, u32 } from './args.js';
import { XDP_FRAME, XDP_HARD_END, setXdpBounds } from './context-xdp.js';
import { fragsSize, growLastFrag, shrinkFrags, xdpCopy, xdpFragsOf } from './xdp-frags.js';

/**
 * The XDP packet helpers of net/core/filter.c on the test_run frame (context-xdp.ts): they move
 * data, data_end and data_meta within the page and keep the first sizeof(struct xdp_frame)
 * bytes of headroom and the skb_shared_info tailroom out of reach.
 */

const FRAME_END = XDP_FRAME.HARD_START + XDP_FRAME.XDP_FRAME_SIZE;

function bounds(env: RunEnv): { meta: number; data: number; end: number } {
  return { meta: env.mem.pktStart, data: env.mem.pktData, end: env.mem.pktEnd };
}

/** xdp_metalen_invalid: metadata must be a multiple of 4 and fit skb_shared_info's u8 meta_len. */
function metalenInvalid(len: number): boolean {
  return len % 4 !== 0 || len > 255;
}

/** bpf_xdp_adjust_head(xdp, offset): moves data (and the metadata with it); -EINVAL past the headroom or below ETH_HLEN bytes. */
export const xdpAdjustHead: HelperFn = (env, _r1, r2) => {
  const off = s32(r2);
  const { meta, data, end } = bounds(env);
  const metalen = data - meta;
  const next = data + off;
  if (next < FRAME_END + metalen || next > end - XDP_FRAME.MIN_LEN) return errno(ERRNO.EINVAL);
  if (metalen) env.mem.u8.copyWithin(meta + off, meta, data);
  setXdpBounds(env.mem, meta + off, next, end);
  return 0n;
};

/**
 * bpf_xdp_adjust_tail(xdp, offset): moves data_end, zeroing what it grows over; -EINVAL past
 * data_hard_end or below ETH_HLEN bytes. A frame with fragments grows or shrinks at its last
 * fragment instead (bpf_xdp_frags_increase_tail/shrink_tail).
 */
export const xdpAdjustTail: HelperFn = (env, _r1, r2) => {
  const off = s32(r2);
  const { meta, data, end } = bounds(env);
  const frags = xdpFragsOf(env.mem);
  if (frags !== undefined) {
    if (off >= 0) {
      const err = growLastFrag(frags, env.mem, off);
      return err === 0 ? 0n : errno(ERRNO[err]);
    }
    if (-off > end - data + fragsSize(env.mem) - XDP_FRAME.MIN_LEN) return errno(ERRNO.EINVAL);
    const fromLinear = shrinkFrags(frags, -off);
    if (fromLinear > 0) setXdpBounds(env.mem, meta, data, end - fromLinear);
    return 0n;
  }
  const next = end + off;
  if (next > XDP_HARD_END) return errno(ERRNO.EINVAL);
  if (next < data + XDP_FRAME.MIN_LEN) return errno(ERRNO.EINVAL);
  if (off > 0) env.mem.u8.fill(0, end, next);
  setXdpBounds(env.mem, meta, data, next);
  return 0n;
};

/** bpf_xdp_adjust_meta(xdp, offset): moves data_meta; -EINVAL outside [xdp_frame end, data], -EACCES for a bad length. */
export const xdpAdjustMeta: HelperFn = (env, _r1, r2) => {
  const off = s32(r2);
  const { meta, data, end } = bounds(env);
  const next = meta + off;
  if (next < FRAME_END || next > data) return errno(ERRNO.EINVAL);
  if (metalenInvalid(data - next)) return errno(ERRNO.EACCES);
  setXdpBounds(env.mem, next, data, end);
  return 0n;
};

/** bpf_xdp_get_buff_len(xdp): data_end - data plus the bytes in fragments (xdp_get_buff_len). */
export const xdpGetBuffLen: HelperFn = (env) => BigInt(env.mem.pktEnd - env.mem.pktData + fragsSize(env.mem));

/** bpf_xdp_pointer's checks: -EFAULT for offset/len above 0xffff, -EINVAL past the frame (fragments included). */
function xdpRangeError(env: RunEnv, off: number, len: number): bigint | undefined {
  if (off > 0xffff || len > 0xffff) return errno(ERRNO.EFAULT);
  if (off + len > env.mem.pktEnd - env.mem.pktData + fragsSize(env.mem)) return errno(ERRNO.EINVAL);
  return undefined;
}

/** bpf_xdp_load_bytes(xdp, offset, buf, len): the frame's bytes across its fragments; errors as bpf_xdp_pointer. */
export const xdpLoadBytes: HelperFn = (env, _r1, r2, r3, r4) => {
  const len = u32(r4);
  const buf = memAt(env, r3, len, true);
  const off = u32(r2);
  const err = xdpRangeError(env, off, len);
  if (err !== undefined) return err;
  xdpCopy(env.mem, off, buf, false);
  return 0n;
};

/** bpf_xdp_store_bytes(xdp, offset, buf, len): as load, the other way. */
export const xdpStoreBytes: HelperFn = (env, _r1, r2, r3, r4) => {
  const len = u32(r4);
  const buf = memAt(env, r3, len, false).slice();
  const off = u32(r2);
  const err = xdpRangeError(env, off, len);
  if (err !== undefined) return err;
  xdpCopy(env.mem, off, buf, true);
  return 0n;
};
