import type { HelperFn, RunEnv } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { ERRNO } from '../uapi/errno.js';
import { SK_BUFF } from '../uapi/context.js';
import { LAYOUT } from '../vm/layout.js';
import { errno, s32, u32 } from './args.js';
import { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, clearSkbHash, ensureRoom, popAt, pushAt, setSkbBounds, setSkbProtocol, skbProtocol, skbState } from './skb-state.js';

/**
 * The skb helpers that grow, shrink or re-type the packet (net/core/filter.c): bpf_skb_change_head,
 * bpf_skb_change_tail, bpf_skb_change_proto, bpf_skb_change_type and bpf_skb_adjust_room, on the
 * BPF_PROG_TEST_RUN skb (linear, uncloned, gso_type 0: a ctx_in gso_size makes it GSO).
 */

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const IPV4_LEN = 20;
const IPV6_LEN = 40;
/** BPF_SKB_MAX_LEN = SKB_MAX_ALLOC: (PAGE_SIZE << 2) - SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64. */
export const BPF_SKB_MAX_LEN = 16384 - 320;
const INT_MAX = 0x7fff_ffff;

/** bpf.h's bpf_skb_adjust_room modes and flags. */
export const BPF_ADJ_ROOM_NET = 0;
export const BPF_ADJ_ROOM_MAC = 1;
export const BPF_F_ADJ_ROOM_FIXED_GSO = 1n << 0n;
export const BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 = 1n << 1n;
export const BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 = 1n << 2n;
export const BPF_F_ADJ_ROOM_ENCAP_L4_GRE = 1n << 3n;
export const BPF_F_ADJ_ROOM_ENCAP_L4_UDP = 1n << 4n;
export const BPF_F_ADJ_ROOM_NO_CSUM_RESET = 1n << 5n;
export const BPF_F_ADJ_ROOM_ENCAP_L2_ETH = 1n << 6n;
export const BPF_F_ADJ_ROOM_DECAP_L3_IPV4 = 1n << 7n;
export const BPF_F_ADJ_ROOM_DECAP_L3_IPV6 = 1n << 8n;
const ENCAP_L2_SHIFT = 56n;
const ENCAP_L3_MASK = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
const DECAP_L3_MASK = BPF_F_ADJ_ROOM_DECAP_L3_IPV4 | BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
const ADJ_ROOM_MASK =
  BPF_F_ADJ_ROOM_FIXED_GSO | ENCAP_L3_MASK | BPF_F_ADJ_ROOM_ENCAP_L4_GRE | BPF_F_ADJ_ROOM_ENCAP_L4_UDP | BPF_F_ADJ_ROOM_ENCAP_L2_ETH | (0xffn << ENCAP_L2_SHIFT) | DECAP_L3_MASK;

const len = (mem: VmMemory): number => mem.pktEnd - mem.pktData;
/** skb_is_gso: gso_size (ctx_in's gso_size) is not 0. */
const isGso = (mem: VmMemory): boolean => mem.view.getUint32(LAYOUT.CTX + SK_BUFF.gso_size.off, true) !== 0;
/** bpf_skb_net_base_len. */
function netBaseLen(mem: VmMemory): number {
  const proto = skbProtocol(mem);
  return proto === ETH_P_IP ? IPV4_LEN : proto === ETH_P_IPV6 ? IPV6_LEN : 0xffff_ffff;
}
/** skb_mac_header_len: network header - MAC header. */
const macLen = (mem: VmMemory): number => skbState(mem).network - skbState(mem).mac;

/** bpf_skb_change_head(skb, head_room, flags): `head_room` zero bytes in front, which become the MAC header. */
export const skbChangeHead: HelperFn = (env, _r1, r2, r3) => {
  const mem = env.mem;
  const room = u32(r2);
  const newLen = len(mem) + room;
  if (r3 !== 0n || room > INT_MAX || (!isGso(mem) && newLen > BPF_SKB_MAX_LEN)) return errno(ERRNO.EINVAL);
  if (!ensureRoom(mem, room, 0)) return errno(ERRNO.ENOMEM);
  const data = mem.pktData - room;
  mem.u8.fill(0, data, data + room);
  skbState(mem).mac = data;
  setSkbBounds(mem, data, mem.pktEnd);
  return 0n;
};

/** __bpf_skb_min_len: the network header's offset, or the transport header's once set. */
function minLen(mem: VmMemory): number {
  const state = skbState(mem);
  let min = Math.max(0, state.network - mem.pktData);
  if (state.transport >= 0 && state.transport - mem.pktData > 0) min = state.transport - mem.pktData;
  return min;
}

/**
 * bpf_skb_change_tail(skb, len, flags): grows the frame with zeros or trims it to `len` bytes;
 * -EINVAL for flags, a length above BPF_SKB_MAX_LEN or inside the headers, -ENOTSUPP once
 * encapsulated. A GSO skb stops being one (skb_gso_reset).
 */
export const skbChangeTail: HelperFn = (env, _r1, r2, r3) => {
  const mem = env.mem;
  const newLen = u32(r2);
  if (r3 !== 0n || newLen > BPF_SKB_MAX_LEN || newLen < minLen(mem)) return errno(ERRNO.EINVAL);
  if (skbState(mem).encapsulation) return errno(ERRNO.ENOTSUPP);
  const cur = len(mem);
  if (newLen > cur && !ensureRoom(mem, 0, newLen - cur)) return errno(ERRNO.ENOMEM);
  const data = mem.pktData;
  if (newLen > cur) mem.u8.fill(0, data + cur, data + newLen);
  setSkbBounds(mem, data, data + newLen);
  if (isGso(mem)) {
    mem.view.setUint32(LAYOUT.CTX + SK_BUFF.gso_size.off, 0, true);
    mem.view.setUint32(LAYOUT.CTX + SK_BUFF.gso_segs.off, 0, true);
  }
  return 0n;
};

/** bpf_skb_proto_4_to_6 / 6_to_4: 20 bytes inserted or removed after the MAC header, skb->protocol switched, hash cleared. */
function protoXlat(mem: VmMemory, to: number): bigint {
  const from = skbProtocol(mem);
  const diff = IPV6_LEN - IPV4_LEN;
  const off = macLen(mem);
  if (from === ETH_P_IP && to === ETH_P_IPV6) {
    if (!ensureRoom(mem, diff, 0)) return errno(ERRNO.ENOMEM);
    pushAt(mem, off, diff);
  } else if (from === ETH_P_IPV6 && to === ETH_P_IP) {
    if (len(mem) < off + diff) return errno(ERRNO.ENOMEM);
    popAt(mem, off, diff);
  } else {
    return errno(ERRNO.ENOTSUPP);
  }
  setSkbProtocol(mem, to);
  clearSkbHash(mem);
  return 0n;
}

/** bpf_skb_change_proto(skb, proto, flags): IPv4 to IPv6 (`proto` as __be16) or back; the program rewrites the header itself. */
export const skbChangeProto: HelperFn = (env, _r1, r2, r3) => {
  if (r3 !== 0n) return errno(ERRNO.EINVAL);
  const proto = Number(r2 & 0xffffn);
  return protoXlat(env.mem, ((proto & 0xff) << 8) | (proto >> 8));
};

/** bpf_skb_change_type(skb, type): pkt_type, both old and new at most PACKET_OTHERHOST (3), else -EINVAL. */
export const skbChangeType: HelperFn = (env, _r1, r2) => {
  const at = LAYOUT.CTX + SK_BUFF.pkt_type.off;
  const v = env.mem.view;
  const type = u32(r2);
  if (v.getUint32(at, true) > 3 || type > 3) return errno(ERRNO.EINVAL);
  v.setUint32(at, type, true);
  return 0n;
};

/** __skb_reset_checksum_unnecessary. */
export function resetChecksumUnnecessary(mem: VmMemory): void {
  const state = skbState(mem);
  if (state.ipSummed === CHECKSUM_UNNECESSARY) {
    state.ipSummed = CHECKSUM_NONE;
    state.csumLevel = 0;
  }
}

/** bpf_skb_net_grow: room at `off`, with the encapsulation bookkeeping the ENCAP flags ask for. */
function netGrow(env: RunEnv, off: number, diff: number, flags: bigint): bigint {
  const mem = env.mem;
  const state = skbState(mem);
  const innerMacLen = Number((flags >> ENCAP_L2_SHIFT) & 0xffn);
  const encap = (flags & ENCAP_L3_MASK) !== 0n;
  if (isGso(mem)) return errno(ERRNO.ENOTSUPP);
  if (!ensureRoom(mem, diff, 0)) return errno(ERRNO.ENOMEM);
  let netOff = 0;
  if (encap) {
    const proto = skbProtocol(mem);
    if (proto !== ETH_P_IP && proto !== ETH_P_IPV6) return errno(ERRNO.ENOTSUPP);
    if (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 && flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6) return errno(ERRNO.EINVAL);
    if (flags & BPF_F_ADJ_ROOM_ENCAP_L4_GRE && flags & BPF_F_ADJ_ROOM_ENCAP_L4_UDP) return errno(ERRNO.EINVAL);
    if (flags & BPF_F_ADJ_ROOM_ENCAP_L2_ETH && innerMacLen < 14) return errno(ERRNO.EINVAL);
    if (state.encapsulation) return errno(ERRNO.EALREADY);
    netOff = state.network - state.mac;
    if (innerMacLen > diff) return errno(ERRNO.EINVAL);
  }
  pushAt(mem, off, diff);
  if (encap) {
    state.encapsulation = true;
    state.network = mem.pktData + netOff;
    if (flags & (BPF_F_ADJ_ROOM_ENCAP_L4_GRE | BPF_F_ADJ_ROOM_ENCAP_L4_UDP)) {
      state.transport = state.network + (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 ? IPV6_LEN : IPV4_LEN);
    }
    const proto = skbProtocol(mem);
    if (proto === ETH_P_IP && flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6) setSkbProtocol(mem, ETH_P_IPV6);
    else if (proto === ETH_P_IPV6 && flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) setSkbProtocol(mem, ETH_P_IP);
  }
  return 0n;
}

/** bpf_skb_net_shrink: `diff` bytes at `off` removed; the DECAP flags switch skb->protocol. */
function netShrink(env: RunEnv, off: number, diff: number, flags: bigint): bigint {
  const mem = env.mem;
  if (flags & ~(BPF_F_ADJ_ROOM_FIXED_GSO | DECAP_L3_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET)) return errno(ERRNO.EINVAL);
  if (isGso(mem)) return errno(ERRNO.ENOTSUPP);
  if (len(mem) < off + diff) return errno(ERRNO.ENOMEM);
  popAt(mem, off, diff);
  const proto = skbProtocol(mem);
  if (proto === ETH_P_IP && flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV6) setSkbProtocol(mem, ETH_P_IPV6);
  else if (proto === ETH_P_IPV6 && flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV4) setSkbProtocol(mem, ETH_P_IP);
  return 0n;
}

/**
 * bpf_skb_adjust_room(skb, len_diff, mode, flags): room after the MAC header (BPF_ADJ_ROOM_MAC) or
 * after the L3 base header (BPF_ADJ_ROOM_NET) of an IPv4 or IPv6 skb; ENCAP flags mark the skb
 * encapsulated and place the new outer headers, DECAP flags set the protocol left after a shrink.
 * The checksum state is reset unless BPF_F_ADJ_ROOM_NO_CSUM_RESET.
 */
export const skbAdjustRoom: HelperFn = (env, _r1, r2, r3, r4) => {
  const mem = env.mem;
  const diff = s32(r2);
  const abs = Math.abs(diff) >>> 0;
  const shrink = diff < 0;
  const flags = r4;
  let lenMin = netBaseLen(mem);
  if (flags & ~(ADJ_ROOM_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET)) return errno(ERRNO.EINVAL);
  if (abs > 0xfff) return errno(ERRNO.EFAULT);
  const proto = skbProtocol(mem);
  if (proto !== ETH_P_IP && proto !== ETH_P_IPV6) return errno(ERRNO.ENOTSUPP);
  let off = macLen(mem);
  const mode = u32(r3);
  if (mode === BPF_ADJ_ROOM_NET) off += netBaseLen(mem);
  else if (mode !== BPF_ADJ_ROOM_MAC) return errno(ERRNO.ENOTSUPP);
  const decap = flags & DECAP_L3_MASK;
  if (decap) {
    if (!shrink) return errno(ERRNO.EINVAL);
    if (decap === BPF_F_ADJ_ROOM_DECAP_L3_IPV4) lenMin = IPV4_LEN;
    else if (decap === BPF_F_ADJ_ROOM_DECAP_L3_IPV6) lenMin = IPV6_LEN;
    else return errno(ERRNO.EINVAL);
  }
  const lenCur = len(mem) - (skbState(mem).network - mem.pktData);
  if ((shrink && (abs >= lenCur || lenCur - abs < lenMin)) || (!shrink && len(mem) + abs > BPF_SKB_MAX_LEN && !isGso(mem))) return errno(ERRNO.ENOTSUPP);
  const ret = shrink ? netShrink(env, off, abs, flags) : netGrow(env, off, abs, flags);
  if (ret === 0n && !(flags & BPF_F_ADJ_ROOM_NO_CSUM_RESET)) resetChecksumUnnecessary(mem);
  return ret;
};
