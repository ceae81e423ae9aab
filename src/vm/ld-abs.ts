import { VmFault } from '../internal/errors.js';
import { BPF_PROG_TYPE } from '../uapi/bpf.js';
import type { RunEnv, SkbHeaders } from './env.js';
import { LAYOUT } from './layout.js';

/** Bytes of an Ethernet header (ETH_HLEN, include/uapi/linux/if_ether.h). */
const ETH_HLEN = 14;
/** Offsets at or below these are relative to the network and link-layer headers (include/uapi/linux/filter.h). */
export const SKF_NET_OFF = -0x100000;
export const SKF_LL_OFF = -0x200000;

/**
 * The socket buffer BPF_PROG_TEST_RUN builds (net/bpf/test_run.c, bpf_prog_test_run_skb), all of
 * it linear: eth_type_trans sets the MAC header at the frame's start and pulls it, the network
 * header follows; for TC the Ethernet header is pushed back, so skb->data is the MAC header, for a
 * socket filter skb->data stays at the network header.
 */
export function testRunSkbHeaders(env: RunEnv): SkbHeaders {
  const mem = env.mem;
  const data = mem.pktData;
  const tail = mem.pktEnd;
  const l2 = env.progType !== BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER;
  const mac = l2 ? data : data - ETH_HLEN;
  return { data, headlen: tail - data, head: LAYOUT.PACKET, tail, mac, network: mac + ETH_HLEN };
}

/**
 * BPF_LD_ABS / BPF_LD_IND as the kernel runs them once the verifier has rewritten them
 * (net/core/filter.c: bpf_gen_ld_abs, bpf_skb_load_helper_{8,16,32}, and
 * bpf_internal_load_pointer_neg_helper): `size` bytes at `offset` (a signed 32-bit number) from
 * skb->data, or below SKF_NET_OFF / SKF_LL_OFF from the network or MAC header, read big-endian.
 * Returns the value (unsigned), or -1 where the kernel's helper returns -EFAULT and the rewritten
 * program returns 0. The packet comes from `env.skbHeaders` (a socket filter's skb differs from
 * TC's), by default {@link testRunSkbHeaders}. `r6` must hold the context, as the verifier demands.
 */
export function skbLoad(env: RunEnv, r6: number, offset: number, size: 1 | 2 | 4): number {
  const type = env.progType;
  if (type !== BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER && type !== BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS && type !== BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT) {
    throw new VmFault('vm/ld-abs-not-allowed', `insn ${env.pc}: BPF_LD_[ABS|IND] instructions not allowed for this program type`, env.pc);
  }
  if (r6 !== LAYOUT.CTX) {
    throw new VmFault('vm/ld-abs-not-allowed', `insn ${env.pc}: at the time of BPF_LD_ABS|IND R6 != pointer to skb`, env.pc);
  }
  const skb = env.skbHeaders ? env.skbHeaders() : testRunSkbHeaders(env);
  let at: number;
  if (offset >= 0) {
    if (skb.headlen - offset < size) return -1;
    at = skb.data + offset;
  } else {
    if (offset >= SKF_NET_OFF) at = skb.network + offset - SKF_NET_OFF;
    else if (offset >= SKF_LL_OFF && skb.mac !== undefined) at = skb.mac + offset - SKF_LL_OFF;
    else return -1;
    if (at < skb.head || at + size > skb.tail) return -1;
  }
  const v = env.mem.view;
  return size === 1 ? v.getUint8(at) : size === 2 ? v.getUint16(at, false) : v.getUint32(at, false);
}
