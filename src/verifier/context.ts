import { skbCtxRule, skFilterCtxRule } from '../helpers/context-skb.js';
import { xdpCtxRule } from '../helpers/context-xdp.js';
import { BPF_PROG_TYPE } from '../uapi/bpf.js';
import { SK_BUFF, XDP_MD } from '../uapi/context.js';
import type { RegType } from './reg.js';

/**
 * Context access per program type, as each type's `is_valid_access` (net/core/filter.c) answers
 * it: whether a load or store of `size` bytes at `off` is allowed, and what a load gives (a scalar,
 * or a packet pointer for `data`, `data_meta`, `data_end`, or `sock_common_or_null` for `sk`).
 */

export interface CtxAccess {
  type: RegType;
  maybeNull?: boolean;
}

const SCALAR: CtxAccess = { type: 'scalar' };

function xdpAccess(off: number): CtxAccess {
  if (off === XDP_MD.data.off) return { type: 'pkt' };
  if (off === XDP_MD.data_meta.off) return { type: 'pkt_meta' };
  if (off === XDP_MD.data_end.off) return { type: 'pkt_end' };
  return SCALAR;
}

function skbAccess(off: number, tc: boolean): CtxAccess {
  if (tc && off === SK_BUFF.data.off) return { type: 'pkt' };
  if (tc && off === SK_BUFF.data_meta.off) return { type: 'pkt_meta' };
  if (tc && off === SK_BUFF.data_end.off) return { type: 'pkt_end' };
  if (!tc && off === SK_BUFF.data.off) return { type: 'pkt' };
  if (!tc && off === SK_BUFF.data_end.off) return { type: 'pkt_end' };
  if (off === SK_BUFF.sk.off) return { type: 'sock_common', maybeNull: true };
  return SCALAR;
}

/** What the context access gives, or null when the program type refuses it. */
export function ctxAccess(progType: number, off: number, size: number, write: boolean): CtxAccess | null {
  switch (progType) {
    case BPF_PROG_TYPE.BPF_PROG_TYPE_XDP:
      return xdpCtxRule(off, size, write) ? xdpAccess(off) : null;
    case BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS:
    case BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT:
      return skbCtxRule(off, size, write) ? skbAccess(off, true) : null;
    case BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER:
      return skFilterCtxRule(off, size, write) ? skbAccess(off, false) : null;
    default:
      return null;
  }
}

/**
 * may_access_direct_pkt_data: whether a program of `progType` may read (or write) the packet
 * directly, or, given the prototype of the helper being called, pass it a packet pointer (the
 * helper's `pkt_access`).
 */
export function mayAccessPacket(progType: number, write: boolean, helper?: { pktAccess: boolean }): boolean {
  switch (progType) {
    case BPF_PROG_TYPE.BPF_PROG_TYPE_XDP:
    case BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS:
    case BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT:
      return helper ? helper.pktAccess : true;
    default:
      return false;
  }
}
