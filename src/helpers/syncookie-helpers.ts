import { ERRNO } from '../uapi/errno.js';
import type { HelperFn } from '../vm/env.js';
import { addrOf, errno, helperFault, memAt, u32 } from './args.js';
import type { SimKernel } from './kernel-state.js';
import { IPPROTO_TCP, TCP_LISTEN, type SimSocket } from './sim-sockets.js';

/** sizeof(struct tcphdr), sizeof(struct iphdr), sizeof(struct ipv6hdr). */
const TCPHDR_LEN = 20;
const IPHDR_LEN = 20;
const IPV6HDR_LEN = 40;

/** TCP flag bits of byte 13 of the header. */
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

function socketArg(kernel: SimKernel, env: Parameters<HelperFn>[0], r: bigint, helper: string): SimSocket {
  const sk = kernel.sockets.at(env.mem, addrOf(r));
  if (!sk) throw helperFault(env, helper, 'helper/bad-socket', `argument is not a socket a lookup returned (0x${BigInt.asUintN(64, r).toString(16)})`);
  return sk;
}

const isListener = (sk: SimSocket): boolean => sk.proto === IPPROTO_TCP && sk.state === TCP_LISTEN;

/**
 * bpf_tcp_gen_syncookie(sk, iph, iph_len, th, th_len) (net/core/filter.c): -EINVAL for a TCP
 * header length that is short or not doff * 4, a socket that is no TCP listener, a segment that
 * is not a bare SYN, an IP header that is short or of the other family than the socket (an
 * IPv6-only socket for IPv4), -EPROTONOSUPPORT for an IP version other than 4 and 6, and
 * otherwise -ENOENT: with net.ipv4.tcp_syncookies at 1, the default of every namespace and the
 * only setting bpfsim simulates, a cookie is made only while the listener's SYN
 * queue is full (tcp_get_syncookie_mss), and a declared listener's queue is empty. Every
 * socket bpfsim declares over IPv6 is IPv6-only.
 */
export function tcpGenSyncookie(kernel: SimKernel): HelperFn {
  return (env, skReg, iphReg, iphLenReg, thReg, thLenReg) => {
    const sk = socketArg(kernel, env, skReg, 'bpf_tcp_gen_syncookie');
    const iphLen = u32(iphLenReg);
    const thLen = u32(thLenReg);
    const iph = memAt(env, iphReg, iphLen, false);
    const th = memAt(env, thReg, thLen, false);
    if (thLen < TCPHDR_LEN || thLen !== (th[12]! >> 4) * 4) return errno(ERRNO.EINVAL);
    if (!isListener(sk)) return errno(ERRNO.EINVAL);
    const flags = th[13]!;
    if (!(flags & SYN) || flags & (ACK | FIN | RST)) return errno(ERRNO.EINVAL);
    if (iphLen < IPHDR_LEN) return errno(ERRNO.EINVAL);
    const version = iph[0]! >> 4;
    if (version === 4) {
      if (sk.family === 6) return errno(ERRNO.EINVAL);
    } else if (version === 6) {
      if (iphLen < IPV6HDR_LEN || sk.family !== 6) return errno(ERRNO.EINVAL);
    } else {
      return errno(ERRNO.EPROTONOSUPPORT);
    }
    return errno(ERRNO.ENOENT);
  };
}

/**
 * bpf_tcp_check_syncookie(sk, iph, iph_len, th, th_len) (net/core/filter.c): -EINVAL for a short
 * TCP header or a socket that is no TCP listener, -ENOENT for a segment that is not an ACK (or
 * has RST or SYN), -EINVAL for a short IP header, and otherwise -ENOENT: a listener whose SYN
 * queue never overflowed sent no cookie to check (tcp_synq_no_recent_overflow), which is the
 * state of every declared listener.
 */
export function tcpCheckSyncookie(kernel: SimKernel): HelperFn {
  return (env, skReg, iphReg, iphLenReg, thReg, thLenReg) => {
    const sk = socketArg(kernel, env, skReg, 'bpf_tcp_check_syncookie');
    const iphLen = u32(iphLenReg);
    const thLen = u32(thLenReg);
    memAt(env, iphReg, iphLen, false);
    const th = memAt(env, thReg, thLen, false);
    if (thLen < TCPHDR_LEN) return errno(ERRNO.EINVAL);
    if (!isListener(sk)) return errno(ERRNO.EINVAL);
    const flags = th[13]!;
    if (!(flags & ACK) || flags & (RST | SYN)) return errno(ERRNO.ENOENT);
    if (iphLen < IPHDR_LEN) return errno(ERRNO.EINVAL);
    return errno(ERRNO.ENOENT);
  };
}
