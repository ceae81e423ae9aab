import { PerfEventArray } from '../maps/perf-event-array.js';
import { RingBufMap } from '../maps/ringbuf.js';
import { ERRNO } from '../uapi/errno.js';
import type { HelperFn, RunEnv } from '../vm/env.js';
import { addrOf, errno, helperFault, mapArg, memAt, u32 } from './args.js';

/**
 * The helpers that send records to user space: the ring buffer's (kernel/bpf/ringbuf.c) and
 * bpf_perf_event_output in its XDP and skb forms (net/core/filter.c bpf_xdp_event_output,
 * bpf_skb_event_output, kernel/trace/bpf_trace.c __bpf_perf_event_output).
 */

/** BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP (bpf.h). */
const BPF_RB_WAKEUP_FLAGS = 3n;
/** BPF_F_INDEX_MASK, BPF_F_CURRENT_CPU, BPF_F_CTXLEN_MASK (bpf.h). */
const BPF_F_INDEX_MASK = 0xffff_ffffn;
const BPF_F_CURRENT_CPU = 0xffff_ffffn;
const BPF_F_CTXLEN_MASK = 0xf_ffffn << 32n;

function ringbufArg(env: RunEnv, r: bigint, helper: string): RingBufMap {
  const { map } = mapArg(env, r, helper);
  if (!(map instanceof RingBufMap)) throw helperFault(env, helper, 'helper/bad-map', `map '${map.spec.name}' is not a ring buffer`);
  return map;
}

/** bpf_ringbuf_reserve(ringbuf, size, flags): a sample's address, or NULL when flags are set or the ring is full. */
export const ringbufReserve: HelperFn = (env, r1, r2, r3) => {
  const rb = ringbufArg(env, r1, 'bpf_ringbuf_reserve');
  if (r3 !== 0n || r2 > 0xffff_ffffn) return 0n;
  return BigInt(rb.reserve(Number(r2), env.cpu));
};

function commit(helper: string, discard: boolean): HelperFn {
  return (env, r1) => {
    const addr = addrOf(r1);
    // The verifier proves the argument is a reserved sample (ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE).
    const rb = env.maps.find((m): m is RingBufMap => m instanceof RingBufMap && m.isReserved(addr));
    if (rb === undefined) throw helperFault(env, helper, 'helper/bad-ringbuf-sample', `0x${addr.toString(16)} is not a sample reserved by bpf_ringbuf_reserve`);
    rb.commit(addr, discard);
    return 0n;
  };
}

/** bpf_ringbuf_submit(data, flags): commits the sample (wakeup flags change nothing here). */
export const ringbufSubmit = commit('bpf_ringbuf_submit', false);
/** bpf_ringbuf_discard(data, flags): drops the sample; the reader skips it. */
export const ringbufDiscard = commit('bpf_ringbuf_discard', true);

/** bpf_ringbuf_output(ringbuf, data, size, flags): copies `size` bytes into a new record; -EINVAL for unknown flags, -EAGAIN when full. */
export const ringbufOutput: HelperFn = (env, r1, r2, r3, r4) => {
  const rb = ringbufArg(env, r1, 'bpf_ringbuf_output');
  const size = u32(r3);
  const data = memAt(env, r2, size, false).slice();
  if (r4 & ~BPF_RB_WAKEUP_FLAGS) return errno(ERRNO.EINVAL);
  const sample = rb.reserve(size, env.cpu);
  if (sample === 0) return errno(ERRNO.EAGAIN);
  env.mem.u8.set(data, sample);
  rb.commit(sample, false);
  return 0n;
};

/** bpf_ringbuf_query(ringbuf, flags): available data, ring size, consumer or producer position. */
export const ringbufQuery: HelperFn = (env, r1, r2) => {
  const rb = ringbufArg(env, r1, 'bpf_ringbuf_query');
  return r2 > 3n ? 0n : BigInt(rb.query(Number(r2)));
};

/**
 * bpf_perf_event_output(ctx, map, flags, data, size): a sample of `size` bytes at `data`, followed
 * by the first `flags >> 32` bytes of the packet (the XDP frame or the skb). Flags outside
 * BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK -EINVAL, a packet part longer than the packet -EFAULT,
 * then the perf event array's errors (PerfEventArray.output).
 */
export const perfEventOutput: HelperFn = (env, _r1, r2, r3, r4, r5) => {
  const helper = 'bpf_perf_event_output';
  const { map } = mapArg(env, r2, helper);
  if (!(map instanceof PerfEventArray)) throw helperFault(env, helper, 'helper/bad-map', `map '${map.spec.name}' is not a perf event array`);
  const size = Number(r5 > 0xffff_ffffn ? 0xffff_ffffn : r5);
  const meta = memAt(env, r4, size, false).slice();
  if (r3 & ~(BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK)) return errno(ERRNO.EINVAL);
  const ctxLen = Number((r3 & BPF_F_CTXLEN_MASK) >> 32n);
  const { pktData, pktEnd } = env.mem;
  if (ctxLen > pktEnd - pktData) return errno(ERRNO.EFAULT);
  const index = (r3 & BPF_F_INDEX_MASK) === BPF_F_CURRENT_CPU ? env.cpu : Number(r3 & BPF_F_INDEX_MASK);
  const sample = new Uint8Array(size + ctxLen);
  sample.set(meta);
  sample.set(env.mem.u8.subarray(pktData, pktData + ctxLen), size);
  const rc = map.output(index, env.cpu, sample);
  return rc < 0 ? errno(-rc) : 0n;
};
