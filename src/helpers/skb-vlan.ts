import type { HelperFn } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { ERRNO } from '../uapi/errno.js';
import { SK_BUFF } from '../uapi/context.js';
import { LAYOUT } from '../vm/layout.js';
import { errno } from './args.js';
import { ensureRoom, setSkbBounds, setSkbProtocol, skbProtocol, skbState } from './skb-state.js';

/**
 * bpf_skb_vlan_push and bpf_skb_vlan_pop (net/core/filter.c over skb_vlan_push/skb_vlan_pop of
 * net/core/skbuff.c). The skb carries one tag outside the packet, as a NIC's VLAN offload would
 * (skb->vlan_proto/vlan_tci, read through __sk_buff vlan_present/vlan_tci/vlan_proto); further
 * tags live in the frame. BPF_PROG_TEST_RUN copies out skb->data only, so the offloaded tag is
 * not in the output packet: a program sees it through the __sk_buff fields.
 */

const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const ETH_P_802_3 = 0x0001;
const ETH_P_802_2 = 0x0004;
const ETH_HLEN = 14;
const VLAN_HLEN = 4;
const VLAN_ETH_HLEN = 18;

const swap16 = (x: number): number => ((x & 0xff) << 8) | (x >> 8);
const isVlan = (proto: number): boolean => proto === ETH_P_8021Q || proto === ETH_P_8021AD;

/** The offloaded tag: vlan_proto (host order, 0 when none) and vlan_tci, from the __sk_buff. */
function hwTag(mem: VmMemory): { proto: number; tci: number } {
  const c = LAYOUT.CTX;
  const u8 = mem.u8;
  return { proto: (u8[c + SK_BUFF.vlan_proto.off]! << 8) | u8[c + SK_BUFF.vlan_proto.off + 1]!, tci: mem.view.getUint32(c + SK_BUFF.vlan_tci.off, true) };
}

/** __vlan_hwaccel_put_tag / __vlan_hwaccel_clear_tag (proto 0): skb_vlan_tag_present is vlan_all != 0. */
function putHwTag(mem: VmMemory, proto: number, tci: number): void {
  const c = LAYOUT.CTX;
  const v = mem.view;
  v.setUint32(c + SK_BUFF.vlan_present.off, proto !== 0 || tci !== 0 ? 1 : 0, true);
  v.setUint32(c + SK_BUFF.vlan_tci.off, tci, true);
  v.setUint32(c + SK_BUFF.vlan_proto.off, 0, true);
  mem.u8[c + SK_BUFF.vlan_proto.off] = proto >> 8;
  mem.u8[c + SK_BUFF.vlan_proto.off + 1] = proto & 0xff;
}

/** __vlan_insert_tag: a tag after the MAC addresses; the MAC header moves 4 bytes down with skb->data. */
function insertTag(mem: VmMemory, proto: number, tci: number): boolean {
  if (!ensureRoom(mem, VLAN_HLEN, 0)) return false;
  const state = skbState(mem);
  const data = mem.pktData - VLAN_HLEN;
  const u8 = mem.u8;
  u8.copyWithin(data, data + VLAN_HLEN, data + VLAN_HLEN + 12);
  u8[data + 12] = proto >> 8;
  u8[data + 13] = proto & 0xff;
  u8[data + 14] = tci >> 8;
  u8[data + 15] = tci & 0xff;
  state.mac -= VLAN_HLEN;
  setSkbBounds(mem, data, mem.pktEnd);
  return true;
}

/**
 * __skb_vlan_pop: takes the tag after the MAC addresses out of the frame and returns its TCI, or
 * an errno: -EINVAL when skb->data is not at the MAC header, -ENOMEM for a frame shorter than
 * VLAN_ETH_HLEN. skb->protocol becomes the encapsulated EtherType (vlan_set_encap_proto).
 */
function popTag(mem: VmMemory): number | bigint {
  const state = skbState(mem);
  const data = mem.pktData;
  if (data !== state.mac) return errno(ERRNO.EINVAL);
  const end = mem.pktEnd;
  if (end - data < VLAN_ETH_HLEN) return errno(ERRNO.ENOMEM);
  const u8 = mem.u8;
  const tci = (u8[data + 14]! << 8) | u8[data + 15]!;
  const inner = (u8[data + 16]! << 8) | u8[data + 17]!;
  let proto = inner;
  if (inner < 0x0600) proto = data + 19 < end && u8[data + 18] === 0xff && u8[data + 19] === 0xff ? ETH_P_802_3 : ETH_P_802_2;
  u8.copyWithin(data + VLAN_HLEN, data, data + 12);
  setSkbProtocol(mem, proto);
  const next = data + VLAN_HLEN;
  state.mac += VLAN_HLEN;
  if (state.network - next < ETH_HLEN) state.network = next + ETH_HLEN;
  setSkbBounds(mem, next, end);
  return tci;
}

/**
 * bpf_skb_vlan_push(skb, vlan_proto, vlan_tci): a vlan_proto other than 802.1Q or 802.1ad (as
 * __be16) is taken as 802.1Q. An offloaded tag already there moves into the frame first (the
 * skb's protocol becomes its proto, the network header stays where the frame's L3 header was
 * plus the tag); the new tag becomes the offloaded one.
 */
export const skbVlanPush: HelperFn = (env, _r1, r2, r3) => {
  const mem = env.mem;
  let proto = swap16(Number(r2 & 0xffffn));
  if (!isVlan(proto)) proto = ETH_P_8021Q;
  const tci = Number(r3 & 0xffffn);
  const current = hwTag(mem);
  if (current.proto !== 0 || current.tci !== 0) {
    const state = skbState(mem);
    if (mem.pktData !== state.mac) return errno(ERRNO.EINVAL);
    if (!insertTag(mem, current.proto, current.tci)) return errno(ERRNO.ENOMEM);
    setSkbProtocol(mem, current.proto);
    state.network -= VLAN_HLEN;
  }
  putHwTag(mem, proto, tci);
  return 0n;
};

/**
 * bpf_skb_vlan_pop(skb): clears the offloaded tag or, without one, pops the frame's outer tag
 * (0 and nothing done when skb->protocol is no VLAN); then a VLAN tag left at the front of the
 * frame becomes the offloaded one.
 */
export const skbVlanPop: HelperFn = (env) => {
  const mem = env.mem;
  const current = hwTag(mem);
  if (current.proto !== 0 || current.tci !== 0) {
    putHwTag(mem, 0, 0);
  } else {
    if (!isVlan(skbProtocol(mem))) return 0n;
    const popped = popTag(mem);
    if (typeof popped === 'bigint') return popped;
  }
  const proto = skbProtocol(mem);
  if (!isVlan(proto)) return 0n;
  const tci = popTag(mem);
  if (typeof tci === 'bigint') return tci;
  putHwTag(mem, proto, tci);
  return 0n;
};
