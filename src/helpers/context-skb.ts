import { CaseError } from '../internal/errors.js';
import { SK_BUFF, SK_BUFF_SIZE, SKB_CTX_IN_FIELDS } from '../uapi/context.js';
import { LAYOUT } from '../vm/layout.js';
import type { CtxAccessRule, VmMemory } from '../vm/memory.js';
import type { SimKernel } from './kernel-state.js';
import { resetSkbState } from './skb-state.js';
import { xdpHeadroomTouched } from './context-xdp.js';

export { setSkbBounds } from './skb-state.js';

/**
 * The skb as bpf_prog_test_run_skb (net/bpf/test_run.c) builds it: NET_SKB_PAD + NET_IP_ALIGN
 * (64 + 0 on x86-64) bytes of headroom, the frame, SKB_DATA_ALIGN(size) + 320 bytes for the
 * tail and skb_shared_info; at most PAGE_SIZE - 64 - 320 bytes of frame.
 */
export const SKB_FRAME = {
  HEAD: LAYOUT.PACKET,
  HEADROOM: 64,
  TAILROOM: 320,
  MIN_LEN: 14,
  MAX_LEN: 4096 - 64 - 320,
} as const;

/**
 * The L3 header bpf_prog_test_run_skb needs in the linear data after eth_type_trans, by
 * skb->protocol: sizeof(struct iphdr) for ETH_P_IP, sizeof(struct ipv6hdr) for ETH_P_IPV6. This
 * machine's 6.18 kernel refuses a shorter frame with EINVAL (measured with `bpftool prog run`:
 * 33 bytes of IPv4 and 53 of IPv6 are refused, 34 and 54 run; other EtherTypes need only 14).
 */
const MIN_L3_LEN: ReadonlyMap<number, { name: string; len: number }> = new Map([
  [0x0800, { name: 'IPv4', len: 20 }],
  [0x86dd, { name: 'IPv6', len: 40 }],
]);

/** Loopback's MAC and broadcast address (both all zeros), and the Ethernet broadcast address; never written. */
const ZERO_MAC = new Uint8Array(6);
const ETH_BROADCAST = new Uint8Array(6).fill(0xff);

/** GSO_LEGACY_MAX_SIZE and GSO_MAX_SEGS (include/linux/netdevice.h): convert___skb_to_skb's limits. */
const GSO_LEGACY_MAX_SIZE = 65536;
const GSO_MAX_SEGS = 65535;

/** The __sk_buff fields ctx_in may set (convert___skb_to_skb); any other must be zero. */
export { SKB_CTX_IN_FIELDS };
const CTX_IN = new Set<string>(SKB_CTX_IN_FIELDS);

/** What a TC run leaves, as the kernel copies it back. */
export interface SkbResult {
  /** skb->data for skb->len bytes: the frame from the Ethernet header. */
  packet: Uint8Array;
  /** ctx_out: the ctx_in fields after the run (convert_skb_to___skb). */
  ctx: Record<string, number | number[]>;
}

/** Readable 4-byte fields of __sk_buff that also allow aligned 1- and 2-byte reads. */
const NARROW_READ = new Set<number>(
  ['len', 'pkt_type', 'mark', 'queue_mapping', 'protocol', 'vlan_present', 'vlan_tci', 'vlan_proto', 'priority', 'ingress_ifindex', 'ifindex', 'tc_index', 'hash', 'tc_classid', 'napi_id', 'wire_len', 'gso_segs', 'gso_size'].map(
    (n) => SK_BUFF[n as keyof typeof SK_BUFF].off,
  ),
);
const FULL_WRITE = new Set<number>(['mark', 'queue_mapping', 'priority', 'tc_index', 'tc_classid'].map((n) => SK_BUFF[n as keyof typeof SK_BUFF].off));
const POINTERS = new Set<number>([SK_BUFF.data.off, SK_BUFF.data_end.off, SK_BUFF.data_meta.off]);
const CB_END = SK_BUFF.cb.off + SK_BUFF.cb.size;

/**
 * The context access rule of BPF_PROG_TYPE_SCHED_CLS (tc_cls_act_is_valid_access over
 * bpf_skb_is_valid_access, net/core/filter.c), as this machine's 6.18 verifier accepts it:
 * cb[] read and written at any aligned size up to 8; mark, queue_mapping, priority, tc_index
 * and tc_classid written as whole u32s; tstamp read and written as u64; the other u32 fields
 * read whole or in aligned narrow pieces; data, data_end, data_meta read as u32 only; sk and
 * hwtstamp read as u64; tstamp_type read as a byte; family..local_port and flow_keys not at all.
 */
export const skbCtxRule: CtxAccessRule = (off, size, write) => {
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return false;
  if (off % size !== 0) return false;
  if (off >= SK_BUFF.cb.off && off + size <= CB_END) return true;
  if (off === SK_BUFF.tstamp.off) return size === 8;
  if (write) return size === 4 && FULL_WRITE.has(off);
  if (off === SK_BUFF.sk.off || off === SK_BUFF.hwtstamp.off) return size === 8;
  if (off === SK_BUFF.tstamp_type.off) return size === 1;
  if (POINTERS.has(off)) return size === 4;
  return size <= 4 && NARROW_READ.has(off & ~3);
};

/** The __sk_buff fields a socket filter may not touch, as [start, end) byte ranges. */
const SK_FILTER_HIDDEN: readonly (readonly [number, number])[] = (
  ['tc_classid', 'data', 'data_end', 'data_meta', 'tstamp', 'wire_len', 'tstamp_type', 'hwtstamp'] as const
).map((n): readonly [number, number] => [SK_BUFF[n].off, SK_BUFF[n].off + SK_BUFF[n].size]).concat([[SK_BUFF.family.off, SK_BUFF.local_port.off + 4]]);

/**
 * The context access rule of BPF_PROG_TYPE_SOCKET_FILTER (sk_filter_is_valid_access over
 * bpf_skb_is_valid_access, net/core/filter.c), as this machine's 6.18 verifier accepts it:
 * no direct packet access (data, data_end, data_meta), no tc_classid, family..local_port,
 * tstamp, wire_len, tstamp_type or hwtstamp; only cb[] written; the rest read as for TC.
 */
export const skFilterCtxRule: CtxAccessRule = (off, size, write) => {
  for (const [start, end] of SK_FILTER_HIDDEN) if (off < end && off + size > start) return false;
  if (write && !(off >= SK_BUFF.cb.off && off + size <= CB_END)) return false;
  return skbCtxRule(off, size, write);
};

/**
 * The packet BPF_PROG_TEST_RUN copies out after a socket filter run (bpf_prog_test_run_skb): the
 * Ethernet header's 14 bytes pushed back as zeros, then the skb from its network header.
 */
export function readSocketPacket(mem: VmMemory): Uint8Array {
  const out = new Uint8Array(14 + mem.pktEnd - mem.pktData);
  out.set(mem.u8.subarray(mem.pktData, mem.pktEnd), 14);
  return out;
}

const given = new WeakMap<VmMemory, Record<string, unknown>>();

function refuse(field: string, why: string, errno = 'EINVAL'): CaseError {
  return new CaseError('case/bad-ctx', `ctx: ${field}: ${why} (the kernel refuses it with ${errno})`, { errno });
}

/** A u32 ctx_in value, 0 when absent; takes the value, not the name's lookup, so each read site stays monomorphic. */
function u32Field(v: unknown, name: string, max = 0xffff_ffff): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new CaseError('case/bad-ctx', `ctx: ${name}: expected an unsigned integer up to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** eth_type_trans's skb->protocol for `frame` (net/ethernet/eth.c), as the host-order u16. */
export function ethProtocol(frame: Uint8Array): number {
  const proto = (frame[12]! << 8) | frame[13]!;
  if (proto >= 0x0600) return proto;
  // An 802.3 frame: raw IPX (0xFFFF after the header) or 802.2 LLC.
  if (frame.length >= 16 && frame[14] === 0xff && frame[15] === 0xff) return 0x0001;
  return 0x0004;
}

/** eth_type_trans's skb->pkt_type for a frame received on a device with `mac` and `broadcast`. */
export function ethPktType(frame: Uint8Array, mac: Uint8Array, broadcast: Uint8Array): number {
  if (destIs(frame, mac)) return 0; // PACKET_HOST
  if (frame[0]! & 1) return destIs(frame, broadcast) ? 1 : 2; // PACKET_BROADCAST, PACKET_MULTICAST
  return 3; // PACKET_OTHERHOST
}

/** Whether the frame's destination MAC (its first six bytes) is `addr`; runs per packet, so no closures. */
function destIs(frame: Uint8Array, addr: Uint8Array): boolean {
  const n = Math.min(frame.length, 6);
  for (let i = 0; i < addr.length; i++) if (i >= n || frame[i] !== addr[i]) return false;
  return true;
}

/**
 * Fills the VM memory for a TC (BPF_PROG_TYPE_SCHED_CLS/ACT) run, or with `l2` false a socket
 * filter run (skb->data and len from the network header, as for every type but TC), as bpf_prog_test_run_skb does:
 * the frame at LAYOUT.PACKET + 64 with Ethernet header in front, __sk_buff at LAYOUT.CTX with
 * len, pkt_type and protocol from eth_type_trans on the receiving device (loopback, or
 * `ctxIn.ifindex` when above 1), the ctx_in fields, real data/data_end/data_meta addresses, the
 * packet bounds and the access rule. Refuses what the kernel refuses with CaseError `case/bad-ctx`
 * or `case/bad-packet` (an IPv4 or IPv6 frame too short for its L3 header included). Without `kernel`, an `ifindex` above 1 is taken as an Ethernet device
 * with an all-zero MAC.
 */
export function setupSkb(mem: VmMemory, packet: Uint8Array, ctxIn: Record<string, unknown> = {}, kernel?: SimKernel, l2 = true): void {
  const size = packet.length;
  const run = l2 ? 'TC' : 'socket filter';
  if (size < SKB_FRAME.MIN_LEN || size > SKB_FRAME.MAX_LEN) {
    throw new CaseError('case/bad-packet', `packet: expected ${SKB_FRAME.MIN_LEN} to ${SKB_FRAME.MAX_LEN} bytes for a ${run} run, got ${size} (the kernel refuses it with EINVAL)`, { errno: 'EINVAL' });
  }
  const ctx = ctxIn;
  const names = Object.keys(ctx);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (!(name in SK_BUFF)) throw new CaseError('case/bad-ctx', `ctx: '${name}' is not a field of struct __sk_buff`);
    if (!CTX_IN.has(name) && !isZero(ctx[name])) throw refuse(name, 'BPF_PROG_TEST_RUN does not accept it in ctx_in; it must be 0');
  }
  const ifindex = u32Field(ctx.ifindex, 'ifindex');
  let mac: Uint8Array = ZERO_MAC;
  let broadcast: Uint8Array = ZERO_MAC;
  let devIndex = 1;
  if (ifindex > 1) {
    devIndex = ifindex;
    const dev = kernel?.network.interface(ifindex);
    if (kernel && !dev) throw refuse('ifindex', `no interface with ifindex ${ifindex}`, 'ENODEV');
    mac = dev?.mac ?? ZERO_MAC;
    broadcast = dev?.broadcast ?? ETH_BROADCAST;
  }
  const proto = ethProtocol(packet);
  const l3 = proto === 0x0800 || proto === 0x86dd ? MIN_L3_LEN.get(proto) : undefined;
  if (l3 && size < 14 + l3.len) {
    throw new CaseError('case/bad-packet', `packet: expected at least ${14 + l3.len} bytes for a ${run} run of an ${l3.name} frame (Ethernet and ${l3.name} headers), got ${size} (the kernel refuses it with EINVAL)`, { errno: 'EINVAL' });
  }
  // A null cb reads as none, as `ctx.cb ?? [0, 0, 0, 0, 0]` did.
  const cbIn = ctx.cb ?? undefined;
  if (cbIn !== undefined && !isCb(cbIn)) throw new CaseError('case/bad-ctx', `ctx: cb: expected up to five u32 numbers, got ${JSON.stringify(cbIn)}`);
  // A socket filter's skb starts at the network header: the Ethernet header is pulled (eth_type_trans) and not pushed back.
  const hidden = l2 ? 0 : 14;
  const len = size - hidden;
  const wireLen = u32Field(ctx.wire_len, 'wire_len');
  if (wireLen !== 0 && (wireLen < len || wireLen > GSO_LEGACY_MAX_SIZE)) throw refuse('wire_len', `must be 0 or between the skb length ${len} and ${GSO_LEGACY_MAX_SIZE}, got ${wireLen}`);
  const gsoSegs = u32Field(ctx.gso_segs, 'gso_segs');
  if (gsoSegs > GSO_MAX_SEGS) throw refuse('gso_segs', `must be at most ${GSO_MAX_SEGS}, got ${gsoSegs}`);
  const tstamp = u64Field(ctx.tstamp, 'tstamp');
  const hwtstamp = u64Field(ctx.hwtstamp, 'hwtstamp');
  const mark = u32Field(ctx.mark, 'mark');
  const priority = u32Field(ctx.priority, 'priority');
  const ingress = u32Field(ctx.ingress_ifindex, 'ingress_ifindex');
  const gsoSize = u32Field(ctx.gso_size, 'gso_size');

  const u8 = mem.u8;
  const frameAt = SKB_FRAME.HEAD + SKB_FRAME.HEADROOM;
  const data = frameAt + hidden;
  const end = frameAt + size;
  u8.fill(0, SKB_FRAME.HEAD, frameAt + ((size + 63) & ~63) + SKB_FRAME.TAILROOM);
  u8.set(packet, frameAt);
  xdpHeadroomTouched(mem);

  const c = LAYOUT.CTX;
  u8.fill(0, c, c + LAYOUT.CTX_SIZE);
  const v = mem.view;
  v.setUint32(c + SK_BUFF.len.off, len, true);
  v.setUint32(c + SK_BUFF.pkt_type.off, ethPktType(packet, mac, broadcast), true);
  v.setUint32(c + SK_BUFF.mark.off, mark, true);
  // skb->protocol is big-endian in the skb; the u32 load sees its two bytes in wire order.
  u8[c + SK_BUFF.protocol.off] = proto >> 8;
  u8[c + SK_BUFF.protocol.off + 1] = proto & 0xff;
  v.setUint32(c + SK_BUFF.priority.off, priority, true);
  v.setUint32(c + SK_BUFF.ingress_ifindex.off, ingress, true);
  v.setUint32(c + SK_BUFF.ifindex.off, devIndex, true);
  if (cbIn !== undefined) {
    const cb = cbIn as number[];
    for (let i = 0; i < cb.length; i++) if (i in cb) v.setUint32(c + SK_BUFF.cb.off + 4 * i, cb[i]!, true);
  }
  v.setUint32(c + SK_BUFF.data.off, data, true);
  v.setUint32(c + SK_BUFF.data_end.off, end, true);
  v.setUint32(c + SK_BUFF.data_meta.off, data, true);
  // The u64s are written only when given: the zeroed struct already holds 0, and a BigInt store costs.
  if (ctx.tstamp !== undefined) v.setBigUint64(c + SK_BUFF.tstamp.off, tstamp, true);
  v.setUint32(c + SK_BUFF.wire_len.off, wireLen || len, true);
  v.setUint32(c + SK_BUFF.gso_segs.off, gsoSegs, true);
  v.setUint32(c + SK_BUFF.gso_size.off, gsoSize, true);
  if (ctx.hwtstamp !== undefined) v.setBigUint64(c + SK_BUFF.hwtstamp.off, hwtstamp, true);
  mem.setPacketBounds(data, data, end);
  resetSkbState(mem, frameAt, frameAt + 14);
  mem.ctxRule = l2 ? skbCtxRule : skFilterCtxRule;
  mem.ctxSize = SK_BUFF_SIZE;
  // What readSkbResult reads back of the caller's ctx: the validated values equal what a copy of it would give.
  given.set(mem, names.length === 0 ? NO_CTX : { ingress_ifindex: ingress, gso_size: gsoSize });
}

const NO_CTX: Readonly<Record<string, unknown>> = Object.freeze({});

/** A ctx_in value test_run accepts for a field it ignores: 0, or an array of zeros. */
function isZero(value: unknown): boolean {
  if (value === 0) return true;
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (i in value && value[i] !== 0) return false;
  return true;
}

/** Whether `cb` is at most five u32 numbers (holes, as `some` skips them, pass). */
function isCb(cb: unknown): boolean {
  if (!Array.isArray(cb) || cb.length > 5) return false;
  for (let i = 0; i < cb.length; i++) {
    if (!(i in cb)) continue;
    const x: unknown = cb[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 0xffff_ffff) return false;
  }
  return true;
}

function u64Field(v: unknown, name: string): bigint {
  if (v === undefined) return 0n;
  if (typeof v === 'bigint' && v >= 0n && v < 1n << 64n) return v;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new CaseError('case/bad-ctx', `ctx: ${name}: expected an unsigned integer, got ${JSON.stringify(v)}`);
  return BigInt(v);
}

/** The packet and ctx_out after a TC run (convert_skb_to___skb, bpf_test_finish). */
export function readSkbResult(mem: VmMemory, ctxIn?: Record<string, unknown>): SkbResult {
  return { packet: mem.u8.slice(mem.pktData, mem.pktEnd), ctx: readSkbCtxOut(mem, ctxIn) };
}

/**
 * ctx_out after a TC run (convert_skb_to___skb): the {@link SKB_CTX_IN_FIELDS}, in that order,
 * with ingress_ifindex and gso_size as the caller gave them (`ctxIn`, else what setupSkb was given).
 */
export function readSkbCtxOut(mem: VmMemory, ctxIn?: Record<string, unknown>): Record<string, number | number[]> {
  const v = mem.view;
  const c = LAYOUT.CTX;
  const inCtx = ctxIn ?? given.get(mem) ?? NO_CTX;
  const ingress = inCtx.ingress_ifindex;
  const gsoSize = inCtx.gso_size;
  const cb = c + SK_BUFF.cb.off;
  return {
    mark: v.getUint32(c + SK_BUFF.mark.off, true),
    priority: v.getUint32(c + SK_BUFF.priority.off, true),
    ingress_ifindex: typeof ingress === 'number' ? ingress : 0,
    ifindex: v.getUint32(c + SK_BUFF.ifindex.off, true),
    cb: [v.getUint32(cb, true), v.getUint32(cb + 4, true), v.getUint32(cb + 8, true), v.getUint32(cb + 12, true), v.getUint32(cb + 16, true)],
    tstamp: u64Number(v, c + SK_BUFF.tstamp.off),
    wire_len: v.getUint32(c + SK_BUFF.wire_len.off, true),
    gso_segs: v.getUint32(c + SK_BUFF.gso_segs.off, true),
    gso_size: typeof gsoSize === 'number' ? gsoSize : 0,
    hwtstamp: u64Number(v, c + SK_BUFF.hwtstamp.off),
  };
}

/**
 * A little-endian u64 as the nearest double, as Number(getBigUint64) gives it but with no BigInt:
 * hi * 2^32 is exact, so the one rounding of the sum is the same round-to-nearest-even.
 */
function u64Number(v: DataView, at: number): number {
  return v.getUint32(at + 4, true) * 0x1_0000_0000 + v.getUint32(at, true);
}
