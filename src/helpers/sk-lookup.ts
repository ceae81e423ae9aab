import type { HelperFn } from '../vm/env.js';
import { addrOf, helperFault, memAt, u32 } from './args.js';
import type { SimKernel } from './kernel-state.js';
import { IPPROTO_TCP, IPPROTO_UDP, TUPLE_IPV4_LEN, TUPLE_IPV6_LEN } from './sim-sockets.js';

/** S32_MAX: a netns id above it (as a u64) is refused (__bpf_skc_lookup). */
const S32_MAX = 0x7fff_ffffn;

/**
 * bpf_sk_lookup_tcp, bpf_sk_lookup_udp and bpf_skc_lookup_tcp for XDP and TC (net/core/filter.c
 * __bpf_skc_lookup): `tuple` of `len` bytes (sizeof ipv4 or ipv6 of struct bpf_sock_tuple, else
 * NULL), in the caller's namespace when `netns_id` is negative as an s32 (BPF_F_CURRENT_NETNS),
 * NULL for any other id (the simulated namespace knows no peer namespace, as a fresh one has no
 * ids) and for non-zero `flags`. Every socket the case declares is a full socket, so the TC
 * bpf_sk_lookup's sk_to_full_sk step changes nothing.
 */
function skLookup(kernel: SimKernel, proto: number): HelperFn {
  return (env, _ctx, tupleReg, lenReg, netnsId, flags) => {
    const len = u32(lenReg);
    if (len !== TUPLE_IPV4_LEN && len !== TUPLE_IPV6_LEN) return 0n;
    const tuple = memAt(env, tupleReg, len, false);
    const netns = BigInt.asUintN(64, netnsId);
    if (flags !== 0n || !(BigInt.asIntN(32, netns) < 0n || netns <= S32_MAX)) return 0n;
    if (BigInt.asIntN(32, netns) >= 0n) return 0n;
    const index = kernel.sockets.lookup(tuple, proto);
    if (index < 0) return 0n;
    return BigInt(kernel.sockets.structAddr(env.mem, index));
  };
}

export const skLookupTcp = (k: SimKernel): HelperFn => skLookup(k, IPPROTO_TCP);
export const skLookupUdp = (k: SimKernel): HelperFn => skLookup(k, IPPROTO_UDP);
export const skcLookupTcp = (k: SimKernel): HelperFn => skLookup(k, IPPROTO_TCP);

/**
 * bpf_sk_release(sk): drops the reference a lookup took (sock_gen_put) and returns 0. The verifier
 * makes sure `sk` is one; at run time anything but a socket a lookup returned faults.
 */
export function skRelease(kernel: SimKernel): HelperFn {
  return (env, sk) => {
    if (!kernel.sockets.isStruct(env.mem, addrOf(sk))) throw helperFault(env, 'bpf_sk_release', 'helper/bad-socket', `argument is not a socket a lookup returned (0x${BigInt.asUintN(64, sk).toString(16)})`);
    return 0n;
  };
}
