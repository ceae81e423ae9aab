import { ERRNO } from '../uapi/errno.js';
import type { HelperFn } from '../vm/env.js';
import { errno, memAt, u32 } from './args.js';
import type { SimKernel } from './kernel-state.js';
import { INITIAL_JIFFIES } from './misc-helpers.js';
import { JIFFY_NS } from './kernel-state.js';
import { siphash, type SipKey } from './siphash.js';

/**
 * The raw SYN cookie helpers of net/core/filter.c, which need no listening socket:
 * bpf_tcp_raw_gen_syncookie_ipv4/ipv6 and bpf_tcp_raw_check_syncookie_ipv4/ipv6, over the cookie
 * of net/ipv4/syncookies.c and net/ipv6/syncookies.c. The cookie is
 * `hash(tuple, 0, secret 0) + seq + (count << 24) + ((hash(tuple, count, secret 1) + mssind) & 0xffffff)`
 * with `count` the minutes since boot in jiffies (tcp_cookie_time) and `mssind` the index of the
 * MSS in the family's table. The kernel draws the two siphash secrets at random once per boot;
 * bpfsim's are fixed, so its cookies differ from the kernel's while the MSS encoding, the
 * round trip through check and the error codes are the same.
 */

const COOKIEBITS = 24;
const COOKIEMASK = (1 << COOKIEBITS) - 1;
/** MAX_SYNCOOKIE_AGE (include/net/tcp.h): a cookie is good for the minute it was made and the next. */
const MAX_SYNCOOKIE_AGE = 2;
/** TCP_SYNCOOKIE_PERIOD at HZ=250: 60 s of jiffies. */
const SYNCOOKIE_PERIOD_JIFFIES = 60n * 250n;
/** TCP_MSS_DEFAULT (include/net/tcp.h), gen's MSS for an IPv4 SYN without the option. */
const TCP_MSS_DEFAULT = 536;
/** IPV6_MIN_MTU - sizeof(struct tcphdr) - sizeof(struct ipv6hdr): gen's MSS for an IPv6 SYN without the option. */
const IPV6_MSS_CLAMP = 1280 - 20 - 40;
/** msstab of net/ipv4/syncookies.c and net/ipv6/syncookies.c: the MSS values a cookie can carry. */
export const MSS_TABLE_V4: readonly number[] = [536, 1300, 1440, 1460];
export const MSS_TABLE_V6: readonly number[] = [1280 - 60, 1480 - 60, 1500 - 60, 9000 - 60];

const TCPHDR_LEN = 20;
const TCPOPT_EOL = 0;
const TCPOPT_NOP = 1;
const TCPOPT_MSS = 2;
const TCPOLEN_MSS = 4;

/** bpfsim's fixed stand-ins for syncookie_secret[2] and syncookie6_secret[2]. */
const SECRETS_V4: readonly [SipKey, SipKey] = [
  [0x5eedc00c1e000001n, 0x243f6a8885a308d3n],
  [0x5eedc00c1e000002n, 0x13198a2e03707344n],
];
const SECRETS_V6: readonly [SipKey, SipKey] = [
  [0x5eedc00c1e000061n, 0xa4093822299f31d0n],
  [0x5eedc00c1e000062n, 0x082efa98ec4e6c89n],
];

/** The addresses and ports a cookie is bound to, as the headers hold them (network byte order). */
interface Tuple {
  v6: boolean;
  saddr: Uint8Array;
  daddr: Uint8Array;
  ports: Uint8Array;
}

/** tcp_cookie_time(): get_jiffies_64() / TCP_SYNCOOKIE_PERIOD, as a u32. */
function cookieTime(kernel: SimKernel): number {
  return Number(((INITIAL_JIFFIES + kernel.clockNs / JIFFY_NS) / SYNCOOKIE_PERIOD_JIFFIES) & 0xffff_ffffn);
}

/**
 * cookie_hash: IPv4 hashes saddr, daddr, sport << 16 | dport and count as four u32s
 * (siphash_4u32); IPv6 the struct { saddr, daddr, count, sport, dport } (siphash). The low 32 bits.
 */
function cookieHash(t: Tuple, count: number, c: 0 | 1): number {
  const msg = new Uint8Array(t.v6 ? 40 : 16);
  const view = new DataView(msg.buffer);
  msg.set(t.saddr, 0);
  msg.set(t.daddr, t.saddr.length);
  if (t.v6) {
    view.setUint32(32, count, true);
    msg.set(t.ports, 36);
  } else {
    // (u32)sport << 16 | dport of the two __be16 values as a little-endian host reads them.
    const sport = t.ports[0]! | (t.ports[1]! << 8);
    const dport = t.ports[2]! | (t.ports[3]! << 8);
    view.setUint32(8, ((sport << 16) | dport) >>> 0, true);
    view.setUint32(12, count, true);
  }
  return Number(siphash(msg, (t.v6 ? SECRETS_V6 : SECRETS_V4)[c]) & 0xffff_ffffn);
}

/** secure_tcp_syn_cookie / secure_tcp_syn_cookie for IPv6. */
function secureCookie(kernel: SimKernel, t: Tuple, seq: number, data: number): number {
  const count = cookieTime(kernel);
  return (cookieHash(t, 0, 0) + seq + ((count << COOKIEBITS) >>> 0) + ((cookieHash(t, count, 1) + data) & COOKIEMASK)) >>> 0;
}

/** check_tcp_syn_cookie: the data (MSS index) the cookie carries, or 0xffffffff when it is too old. */
function checkCookie(kernel: SimKernel, cookie: number, t: Tuple, seq: number): number {
  const count = cookieTime(kernel);
  const stripped = (cookie - cookieHash(t, 0, 0) - seq) >>> 0;
  const diff = (count - (stripped >>> COOKIEBITS)) & (0xffff_ffff >>> COOKIEBITS);
  if (diff >= MAX_SYNCOOKIE_AGE) return 0xffff_ffff;
  return (stripped - cookieHash(t, (count - diff) >>> 0, 1)) & COOKIEMASK;
}

/** tcp_parse_mss_option(th, 0) (net/ipv4/tcp_input.c): the MSS option's non-zero value, else 0. */
function parseMssOption(th: Uint8Array): number {
  let length = (th[12]! >> 4) * 4 - TCPHDR_LEN;
  let p = TCPHDR_LEN;
  let mss = 0;
  while (length > 0) {
    const opcode = th[p++]!;
    if (opcode === TCPOPT_EOL) return mss;
    if (opcode === TCPOPT_NOP) {
      length--;
      continue;
    }
    if (length < 2) return mss;
    const opsize = th[p++]!;
    if (opsize < 2 || opsize > length) return mss;
    if (opcode === TCPOPT_MSS && opsize === TCPOLEN_MSS) {
      const inMss = (th[p]! << 8) | th[p + 1]!;
      if (inMss) mss = inMss;
    }
    p += opsize - 2;
    length -= opsize;
  }
  return mss;
}

const seqOf = (th: Uint8Array): number => ((th[4]! << 24) | (th[5]! << 16) | (th[6]! << 8) | th[7]!) >>> 0;
const ackSeqOf = (th: Uint8Array): number => ((th[8]! << 24) | (th[9]! << 16) | (th[10]! << 8) | th[11]!) >>> 0;

function tupleOf(iph: Uint8Array, th: Uint8Array, v6: boolean): Tuple {
  return v6
    ? { v6, saddr: iph.slice(8, 24), daddr: iph.slice(24, 40), ports: th.slice(0, 4) }
    : { v6, saddr: iph.slice(12, 16), daddr: iph.slice(16, 20), ports: th.slice(0, 4) };
}

/**
 * bpf_tcp_raw_gen_syncookie_ipv4/ipv6(iph, th, th_len): -EINVAL when th_len is short or not
 * doff * 4; otherwise the cookie in the low 32 bits and, from bit 32, the MSS it encodes (the
 * SYN's MSS option, or 536 for IPv4 and 1220 for IPv6 without one, rounded down to the table).
 * Neither flags nor the IP version are looked at.
 */
export function tcpRawGenSyncookie(kernel: SimKernel, v6: boolean): HelperFn {
  return (env, iphReg, thReg, thLenReg) => {
    const iph = memAt(env, iphReg, v6 ? 40 : 20, false).slice();
    const thLen = u32(thLenReg);
    const th = memAt(env, thReg, thLen, false).slice();
    if (thLen < TCPHDR_LEN || thLen !== (th[12]! >> 4) * 4) return errno(ERRNO.EINVAL);
    const table = v6 ? MSS_TABLE_V6 : MSS_TABLE_V4;
    const mss = parseMssOption(th) || (v6 ? IPV6_MSS_CLAMP : TCP_MSS_DEFAULT);
    let mssind = table.length - 1;
    while (mssind > 0 && mss < table[mssind]!) mssind--;
    const cookie = secureCookie(kernel, tupleOf(iph, th, v6), seqOf(th), mssind);
    return BigInt(cookie) | (BigInt(table[mssind]!) << 32n);
  };
}

/**
 * bpf_tcp_raw_check_syncookie_ipv4/ipv6(iph, th): 0 when the ACK's ack_seq - 1 is a cookie made
 * for its tuple and seq - 1 in this minute or the last, -EACCES otherwise (__cookie_v4_check).
 */
export function tcpRawCheckSyncookie(kernel: SimKernel, v6: boolean): HelperFn {
  return (env, iphReg, thReg) => {
    const iph = memAt(env, iphReg, v6 ? 40 : 20, false).slice();
    const th = memAt(env, thReg, TCPHDR_LEN, false).slice();
    const mssind = checkCookie(kernel, (ackSeqOf(th) - 1) >>> 0, tupleOf(iph, th, v6), (seqOf(th) - 1) >>> 0);
    return mssind < 4 ? 0n : errno(ERRNO.EACCES);
  };
}
