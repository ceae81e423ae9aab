import type { FastHelperFn, HelperFn, RunEnv } from '../vm/env.js';
import { SK_BUFF } from '../uapi/context.js';
import { LAYOUT, STACK_END } from '../vm/layout.js';
import {
  BPF_FIB_LKUP_RET,
  BPF_FIB_LOOKUP_DIRECT,
  BPF_FIB_LOOKUP_OUTPUT,
  BPF_FIB_LOOKUP_SKIP_NEIGH,
  BPF_FIB_LOOKUP_SRC,
  BPF_FIB_LOOKUP_TBID,
} from '../uapi/bpf.js';
import { ERRNO } from '../uapi/errno.js';
import { addrOf, errno, s32, u32 } from './args.js';
import type { SimKernel } from './kernel-state.js';
import { type IpAddr, ipBytes, ipFromBytes } from './net-addr.js';
import { RT_TABLE_LOCAL, RT_TABLE_MAIN, type SimRoute, ipv6NeedsStrict } from './sim-network.js';

/** BPF_FIB_LOOKUP_MARK (bpf.h, 6.10): use params->mark for policy routing. */
export const BPF_FIB_LOOKUP_MARK = 1 << 5;
const FLAGS_MASK = BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_OUTPUT | BPF_FIB_LOOKUP_SKIP_NEIGH | BPF_FIB_LOOKUP_TBID | BPF_FIB_LOOKUP_SRC | BPF_FIB_LOOKUP_MARK;

/** sizeof(struct bpf_fib_lookup) and its field offsets (include/uapi/linux/bpf.h). */
export const FIB_LOOKUP = {
  SIZE: 64,
  family: 0,
  l4_protocol: 1,
  sport: 2,
  dport: 4,
  /** u16 tot_len in, mtu_result out. */
  tot_len: 6,
  ifindex: 8,
  /** tos (IPv4) / flowinfo (IPv6) in, rt_metric out. */
  rt_metric: 12,
  src: 16,
  dst: 32,
  /** h_vlan_proto, h_vlan_TCI out; tbid in. */
  tbid: 48,
  /** mark in; smac out. */
  smac: 52,
  dmac: 58,
} as const;

/** AF_INET and AF_INET6 (linux/socket.h), the struct's `family`. */
export const AF_INET = 2;
export const AF_INET6 = 10;
const R = BPF_FIB_LKUP_RET;

/** What the skb variant needs to know about the packet for its own MTU check (is_skb_forwardable). */
interface SkbInfo {
  len: number;
  gso: boolean;
}

/**
 * bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup (net/core/filter.c) over the kernel's simulated
 * network. `p` is the 64-byte struct, read and written in place. Returns the BPF_FIB_LKUP_RET_*
 * code, or a negative errno.
 */
export function fibLookup(kernel: SimKernel, p: Uint8Array, flags: number, checkMtu: boolean): number {
  return fibLookupAt(kernel, p, new DataView(p.buffer, p.byteOffset, p.byteLength), 0, flags, checkMtu);
}

/**
 * {@link fibLookup} on the struct at offset `o` of `u8` (and of `v`, a view of the same bytes):
 * the helpers pass the VM memory itself, so a lookup makes no view and no copy. IPv4 addresses
 * are handled as numbers (SimNetwork.lookup4/neighbor4), never as strings or bigints.
 */
function fibLookupAt(kernel: SimKernel, u8: Uint8Array, v: DataView, o: number, flags: number, checkMtu: boolean): number {
  const family = u8[o + FIB_LOOKUP.family];
  const v6 = family === AF_INET6;
  const net = kernel.network;
  let dst: IpAddr | undefined;
  let dst4 = 0;
  if (v6) {
    dst = ipFromBytes(u8.slice(o + FIB_LOOKUP.dst, o + FIB_LOOKUP.dst + 16));
    const src = ipFromBytes(u8.slice(o + FIB_LOOKUP.src, o + FIB_LOOKUP.src + 16));
    // Link-local, multicast and loopback IPv6 addresses are never forwarded: checked before anything else.
    if (ipv6NeedsStrict(dst.value) || ipv6NeedsStrict(src.value)) return R.BPF_FIB_LKUP_RET_NOT_FWDED;
  } else {
    dst4 = v.getUint32(o + FIB_LOOKUP.dst, false);
  }
  const ifindex = v.getUint32(o + FIB_LOOKUP.ifindex, true);
  if (!net.interface(ifindex)) return -ERRNO.ENODEV;
  if (!net.forwarding) return R.BPF_FIB_LKUP_RET_FWD_DISABLED;

  let tables = TABLES_BOTH;
  if (flags & BPF_FIB_LOOKUP_DIRECT) {
    let tbid = RT_TABLE_MAIN;
    if (flags & BPF_FIB_LOOKUP_TBID) {
      tbid = v.getUint32(o + FIB_LOOKUP.tbid, true);
      if (!v6) v.setUint32(o + FIB_LOOKUP.tbid, 0, true);
    }
    if (tbid !== RT_TABLE_MAIN && tbid !== RT_TABLE_LOCAL) return R.BPF_FIB_LKUP_RET_NOT_FWDED;
    // IPv4's local and main tables are one merged trie; IPv6 looks in the one table only.
    tables = v6 ? [tbid] : TABLES_BOTH;
  }
  const oif = flags & BPF_FIB_LOOKUP_OUTPUT ? ifindex : 0;
  // IPv4: both tables (1 | 2), as the merged trie.
  const route = v6 ? net.lookup(dst!, tables, oif) : net.lookup4(dst4, 3, oif);
  const blocked = route && routeError(route);
  if (blocked !== undefined) return blocked;
  if (!route || route.type !== 'unicast') return R.BPF_FIB_LKUP_RET_NOT_FWDED;
  const dev = net.interface(route.dev)!;

  let mtu = 0;
  if (checkMtu) {
    mtu = v6 ? Math.max(1280, dev.mtu) : Math.min(dev.mtu, 0xffff);
    if (v.getUint16(o + FIB_LOOKUP.tot_len, true) > mtu) {
      v.setUint16(o + FIB_LOOKUP.tot_len, mtu, true);
      return R.BPF_FIB_LKUP_RET_FRAG_NEEDED;
    }
  }
  v.setUint32(o + FIB_LOOKUP.rt_metric, route.metric, true);
  v.setUint32(o + FIB_LOOKUP.ifindex, dev.ifindex, true);

  if (flags & BPF_FIB_LOOKUP_SRC) {
    if (v6) {
      const chosen = net.selectIpv6Source(dev.ifindex, dst!);
      if (chosen === undefined) return R.BPF_FIB_LKUP_RET_NO_SRC_ADDR;
      u8.set(ipBytes({ family: 6, value: chosen }), o + FIB_LOOKUP.src);
    } else {
      const chosen = route.prefsrc?.family === 4 ? route.prefsrc.value : net.selectIpv4Source(dev.ifindex, route.gateway, route.scope);
      u8.set(ipBytes({ family: 4, value: chosen }), o + FIB_LOOKUP.src);
    }
  }
  // The next hop: the destination itself, or the route's gateway (an IPv4 one as a number).
  let nexthop: IpAddr | undefined = dst;
  let nexthop4 = dst4;
  const gw = route.gateway;
  if (gw) {
    if (!v6 && gw.family === 6) u8[o + FIB_LOOKUP.family] = AF_INET6;
    if (gw.family === 4) {
      nexthop4 = Number(gw.value);
      v.setUint32(o + FIB_LOOKUP.dst, nexthop4, false);
      nexthop = v6 ? gw : undefined;
    } else {
      u8.set(ipBytes(gw), o + FIB_LOOKUP.dst);
      nexthop = gw;
    }
  }
  if (!(flags & BPF_FIB_LOOKUP_SKIP_NEIGH)) {
    const neigh = nexthop ? net.neighbor(dev.ifindex, nexthop) : net.neighbor4(dev.ifindex, nexthop4);
    if (!neigh) return R.BPF_FIB_LKUP_RET_NO_NEIGH;
    // Six bytes each: a loop is cheaper than TypedArray.set.
    const dmac = neigh.mac;
    const smac = dev.mac;
    for (let i = 0; i < 6; i++) {
      u8[o + FIB_LOOKUP.dmac + i] = dmac[i]!;
      u8[o + FIB_LOOKUP.smac + i] = smac[i]!;
    }
  }
  // bpf_fib_set_fwd_params: no VLAN, and the MTU when one was computed.
  v.setUint32(o + FIB_LOOKUP.tbid, 0, true);
  if (mtu) v.setUint16(o + FIB_LOOKUP.tot_len, mtu, true);
  return R.BPF_FIB_LKUP_RET_SUCCESS;
}

const TABLES_BOTH: number[] = [RT_TABLE_LOCAL, RT_TABLE_MAIN];

/** The BPF_FIB_LKUP_RET_* code an error route (blackhole, unreachable, prohibit) answers, undefined for any other. */
export function routeError(route: SimRoute): number | undefined {
  switch (route.type) {
    case 'blackhole':
      return R.BPF_FIB_LKUP_RET_BLACKHOLE;
    case 'unreachable':
      return R.BPF_FIB_LKUP_RET_UNREACHABLE;
    case 'prohibit':
      return R.BPF_FIB_LKUP_RET_PROHIBIT;
    default:
      return undefined;
  }
}

/**
 * The helper on numbers: the struct's address, its length as the `int plen` parameter, the u32
 * flags. Returns the BPF_FIB_LKUP_RET_* code or a negative errno (r0 as a signed number).
 */
function callAt(kernel: SimKernel, env: RunEnv, addr: number, plen: number, flags: number, skb?: SkbInfo): number {
  if (plen < FIB_LOOKUP.SIZE) return -ERRNO.EINVAL;
  // memAt's check, on the VM memory itself (the struct is nearly always on the live stack, which it accepts).
  const mem = env.mem;
  if (addr < mem.stackLow || addr + plen > STACK_END) mem.check(addr, plen, true, env.pc);
  if (flags & ~FLAGS_MASK) return -ERRNO.EINVAL;
  const u8 = mem.u8;
  const view = mem.view;
  const family = u8[addr + FIB_LOOKUP.family];
  if (family !== AF_INET && family !== AF_INET6) return -ERRNO.EAFNOSUPPORT;
  const checkMtu = !skb || view.getUint16(addr + FIB_LOOKUP.tot_len, true) !== 0;
  let rc = fibLookupAt(kernel, u8, view, addr, flags, checkMtu);
  if (skb && rc === R.BPF_FIB_LKUP_RET_SUCCESS && !checkMtu) {
    // The skb variant checks the packet itself against the egress device (is_skb_forwardable).
    const dev = kernel.network.interface(view.getUint32(addr + FIB_LOOKUP.ifindex, true))!;
    if (!skb.gso && skb.len > dev.mtu + 14 + 4) rc = R.BPF_FIB_LKUP_RET_FRAG_NEEDED;
    view.setUint16(addr + FIB_LOOKUP.tot_len, dev.mtu & 0xffff, true);
  }
  return rc;
}

function call(kernel: SimKernel, env: RunEnv, r2: bigint, r3: bigint, r4: bigint, skb?: SkbInfo): bigint {
  const rc = callAt(kernel, env, addrOf(r2), s32(r3), u32(r4), skb);
  return rc < 0 ? errno(-rc) : BigInt(rc);
}

function skbInfo(env: RunEnv): SkbInfo {
  const gsoSize = env.mem.view.getUint32(LAYOUT.CTX + SK_BUFF.gso_size.off, true);
  return { len: env.mem.pktEnd - env.mem.pktData, gso: gsoSize !== 0 };
}

/** bpf_fib_lookup for XDP (bpf_xdp_fib_lookup): always checks tot_len against the route's MTU. */
export function xdpFibLookup(kernel: SimKernel): HelperFn {
  return (env, _r1, r2, r3, r4) => call(kernel, env, r2, r3, r4);
}

/** bpf_fib_lookup for TC (bpf_skb_fib_lookup): checks tot_len when given, else the skb's length. */
export function skbFibLookup(kernel: SimKernel): HelperFn {
  return (env, _r1, r2, r3, r4) => call(kernel, env, r2, r3, r4, skbInfo(env));
}

/** {@link xdpFibLookup} for HelperDef.fast (32-bit arguments, no BigInt). */
export function xdpFibLookupFast(kernel: SimKernel): FastHelperFn {
  return (env, _r1, r2, r3, r4) => callAt(kernel, env, r2, r3 | 0, r4);
}

/** {@link skbFibLookup} for HelperDef.fast (32-bit arguments, no BigInt). */
export function skbFibLookupFast(kernel: SimKernel): FastHelperFn {
  return (env, _r1, r2, r3, r4) => callAt(kernel, env, r2, r3 | 0, r4, skbInfo(env));
}
