import type { HelperFn, RunEnv } from '../vm/env.js';
import { ERRNO } from '../uapi/errno.js';
import { errno, memAt, s32, u32 } from './args.js';
import { XDP_FRAME, XDP_HARD_END, setXdpBounds } from './context-xdp.js';

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

/** bpf_xdp_adjust_tail(xdp, offset): moves data_end, zeroing what it grows over; -EINVAL past data_hard_end or below ETH_HLEN bytes. */
export const xdpAdjustTail: HelperFn = (env, _r1, r2) => {
  const off = s32(r2);
  const { meta, data, end } = bounds(env);
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

/** bpf_xdp_get_buff_len(xdp): data_end - data (the simulation has no fragments). */
export const xdpGetBuffLen: HelperFn = (env) => BigInt(env.mem.pktEnd - env.mem.pktData);

function xdpRange(env: RunEnv, r2: bigint, r4: bigint): { start: number; len: number } | bigint {
  const off = u32(r2);
  const len = u32(r4);
  if (off > 0xffff || len > 0xffff) return errno(ERRNO.EFAULT);
  if (off + len > env.mem.pktEnd - env.mem.pktData) return errno(ERRNO.EINVAL);
  return { start: env.mem.pktData + off, len };
}

/** bpf_xdp_load_bytes(xdp, offset, buf, len): -EFAULT for offset/len above 0xffff, -EINVAL past the end. */
export const xdpLoadBytes: HelperFn = (env, _r1, r2, r3, r4) => {
  const buf = memAt(env, r3, u32(r4), true);
  const range = xdpRange(env, r2, r4);
  if (typeof range === 'bigint') return range;
  buf.set(env.mem.u8.slice(range.start, range.start + range.len));
  return 0n;
};

/** bpf_xdp_store_bytes(xdp, offset, buf, len): as load, the other way. */
export const xdpStoreBytes: HelperFn = (env, _r1, r2, r3, r4) => {
  const buf = memAt(env, r3, u32(r4), false).slice();
  const range = xdpRange(env, r2, r4);
  if (typeof range === 'bigint') return range;
  env.mem.u8.set(buf, range.start);
  return 0n;
};
