import { BPF_PROG_TYPE } from '../uapi/bpf.js';
import { ERRNO } from '../uapi/errno.js';
import type { HelperFn } from '../vm/env.js';
import { errno, memAt, u32 } from './args.js';

/** BPF_HDR_START_MAC and BPF_HDR_START_NET (bpf.h), bpf_skb_load_bytes_relative's `start_header`. */
const BPF_HDR_START_MAC = 0;
const BPF_HDR_START_NET = 1;
const ETH_HLEN = 14;

/**
 * bpf_skb_load_bytes_relative(skb, offset, to, len, start_header) (net/core/filter.c): `len` bytes
 * from `offset` past the MAC or network header; -EFAULT with `to` zeroed for an offset past
 * 0xffff, an unknown header or a range past the tail. The network header is 14 bytes past the MAC
 * header (eth_type_trans); a socket filter's skb->data is the network header, TC's the MAC header.
 */
export const skbLoadBytesRelative: HelperFn = (env, _r1, r2, r3, r4, r5) => {
  const len = u32(r4);
  const to = memAt(env, r3, len, true);
  const off = u32(r2);
  const mem = env.mem;
  const mac = env.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER ? mem.pktData - ETH_HLEN : mem.pktData;
  const start = r5 === BigInt(BPF_HDR_START_MAC) ? mac : r5 === BigInt(BPF_HDR_START_NET) ? mac + ETH_HLEN : -1;
  if (off > 0xffff || start < 0 || start + off + len > mem.pktEnd) {
    to.fill(0);
    return errno(ERRNO.EFAULT);
  }
  to.set(mem.u8.slice(start + off, start + off + len));
  return 0n;
};

/**
 * bpf_get_socket_uid(skb): the uid owning skb->sk. BPF_PROG_TEST_RUN's skb belongs to a socket it
 * made with sock_init_data(NULL, sk), whose sk_uid is 0 (measured: 0 on this 6.18 kernel).
 */
export const getSocketUid: HelperFn = () => 0n;
