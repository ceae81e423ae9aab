import type { FastHelperFn, HelperFn, RunEnv } from '../vm/env.js';
import { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, BPF_F_INGRESS, BPF_MAP_TYPE, TC_ACT, XDP_ACTION } from '../uapi/bpf.js';
import { STACK_END, mapIndexOf } from '../vm/layout.js';
import { bpfCsumDiffAt } from './csum.js';
import type { SimKernel } from './kernel-state.js';

/**
 * BigInt-free forms (HelperDef.fast) of hot helpers whose reference forms live in
 * skb-helpers.ts and redirect-helpers.ts: the WebAssembly engine calls these when every argument
 * register is below 2^32, so each argument is the register's u32 value. Each gives exactly the
 * reference form's result and side effects; where a reference form would fault, the fast form
 * calls it so that the fault is the reference form's own.
 */

/** VmMemory.check of `len` bytes at `addr` as memAt does it (nothing for a zero length), skipping the live stack, which the check would accept. */
export function checkMem(env: RunEnv, addr: number, len: number, write: boolean): void {
  if (len === 0) return;
  const mem = env.mem;
  if (addr >= mem.stackLow && addr + len <= STACK_END) return;
  mem.check(addr, len, write, env.pc);
}

/** bpf_csum_diff(from, from_size, to, to_size, seed), summed in place in the VM memory. */
export const csumDiffFast: FastHelperFn = (env, r1, r2, r3, r4, r5) => {
  checkMem(env, r1, r2, false);
  checkMem(env, r3, r4, false);
  const u8 = env.mem.u8;
  return bpfCsumDiffAt(u8, r1, r2, u8, r3, r4, r5);
};

/** bpf_redirect for XDP (redirect-helpers.ts xdpRedirect). */
export function xdpRedirectFast(kernel: SimKernel): FastHelperFn {
  return (_env, r1, r2) => {
    if (r2 !== 0) return XDP_ACTION.XDP_ABORTED;
    kernel.setRedirect({ ifindex: r1, flags: 0 });
    return XDP_ACTION.XDP_REDIRECT;
  };
}

/** bpf_redirect for TC (redirect-helpers.ts tcRedirect). */
export function tcRedirectFast(kernel: SimKernel): FastHelperFn {
  return (_env, r1, r2) => {
    if ((r2 & ~BPF_F_INGRESS) !== 0) return TC_ACT.TC_ACT_SHOT;
    kernel.setRedirect({ ifindex: r1, flags: r2 });
    return TC_ACT.TC_ACT_REDIRECT;
  };
}

const ACTION_MASK = 3;
const KEY = new Uint8Array(4);

/** bpf_redirect_map (redirect-helpers.ts redirectMap); `slow` is that form, bound to the same kernel, for the faults. */
export function redirectMapFast(kernel: SimKernel, slow: HelperFn): FastHelperFn {
  return (env, r1, r2, r3) => {
    const index = mapIndexOf(r1);
    const map = index >= 0 ? env.maps[index] : undefined;
    const type = map?.spec.type;
    if (map === undefined || (type !== BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP && type !== BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP_HASH)) {
      return Number(BigInt.asIntN(64, slow(env, BigInt(r1), BigInt(r2), BigInt(r3), 0n, 0n)));
    }
    if ((r3 & ~(ACTION_MASK | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)) !== 0) return XDP_ACTION.XDP_ABORTED;
    const broadcast = (r3 & BPF_F_BROADCAST) !== 0;
    // The key as the map reads it: lookups never keep the bytes they are given.
    KEY[0] = r2;
    KEY[1] = r2 >>> 8;
    KEY[2] = r2 >>> 16;
    KEY[3] = r2 >>> 24;
    const addr = map.spec.keySize === 4 ? map.lookup(KEY, env.cpu) : 0;
    if (!addr && !broadcast) {
      kernel.setRedirect(null);
      return r3 & ACTION_MASK;
    }
    const ifindex = addr && !broadcast ? env.mem.view.getUint32(addr, true) : 0;
    kernel.setRedirect({ ifindex, flags: broadcast ? r3 : 0, map: { index, key: r2 } });
    return XDP_ACTION.XDP_REDIRECT;
  };
}
