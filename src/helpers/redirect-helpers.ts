import type { HelperFn } from '../vm/env.js';
import { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, BPF_F_INGRESS, BPF_MAP_TYPE, TC_ACT, XDP_ACTION, mapTypeName } from '../uapi/bpf.js';
import { ERRNO } from '../uapi/errno.js';
import { errno, helperFault, mapArg, memAt, u32 } from './args.js';
import type { RedirectTarget, SimKernel } from './kernel-state.js';
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

/**
 * bpf_redirect_map on a devmap or devmap_hash (__bpf_xdp_redirect_map): flags beyond the
 * fallback action and BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS abort; a missing slot returns the
 * fallback action in the low bits of `flags`; else XDP_REDIRECT, recording the slot's ifindex.
 */
export function redirectMap(kernel: SimKernel): HelperFn {
  return (env, r1, r2, r3) => {
    const { map, index } = mapArg(env, r1, 'bpf_redirect_map');
    const type = map.spec.type;
    if (type !== BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP && type !== BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP_HASH) {
      throw helperFault(env, 'bpf_redirect_map', 'helper/unsupported-map', `map '${map.spec.name}' is a ${mapTypeName(type)}: bpfsim redirects through DEVMAP and DEVMAP_HASH only`);
    }
    const flags = r3;
    if (flags & ~(ACTION_MASK | BigInt(BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS))) return BigInt(XDP_ACTION.XDP_ABORTED);
    const key = u32(r2);
    const broadcast = (flags & BigInt(BPF_F_BROADCAST)) !== 0n;
    const keyBytes = new Uint8Array(4);
    new DataView(keyBytes.buffer).setUint32(0, key, true);
    const addr = map.spec.keySize === 4 ? map.lookup(keyBytes, env.cpu) : 0;
    if (!addr && !broadcast) return flags & ACTION_MASK;
    const ifindex = addr && !broadcast ? env.mem.view.getUint32(addr, true) : 0;
    kernel.setRedirect({ ifindex, flags: broadcast ? Number(flags) : 0, map: { index, key } });
    return BigInt(XDP_ACTION.XDP_REDIRECT);
  };
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
