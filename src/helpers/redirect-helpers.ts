import type { HelperFn, VmMap } from '../vm/env.js';
import { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, BPF_F_INGRESS, BPF_MAP_TYPE, TC_ACT, XDP_ACTION, mapTypeName } from '../uapi/bpf.js';
import { ERRNO } from '../uapi/errno.js';
import { errno, helperFault, mapArg, memAt, u32 } from './args.js';
import type { CloneRecord, RedirectTarget, SimKernel } from './kernel-state.js';
import { CpuMap } from '../maps/cpumap.js';
import { XskMap } from '../maps/xskmap.js';
import { formatIp, ipFromBytes } from './net-addr.js';

const AF_INET = 2;
const AF_INET6 = 10;

/**
 * The redirect helpers of net/core/filter.c. A redirect only records its target in the
 * {@link SimKernel} (as bpf_redirect_info does): the harness decides what the packet does next.
 */

/** bpf_redirect for XDP (bpf_xdp_redirect): any flag aborts; else XDP_REDIRECT to `ifindex`. */
export function xdpRedirect(kernel: SimKernel): HelperFn {
  return (_env, r1, r2) => {
    if (r2 !== 0n) return BigInt(XDP_ACTION.XDP_ABORTED);
    kernel.setRedirect({ ifindex: u32(r1), flags: 0 });
    return BigInt(XDP_ACTION.XDP_REDIRECT);
  };
}

/** bpf_redirect for TC: flags other than BPF_F_INGRESS give TC_ACT_SHOT; else TC_ACT_REDIRECT. */
export function tcRedirect(kernel: SimKernel): HelperFn {
  return (_env, r1, r2) => {
    if (r2 & ~BigInt(BPF_F_INGRESS)) return BigInt(TC_ACT.TC_ACT_SHOT);
    kernel.setRedirect({ ifindex: u32(r1), flags: Number(r2) });
    return BigInt(TC_ACT.TC_ACT_REDIRECT);
  };
}

const ACTION_MASK = 3n; // XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX

/** The flags besides the fallback action each map type's map_redirect passes to __bpf_xdp_redirect_map. */
const FLAG_MASKS = new Map<number, bigint>([
  [BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP, BigInt(BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)],
  [BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP_HASH, BigInt(BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)],
  [BPF_MAP_TYPE.BPF_MAP_TYPE_CPUMAP, 0n],
  [BPF_MAP_TYPE.BPF_MAP_TYPE_XSKMAP, 0n],
]);

/**
 * bpf_redirect_map (__bpf_xdp_redirect_map) on a devmap, devmap_hash, cpumap or xskmap: flags
 * beyond the fallback action and the type's own (BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS for
 * devmaps, none for the others) abort; an empty slot returns the fallback action in the low bits
 * of `flags` and forgets any earlier redirect of the run (the last call decides); else
 * XDP_REDIRECT, recording the slot (its ifindex for a devmap). A broadcast needs no slot: it goes
 * to every interface of the map, as {@link redirectOutcome} lists them.
 */
export function redirectMap(kernel: SimKernel): HelperFn {
  return (env, r1, r2, r3) => {
    const { map, index } = mapArg(env, r1, 'bpf_redirect_map');
    const type = map.spec.type;
    const mask = FLAG_MASKS.get(type);
    if (mask === undefined) {
      throw helperFault(env, 'bpf_redirect_map', 'helper/unsupported-map', `map '${map.spec.name}' is a ${mapTypeName(type)}: bpf_redirect_map takes a DEVMAP, DEVMAP_HASH, CPUMAP or XSKMAP`);
    }
    const flags = r3;
    if (flags & ~(ACTION_MASK | mask)) return BigInt(XDP_ACTION.XDP_ABORTED);
    const key = u32(r2);
    const broadcast = (flags & BigInt(BPF_F_BROADCAST)) !== 0n;
    const keyBytes = new Uint8Array(4);
    new DataView(keyBytes.buffer).setUint32(0, key, true);
    const addr = map.lookup(keyBytes, env.cpu);
    if (!addr && !broadcast) {
      kernel.setRedirect(null);
      return flags & ACTION_MASK;
    }
    const devmap = type === BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP || type === BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP_HASH;
    const ifindex = addr && devmap && !broadcast ? env.mem.view.getUint32(addr, true) : 0;
    kernel.setRedirect({ ifindex, flags: broadcast ? Number(flags) : 0, map: { index, key } });
    return BigInt(XDP_ACTION.XDP_REDIRECT);
  };
}

/** Where an XDP_REDIRECT through a map went, beyond an interface: a CPU (CPUMAP) or an AF_XDP socket (XSKMAP). */
export interface RedirectDestination {
  /** CPUMAP: the CPU the frame was queued to. */
  cpu?: number;
  /**
   * XSKMAP: the map, the slot and the queue its socket is bound to; `received` is false when the
   * frame arrived on another queue (xsk_rcv's -EINVAL: the kernel drops it).
   */
  xsk?: { map: string; key: number; queue: number; received: boolean };
}

/**
 * What a run's last bpf_redirect_map means once the program has returned, as xdp_do_redirect
 * acts on it: a CPU or a socket for CPUMAP and XSKMAP slots, and for BPF_F_BROADCAST one copy
 * of the packet per interface of the devmap, in slot order, leaving out the ingress interface
 * with BPF_F_EXCLUDE_INGRESS (dev_map_enqueue_multi). The maps are read as the run left them.
 */
export function redirectOutcome(
  target: RedirectTarget,
  maps: readonly VmMap[],
  packet: Uint8Array,
  rx: { ifindex: number; queue: number },
): { destination: RedirectDestination; copies: CloneRecord[] } {
  const where = target.map;
  const map = where === undefined ? undefined : maps[where.index];
  if (where === undefined || map === undefined) return { destination: {}, copies: [] };
  if (map instanceof CpuMap) return { destination: { cpu: where.key }, copies: [] };
  if (map instanceof XskMap) {
    const queue = map.queueOf(where.key) ?? 0;
    return { destination: { xsk: { map: map.spec.name, key: where.key, queue, received: queue === rx.queue } }, copies: [] };
  }
  if ((target.flags & BPF_F_BROADCAST) === 0) return { destination: {}, copies: [] };
  const exclude = (target.flags & BPF_F_EXCLUDE_INGRESS) !== 0;
  const copies: CloneRecord[] = [];
  for (let key = map.nextKey(null); key !== null; key = map.nextKey(key)) {
    const value = map.read(key)?.[0];
    if (value === undefined) continue;
    const ifindex = new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true);
    if (exclude && ifindex === rx.ifindex) continue;
    copies.push({ ifindex, flags: 0, packet: packet.slice() });
  }
  return { destination: {}, copies };
}

/**
 * bpf_clone_redirect (TC): flags other than BPF_F_INGRESS or an unknown device give -EINVAL;
 * else a copy of the packet as it is now goes to `ifindex` and the helper returns 0.
 */
export function cloneRedirect(kernel: SimKernel): HelperFn {
  return (env, _r1, r2, r3) => {
    if (r3 & ~BigInt(BPF_F_INGRESS)) return errno(ERRNO.EINVAL);
    const ifindex = u32(r2);
    if (!kernel.network.interface(ifindex)) return errno(ERRNO.EINVAL);
    const packet = env.mem.u8.slice(env.mem.pktData, env.mem.pktEnd);
    kernel.clones.push({ ifindex, flags: Number(r3), packet });
    return 0n;
  };
}

/** sizeof(struct bpf_redir_neigh): u32 nh_family, then a 16-byte address union. */
const REDIR_NEIGH_SIZE = 20;

/**
 * bpf_redirect_neigh(ifindex, params, plen, flags) (TC): any flag, or a `plen` that is neither 0
 * nor at least sizeof(struct bpf_redir_neigh), gives TC_ACT_SHOT; else TC_ACT_REDIRECT, recorded
 * as a redirect of kind `neigh` with the next hop when `params` gives one.
 */
export function redirectNeigh(kernel: SimKernel): HelperFn {
  return (env, r1, r2, r3, r4) => {
    const plen = u32(r3);
    if ((plen !== 0 && plen < REDIR_NEIGH_SIZE) || r4 !== 0n) return BigInt(TC_ACT.TC_ACT_SHOT);
    const target: RedirectTarget = { ifindex: u32(r1), flags: 0, kind: 'neigh' };
    if (plen !== 0) {
      const params = memAt(env, r2, REDIR_NEIGH_SIZE, false);
      const family = new DataView(params.buffer, params.byteOffset, 4).getUint32(0, true);
      target.nexthop = family === AF_INET6 ? formatIp(ipFromBytes(params.slice(4, 20))) : family === AF_INET ? formatIp(ipFromBytes(params.slice(4, 8))) : `family ${family}`;
    }
    kernel.setRedirect(target);
    return BigInt(TC_ACT.TC_ACT_REDIRECT);
  };
}

/** bpf_redirect_peer(ifindex, flags) (TC): any flag gives TC_ACT_SHOT; else TC_ACT_REDIRECT, recorded as a redirect of kind `peer`. */
export function redirectPeer(kernel: SimKernel): HelperFn {
  return (_env, r1, r2) => {
    if (r2 !== 0n) return BigInt(TC_ACT.TC_ACT_SHOT);
    kernel.setRedirect({ ifindex: u32(r1), flags: 0, kind: 'peer' });
    return BigInt(TC_ACT.TC_ACT_REDIRECT);
  };
}
