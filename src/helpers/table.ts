import { hasFlag, type HelperProto } from './proto.js';
import { CHANGES_PKT_DATA, FUNC_PROTOS } from './func-protos.js';
import { PROTOS } from './protos.js';
import { BPF_FUNC_tail_call, MAX_HELPER_ID, helperId, helperName } from '../uapi/helper-names.js';
import { BPF_PROG_TYPE } from '../uapi/bpf.js';
import type { FastHelperFn, HelperFn, HelperShape, InlineForm } from '../vm/env.js';
import { mapLookupInline } from '../maps/inline-lookup.js';
import { csumDiffInline } from './inline/csum-diff.js';
import { fibLookupInline } from './inline/fib-lookup.js';
import { redirectInline } from './inline/redirect.js';
import { csumDiffFast, redirectMapFast, tcRedirectFast, xdpRedirectFast } from './fast-forms.js';
import { skbFibLookup, skbFibLookupFast, xdpFibLookup, xdpFibLookupFast } from './fib-lookup.js';
import type { SimKernel } from './kernel-state.js';
import { mapDeleteElem, mapDeleteElemFast, mapLookupElem, mapLookupElemFast, mapUpdateElem, mapUpdateElemFast } from './map-helpers.js';
import { cloneRedirect, redirectMap, redirectNeigh, redirectPeer, tcRedirect, xdpRedirect } from './redirect-helpers.js';
import { checkMtu, csumLevel, getCgroupClassid, getHashRecalc, skbCgroupId } from './skb-meta-helpers.js';
import { skbAdjustRoom, skbChangeHead, skbChangeProto, skbChangeTail, skbChangeType } from './skb-room.js';
import { skbVlanPop, skbVlanPush } from './skb-vlan.js';
import { skbEcnSetCe } from './skb-ecn.js';
import { skbGetTunnelKey, skbGetTunnelOpt, skbSetTunnelKey, skbSetTunnelOpt } from './tunnel-helpers.js';
import { csumDiff, csumUpdate, l3CsumReplace, l4CsumReplace, setHash, setHashInvalid, skbLoadBytes, skbPullData, skbStoreBytes } from './skb-helpers.js';
import { getSocketUid, skbLoadBytesRelative } from './socket-helpers.js';
import { skcLookupTcp, skLookupTcp, skLookupUdp, skRelease } from './sk-lookup.js';
import { tcpCheckSyncookie, tcpGenSyncookie } from './syncookie-helpers.js';
import { tcpRawCheckSyncookie, tcpRawGenSyncookie } from './syncookie-raw.js';
import { timeHelpers, timeHelpersFast } from './time-helpers.js';
import { mapPeekElem, mapPopElem, mapPushElem } from './queue-helpers.js';
import { dynptrData, dynptrFromMem, dynptrRead, dynptrWrite, ringbufDiscardDynptr, ringbufReserveDynptr, ringbufSubmitDynptr } from './dynptr.js';
import { perfEventOutput, ringbufDiscard, ringbufOutput, ringbufQuery, ringbufReserve, ringbufSubmit } from './event-helpers.js';
import { tracePrintk, traceVprintk } from './trace-printk.js';
import { forEachMapElem, loop } from './callback-helpers.js';
import { getNetnsCookie, getSocketCookie, jiffies64, mapLookupPercpuElem, spinLock, spinUnlock } from './misc-helpers.js';
import { xdpAdjustHead, xdpAdjustMeta, xdpAdjustTail, xdpGetBuffLen, xdpLoadBytes, xdpStoreBytes } from './xdp-helpers.js';

/**
 * The helper table: everything bpfsim knows about each kernel helper (every id of
 * `__BPF_FUNC_MAPPER` in include/uapi/linux/bpf.h), in one place. The verifier, the helper
 * registry handed to the VM and the README's helper list read only this.
 */

/** Makes a helper's reference implementation for one kernel; `xdp` tells the program's context. */
export type HelperFactory = (kernel: SimKernel, xdp: boolean) => HelperFn;
/** Makes its BigInt-free form (HelperDef.fast) from the kernel and the reference form it must agree with. */
export type FastHelperFactory = (kernel: SimKernel, xdp: boolean, fn: HelperFn) => FastHelperFn;

/** How bpfsim carries out a helper. */
export interface HelperImpl {
  /** The reference implementation. */
  fn: HelperFactory;
  /** The optional BigInt-free form the WebAssembly engine prefers (see FastHelperFn). */
  fast?: FastHelperFactory;
  /** The result cannot change during a run and the call has no side effect (the clock, the CPU): one reading serves every call. */
  constantDuringRun?: boolean;
  /**
   * The code the WebAssembly engine may generate in place of the call (src/helpers/inline, and
   * src/maps for map lookups); redirect and fib_lookup only while the kernel state lives in the
   * VM's memory (`needsBoundMemory`, SimKernel.bindMemory).
   */
  inline?: InlineForm;
  needsBoundMemory?: boolean;
  /**
   * The call acts on VM memory, maps and the kernel's random state alone: nothing a run resets or
   * reads per packet (the clock, trace lines, events, a redirect or clone target, socket cookies),
   * so runs of a program calling only such helpers can go back to back in one batch.
   */
  batchable?: boolean;
}

/** One helper. */
export interface HelperEntry {
  /** `BPF_FUNC_*` id. */
  readonly id: number;
  /** Kernel name without `bpf_` (`map_lookup_elem`). */
  readonly name: string;
  /** bpf_helper_changes_pkt_data: after the call every packet pointer is stale. */
  readonly changesPacketData: boolean;
  /** bpfsim's implementation, when it simulates the helper. */
  readonly impl?: HelperImpl;
}

const constant = (fn: HelperFactory): HelperImpl => ({ fn, constantDuringRun: true });

/** The helpers bpfsim simulates, by kernel name. */
const IMPLEMENTATIONS: Record<string, HelperImpl> = {
  map_lookup_elem: { fn: () => mapLookupElem, fast: () => mapLookupElemFast, inline: mapLookupInline, batchable: true },
  map_update_elem: { fn: () => mapUpdateElem, fast: () => mapUpdateElemFast, batchable: true },
  map_delete_elem: { fn: () => mapDeleteElem, fast: () => mapDeleteElemFast, batchable: true },
  trace_printk: { fn: (k) => tracePrintk(k) },
  skb_store_bytes: { fn: () => skbStoreBytes },
  l3_csum_replace: { fn: () => l3CsumReplace },
  l4_csum_replace: { fn: () => l4CsumReplace },
  clone_redirect: { fn: (k) => cloneRedirect(k) },
  redirect: { fn: (k, xdp) => (xdp ? xdpRedirect(k) : tcRedirect(k)), fast: (k, xdp) => (xdp ? xdpRedirectFast(k) : tcRedirectFast(k)), inline: redirectInline, needsBoundMemory: true },
  skb_load_bytes: { fn: () => skbLoadBytes },
  skb_load_bytes_relative: { fn: () => skbLoadBytesRelative },
  get_socket_uid: { fn: () => getSocketUid },
  csum_diff: { fn: () => csumDiff, fast: () => csumDiffFast, inline: csumDiffInline, batchable: true },
  skb_pull_data: { fn: () => skbPullData },
  csum_update: { fn: () => csumUpdate },
  set_hash_invalid: { fn: () => setHashInvalid },
  set_hash: { fn: () => setHash },
  csum_level: { fn: () => csumLevel },
  xdp_adjust_head: { fn: () => xdpAdjustHead, batchable: true },
  xdp_adjust_meta: { fn: () => xdpAdjustMeta, batchable: true },
  xdp_adjust_tail: { fn: () => xdpAdjustTail, batchable: true },
  xdp_get_buff_len: { fn: () => xdpGetBuffLen },
  xdp_load_bytes: { fn: () => xdpLoadBytes, batchable: true },
  xdp_store_bytes: { fn: () => xdpStoreBytes, batchable: true },
  redirect_map: { fn: (k) => redirectMap(k), fast: (k, _xdp, fn) => redirectMapFast(k, fn) },
  fib_lookup: {
    fn: (k, xdp) => (xdp ? xdpFibLookup(k) : skbFibLookup(k)),
    fast: (k, xdp) => (xdp ? xdpFibLookupFast(k) : skbFibLookupFast(k)),
    inline: fibLookupInline,
    needsBoundMemory: true,
  },
  ktime_get_ns: constant((k) => timeHelpers(k).ktime_get_ns!),
  ktime_get_boot_ns: constant((k) => timeHelpers(k).ktime_get_boot_ns!),
  ktime_get_coarse_ns: constant((k) => timeHelpers(k).ktime_get_coarse_ns!),
  ktime_get_tai_ns: constant((k) => timeHelpers(k).ktime_get_tai_ns!),
  get_smp_processor_id: { ...constant((k) => timeHelpers(k).get_smp_processor_id!), batchable: true },
  get_numa_node_id: constant((k) => timeHelpers(k).get_numa_node_id!),
  get_prandom_u32: { fn: (k) => timeHelpers(k).get_prandom_u32!, batchable: true },
  map_push_elem: { fn: () => mapPushElem, batchable: true },
  map_pop_elem: { fn: () => mapPopElem, batchable: true },
  map_peek_elem: { fn: () => mapPeekElem, batchable: true },
  ringbuf_output: { fn: () => ringbufOutput },
  ringbuf_reserve: { fn: () => ringbufReserve },
  ringbuf_submit: { fn: () => ringbufSubmit },
  ringbuf_discard: { fn: () => ringbufDiscard },
  ringbuf_query: { fn: () => ringbufQuery },
  perf_event_output: { fn: () => perfEventOutput },
  loop: { fn: () => loop },
  for_each_map_elem: { fn: () => forEachMapElem },
  spin_lock: { fn: () => spinLock },
  spin_unlock: { fn: () => spinUnlock },
  trace_vprintk: { fn: (k) => traceVprintk(k) },
  jiffies64: constant((k) => jiffies64(k)),
  map_lookup_percpu_elem: { fn: (k) => mapLookupPercpuElem(k) },
  get_socket_cookie: constant((k) => getSocketCookie(k)),
  get_netns_cookie: { fn: () => getNetnsCookie },
  skb_vlan_push: { fn: () => skbVlanPush },
  skb_vlan_pop: { fn: () => skbVlanPop },
  skb_ecn_set_ce: { fn: () => skbEcnSetCe },
  skb_set_tunnel_key: { fn: () => skbSetTunnelKey },
  skb_get_tunnel_key: { fn: () => skbGetTunnelKey },
  skb_set_tunnel_opt: { fn: () => skbSetTunnelOpt },
  skb_get_tunnel_opt: { fn: () => skbGetTunnelOpt },
  skb_adjust_room: { fn: () => skbAdjustRoom },
  skb_change_head: { fn: () => skbChangeHead },
  skb_change_tail: { fn: () => skbChangeTail },
  skb_change_proto: { fn: () => skbChangeProto },
  skb_change_type: { fn: () => skbChangeType },
  check_mtu: { fn: (k, xdp) => checkMtu(k, xdp) },
  redirect_neigh: { fn: (k) => redirectNeigh(k) },
  redirect_peer: { fn: (k) => redirectPeer(k) },
  get_hash_recalc: { fn: () => getHashRecalc },
  skb_cgroup_id: { fn: () => skbCgroupId },
  get_cgroup_classid: { fn: () => getCgroupClassid },
  ringbuf_reserve_dynptr: { fn: () => ringbufReserveDynptr },
  ringbuf_submit_dynptr: { fn: () => ringbufSubmitDynptr },
  ringbuf_discard_dynptr: { fn: () => ringbufDiscardDynptr },
  dynptr_from_mem: { fn: () => dynptrFromMem },
  dynptr_read: { fn: () => dynptrRead },
  dynptr_write: { fn: () => dynptrWrite },
  dynptr_data: { fn: () => dynptrData },
  sk_lookup_tcp: { fn: (k) => skLookupTcp(k) },
  sk_lookup_udp: { fn: (k) => skLookupUdp(k) },
  skc_lookup_tcp: { fn: (k) => skcLookupTcp(k) },
  sk_release: { fn: (k) => skRelease(k) },
  tcp_gen_syncookie: { fn: (k) => tcpGenSyncookie(k) },
  tcp_check_syncookie: { fn: (k) => tcpCheckSyncookie(k) },
  tcp_raw_gen_syncookie_ipv4: { fn: (k) => tcpRawGenSyncookie(k, false) },
  tcp_raw_gen_syncookie_ipv6: { fn: (k) => tcpRawGenSyncookie(k, true) },
  tcp_raw_check_syncookie_ipv4: { fn: (k) => tcpRawCheckSyncookie(k, false) },
  tcp_raw_check_syncookie_ipv6: { fn: (k) => tcpRawCheckSyncookie(k, true) },
};
for (const name of Object.keys(timeHelpersFast(undefined as unknown as SimKernel))) {
  const impl = IMPLEMENTATIONS[name]!;
  IMPLEMENTATIONS[name] = { ...impl, fast: (k) => timeHelpersFast(k)[name]! };
}

const ENTRIES: readonly HelperEntry[] = Array.from({ length: MAX_HELPER_ID + 1 }, (_, id) => {
  const name = helperName(id).replace(/^bpf_/, '');
  return { id, name, changesPacketData: CHANGES_PKT_DATA.has(name), impl: id > 0 ? IMPLEMENTATIONS[name] : undefined };
});

/** Every helper id the kernel knows, 1 to MAX_HELPER_ID, in id order. */
export const HELPERS: readonly HelperEntry[] = ENTRIES.slice(1);

/** The helper with id `id`, or undefined for an id the kernel does not know. */
export function helperById(id: number): HelperEntry | undefined {
  return Number.isInteger(id) && id > 0 && id <= MAX_HELPER_ID ? ENTRIES[id] : undefined;
}

/** The helper named `name` (`map_lookup_elem` or `bpf_map_lookup_elem`), or undefined. */
export function helperByName(name: string): HelperEntry | undefined {
  const id = helperId(name);
  return id === undefined ? undefined : ENTRIES[id];
}

/** The kernel's `*_proto` symbol a `progType` program gets for helper `id` (its get_func_proto), or undefined when it may not call it. */
export function protoSymbolFor(id: number, progType: number): string | undefined {
  const entry = helperById(id);
  return entry && FUNC_PROTOS.get(progType)?.[entry.name];
}

/** The prototype a `progType` program's call of helper `id` is checked against, or undefined when the type may not call it. */
export function protoFor(id: number, progType: number): HelperProto | undefined {
  const symbol = protoSymbolFor(id, progType);
  return symbol === undefined ? undefined : PROTOS[symbol as keyof typeof PROTOS];
}

/** True when the kernel lets a program of `progType` call helper `id`. */
export function helperAllowed(id: number, progType: number): boolean {
  return protoSymbolFor(id, progType) !== undefined;
}

/** bpf_helper_changes_pkt_data(id). */
export function changesPacketData(id: number): boolean {
  return helperById(id)?.changesPacketData ?? false;
}

/** `gpl_only` of the prototype a `progType` program gets for helper `id` (false when it gets none). */
export function gplOnly(id: number, progType: number): boolean {
  return protoFor(id, progType)?.gplOnly ?? false;
}

/** True when helper `id` is {@link HelperImpl.batchable}; bpf_tail_call is (the engines carry it out). */
export function helperBatchable(id: number): boolean {
  return id === BPF_FUNC_tail_call || helperById(id)?.impl?.batchable === true;
}

/** True when bpfsim implements helper `id`; bpf_tail_call counts (the engines carry it out). */
export function helperImplemented(id: number): boolean {
  const entry = helperById(id);
  return entry !== undefined && (entry.impl !== undefined || entry.id === BPF_FUNC_tail_call);
}

/**
 * True when a call of helper `id` may leave different packet bounds behind, so an engine that
 * keeps them in locals must reload them: it changes packet data, or it calls back into the
 * program (an ARG_PTR_TO_FUNC argument), whose code may.
 */
export function mayMovePacket(id: number): boolean {
  const entry = helperById(id);
  if (!entry) return true;
  return entry.changesPacketData || mayCallBack(id);
}

/** True when helper `id` may call back into the program: an ARG_PTR_TO_FUNC argument for some program type (true when unknown). */
export function mayCallBack(id: number): boolean {
  const entry = helperById(id);
  if (!entry) return true;
  return [...FUNC_PROTOS.values()].some((protos) => {
    const symbol = protos[entry.name];
    return symbol !== undefined && PROTOS[symbol as keyof typeof PROTOS].args.some((a) => a.base === 'ARG_PTR_TO_FUNC');
  });
}

/** How many of r1–r5 helper `id` reads: its prototype's arguments (the widest over program types), 5 when unknown. */
export function helperArgCount(id: number): number {
  const entry = helperById(id);
  let n = -1;
  for (const protos of FUNC_PROTOS.values()) {
    const symbol = entry && protos[entry.name];
    if (symbol !== undefined) n = Math.max(n, PROTOS[symbol as keyof typeof PROTOS].args.length);
  }
  return n < 0 ? 5 : n;
}

const SHAPES = new Map<number, HelperShape>();

/** What an engine may know of helper `id` before a run (HelperRegistry.shape): derived from its prototypes and implementation. */
export function helperShape(id: number): HelperShape {
  let shape = SHAPES.get(id);
  if (!shape) {
    const impl = helperById(id)?.impl;
    shape = {
      argCount: helperArgCount(id),
      movesPacket: mayMovePacket(id),
      callsBack: mayCallBack(id),
      inline: impl?.inline,
      constantDuringRun: impl?.constantDuringRun ?? false,
      returnsMapValue: returnsMapValue(id),
    };
    SHAPES.set(id, shape);
  }
  return shape;
}

/** True when helper `id` returns a map value pointer (RET_PTR_TO_MAP_VALUE) for some program type. */
function returnsMapValue(id: number): boolean {
  const entry = helperById(id);
  return [...FUNC_PROTOS.values()].some((protos) => {
    const symbol = entry && protos[entry.name];
    return symbol !== undefined && PROTOS[symbol as keyof typeof PROTOS].ret.base === 'RET_PTR_TO_MAP_VALUE';
  });
}

/** True when the return type of helper `id` for `progType` may be NULL (`*_OR_NULL`). */
export function returnsMaybeNull(id: number, progType: number): boolean {
  const p = protoFor(id, progType);
  return p !== undefined && hasFlag(p.ret, 'PTR_MAYBE_NULL');
}

/** Program types the table describes, for listings. */
export const TABLE_PROG_TYPES: readonly number[] = [BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER];
