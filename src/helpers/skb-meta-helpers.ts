import type { HelperFn, RunEnv } from '../vm/env.js';
import { ERRNO } from '../uapi/errno.js';
import { SK_BUFF, XDP_MD } from '../uapi/context.js';
import { LAYOUT } from '../vm/layout.js';
import { jhash2 } from '../maps/jhash.js';
import { errno, memAt, s32, u32 } from './args.js';
import type { SimKernel } from './kernel-state.js';
import { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, SKB_MAX_CSUM_LEVEL, skbProtocol, skbState } from './skb-state.js';

/**
 * Helpers that read or set the skb's metadata rather than its bytes (net/core/filter.c):
 * bpf_csum_level over the skb's checksum state, bpf_get_hash_recalc, bpf_check_mtu (TC and XDP),
 * bpf_skb_cgroup_id and bpf_get_cgroup_classid.
 */

/** BPF_CSUM_LEVEL_* (bpf.h). */
const BPF_CSUM_LEVEL_QUERY = 0n;
const BPF_CSUM_LEVEL_INC = 1n;
const BPF_CSUM_LEVEL_DEC = 2n;
const BPF_CSUM_LEVEL_RESET = 3n;

/**
 * bpf_csum_level(skb, level): INC makes a CHECKSUM_NONE skb CHECKSUM_UNNECESSARY at level 0 or
 * raises the level (up to SKB_MAX_CSUM_LEVEL), DEC lowers it (back to CHECKSUM_NONE below 0),
 * RESET goes back to CHECKSUM_NONE; QUERY returns the level, or -EACCES when the skb is not
 * CHECKSUM_UNNECESSARY (the test_run skb starts CHECKSUM_NONE). Other levels -EINVAL.
 */
export const csumLevel: HelperFn = (env, _r1, r2) => {
  const state = skbState(env.mem);
  switch (r2) {
    case BPF_CSUM_LEVEL_INC:
      if (state.ipSummed === CHECKSUM_UNNECESSARY) {
        if (state.csumLevel < SKB_MAX_CSUM_LEVEL) state.csumLevel++;
      } else if (state.ipSummed === CHECKSUM_NONE) {
        state.ipSummed = CHECKSUM_UNNECESSARY;
        state.csumLevel = 0;
      }
      return 0n;
    case BPF_CSUM_LEVEL_DEC:
      if (state.ipSummed === CHECKSUM_UNNECESSARY) {
        if (state.csumLevel === 0) state.ipSummed = CHECKSUM_NONE;
        else state.csumLevel--;
      }
      return 0n;
    case BPF_CSUM_LEVEL_RESET:
      if (state.ipSummed === CHECKSUM_UNNECESSARY) {
        state.ipSummed = CHECKSUM_NONE;
        state.csumLevel = 0;
      }
      return 0n;
    case BPF_CSUM_LEVEL_QUERY:
      return state.ipSummed === CHECKSUM_UNNECESSARY ? BigInt(state.csumLevel) : errno(ERRNO.EACCES);
    default:
      return errno(ERRNO.EINVAL);
  }
};

/** The seed of the simulated flow hash; the kernel's (hashrnd) is random per boot. */
const FLOW_HASH_SEED = 0x5eed_f10e;

/**
 * The flow hash skb_get_hash computes when the skb has none (__skb_get_hash): over the addresses
 * and ports in a direction-independent order (__flow_hash_consistentify), the L4 protocol and
 * the EtherType, never 0. The kernel keys it with a random per-boot siphash key, so only its
 * properties match: same flow, same hash, either direction.
 */
function flowHash(env: RunEnv): number {
  const mem = env.mem;
  const u8 = mem.u8;
  const end = mem.pktEnd;
  const proto = skbProtocol(mem);
  const at = skbState(mem).network;
  const words: number[] = [proto];
  let l4 = -1;
  let ipProto = 0;
  const word = (p: number): number => ((u8[p]! << 24) | (u8[p + 1]! << 16) | (u8[p + 2]! << 8) | u8[p + 3]!) >>> 0;
  if (proto === 0x0800 && at + 20 <= end) {
    ipProto = u8[at + 9]!;
    const [a, b] = [word(at + 12), word(at + 16)].sort((x, y) => x - y);
    words.push(a!, b!);
    const fragmented = ((u8[at + 6]! << 8) | u8[at + 7]!) & 0x3fff;
    if (!fragmented) l4 = at + (u8[at]! & 0xf) * 4;
  } else if (proto === 0x86dd && at + 40 <= end) {
    ipProto = u8[at + 6]!;
    const src = [0, 1, 2, 3].map((i) => word(at + 8 + 4 * i));
    const dst = [0, 1, 2, 3].map((i) => word(at + 24 + 4 * i));
    const srcFirst = src.join() <= dst.join();
    words.push(...(srcFirst ? src.concat(dst) : dst.concat(src)));
    l4 = at + 40;
  }
  words.push(ipProto);
  if (l4 >= 0 && (ipProto === 6 || ipProto === 17 || ipProto === 132) && l4 + 4 <= end) {
    const ports = [(u8[l4]! << 8) | u8[l4 + 1]!, (u8[l4 + 2]! << 8) | u8[l4 + 3]!].sort((x, y) => x - y);
    words.push((ports[0]! << 16) | ports[1]!);
  }
  return jhash2(words.map((w) => w >>> 0), FLOW_HASH_SEED) || 1;
}

/** bpf_get_hash_recalc(skb): skb->hash, computed (and stored) first when it is not valid (skb_get_hash). */
export const getHashRecalc: HelperFn = (env) => {
  const state = skbState(env.mem);
  const at = LAYOUT.CTX + SK_BUFF.hash.off;
  if (!state.hashValid) {
    env.mem.view.setUint32(at, flowHash(env), true);
    state.hashValid = true;
  }
  return BigInt(env.mem.view.getUint32(at, true));
};

/** BPF_MTU_CHK_SEGS and the BPF_MTU_CHK_RET_* results (bpf.h). */
const BPF_MTU_CHK_SEGS = 1n;
const BPF_MTU_CHK_RET_SUCCESS = 0n;
const BPF_MTU_CHK_RET_FRAG_NEEDED = 1n;
/** dev->hard_header_len of the devices a test_run can see (loopback and veth: ETH_HLEN). */
const HARD_HEADER_LEN = 14;

/**
 * bpf_check_mtu for TC (bpf_skb_check_mtu) and XDP (bpf_xdp_check_mtu): compares the packet
 * length (or `*mtu_len` + the device's hard header length when `*mtu_len` is set) plus
 * `len_diff` with the device's MTU + hard header length, and writes the MTU to `*mtu_len`
 * (left as it was on an error, as this kernel does). `ifindex` 0 means the skb's device (TC) or the receiving device (XDP); -ENODEV for an unknown
 * one, -EINVAL for unknown flags (XDP: any flag; TC: BPF_MTU_CHK_SEGS with len_diff or
 * *mtu_len). A GSO skb longer than the MTU passes (its segments are not measured).
 */
export function checkMtu(kernel: SimKernel, xdp: boolean): HelperFn {
  return (env, _r1, r2, r3, r4, r5) => {
    const cell = memAt(env, r3, 4, true);
    const view = new DataView(cell.buffer, cell.byteOffset, 4);
    const given = view.getUint32(0, true);
    const lenDiff = s32(r4);
    if (xdp ? r5 !== 0n : r5 & ~BPF_MTU_CHK_SEGS) return errno(ERRNO.EINVAL);
    if (!xdp && r5 & BPF_MTU_CHK_SEGS && (lenDiff !== 0 || given !== 0)) return errno(ERRNO.EINVAL);
    const v = env.mem.view;
    const own = xdp ? v.getUint32(LAYOUT.CTX + XDP_MD.ingress_ifindex.off, true) : v.getUint32(LAYOUT.CTX + SK_BUFF.ifindex.off, true);
    const ifindex = u32(r2) || own || 1;
    const dev = kernel.network.interface(ifindex);
    if (!dev) return errno(ERRNO.ENODEV);
    const mtu = dev.mtu;
    view.setUint32(0, mtu, true);
    const devLen = mtu + HARD_HEADER_LEN;
    const pktLen = given ? given + HARD_HEADER_LEN : env.mem.pktEnd - env.mem.pktData;
    if (pktLen + lenDiff <= devLen) return BPF_MTU_CHK_RET_SUCCESS;
    const gso = !xdp && v.getUint32(LAYOUT.CTX + SK_BUFF.gso_size.off, true) !== 0;
    return gso ? BPF_MTU_CHK_RET_SUCCESS : BPF_MTU_CHK_RET_FRAG_NEEDED;
  };
}

/** The cgroup v2 id of the root cgroup, which the simulated task runs in. */
export const ROOT_CGROUP_ID = 1n;

/**
 * bpf_skb_cgroup_id(skb): the cgroup v2 id of the skb's socket. The test_run skb carries a
 * socket made for the run in the caller's cgroup; the simulation's caller is in the root cgroup.
 */
export const skbCgroupId: HelperFn = () => ROOT_CGROUP_ID;

/** bpf_get_cgroup_classid(skb): the task's net_cls classid; 0 outside a net_cls cgroup, as a test_run caller is. */
export const getCgroupClassid: HelperFn = () => 0n;
