import type { HelperFn } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { skbProtocol, skbState } from './skb-state.js';

/**
 * bpf_skb_ecn_set_ce (net/core/filter.c) over INET_ECN_set_ce (include/net/inet_ecn.h): marks an
 * ECN-capable IPv4 or IPv6 packet Congestion Experienced at the skb's network header.
 */

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const ETH_HLEN = 14;
const VLAN_HLEN = 4;
/** VLAN_MAX_DEPTH (include/linux/if_vlan.h): __vlan_get_protocol gives up past this many tags. */
const VLAN_MAX_DEPTH = 8;
const IPV4_HLEN = 20;
const IPV6_HLEN = 40;
const INET_ECN_MASK = 3;
const INET_ECN_CE = 3;

const isVlan = (proto: number): boolean => proto === ETH_P_8021Q || proto === ETH_P_8021AD;

/**
 * skb_protocol(skb, true), that is vlan_get_protocol: skb->protocol, or for a VLAN EtherType the
 * one the tags in the frame encapsulate, read from ETH_HLEN on (the test_run skb's mac_len is 0);
 * 0 when a tag is cut off or there are too many.
 */
function protocolPastVlans(mem: VmMemory): number {
  let proto = skbProtocol(mem);
  if (!isVlan(proto)) return proto;
  let off = ETH_HLEN;
  let depth = VLAN_MAX_DEPTH;
  do {
    if (mem.pktData + off + VLAN_HLEN > mem.pktEnd || --depth === 0) return 0;
    proto = (mem.u8[mem.pktData + off + 2]! << 8) | mem.u8[mem.pktData + off + 3]!;
    off += VLAN_HLEN;
  } while (isVlan(proto));
  return proto;
}

/** IP_ECN_set_ce: 1 when ECT(0)/ECT(1) became CE (the header checksum patched) or it was CE already, else 0. */
function ipv4SetCe(mem: VmMemory, iph: number): bigint {
  const u8 = mem.u8;
  const ecn = (u8[iph + 1]! + 1) & INET_ECN_MASK;
  if ((ecn & 2) === 0) return ecn === 0 ? 1n : 0n;
  // The TOS byte rises by 1 or 2 (ECT(1)->CE, ECT(0)->CE): the checksum drops by as much, added
  // in ones' complement as 0xFFFD or 0xFFFE with the end-around carry of csum16_add.
  const sum = ((u8[iph + 10]! << 8) | u8[iph + 11]!) + 0xfffb + ecn;
  const check = (sum & 0xffff) + (sum >>> 16);
  u8[iph + 10] = check >> 8;
  u8[iph + 11] = check & 0xff;
  u8[iph + 1] = u8[iph + 1]! | INET_ECN_CE;
  return 1n;
}

/** IP6_ECN_set_ce: 0 for a Not-ECT packet; else the traffic class's ECN bits set to CE and 1. */
function ipv6SetCe(mem: VmMemory, ip6h: number): bigint {
  const u8 = mem.u8;
  const dsfield = (((u8[ip6h]! << 8) | u8[ip6h + 1]!) >> 4) & 0xff;
  if ((dsfield & INET_ECN_MASK) === 0) return 0n;
  u8[ip6h + 1] = u8[ip6h + 1]! | (INET_ECN_CE << 4);
  return 1n;
}

/** bpf_skb_ecn_set_ce(skb): 1 when the packet is (now) marked CE, 0 when it is not IP, too short or not ECN-capable. */
export const skbEcnSetCe: HelperFn = (env) => {
  const mem = env.mem;
  const proto = protocolPastVlans(mem);
  const hlen = proto === ETH_P_IP ? IPV4_HLEN : proto === ETH_P_IPV6 ? IPV6_HLEN : 0;
  // bpf_skb_ecn_set_ce checks skb_headlen against the header size; INET_ECN_set_ce then checks
  // that the header fits between the network header and the tail.
  if (hlen === 0 || mem.pktEnd - mem.pktData < hlen) return 0n;
  const network = skbState(mem).network;
  if (network + hlen > mem.pktEnd) return 0n;
  return proto === ETH_P_IP ? ipv4SetCe(mem, network) : ipv6SetCe(mem, network);
};
