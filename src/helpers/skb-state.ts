import { SK_BUFF } from '../uapi/context.js';
import { LAYOUT } from '../vm/layout.js';
import type { SkbHeaders } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';

/**
 * The parts of a test_run `struct sk_buff` that the program cannot read through __sk_buff but
 * that the skb helpers of net/core/filter.c depend on: header offsets, the checksum state, the
 * hash's validity, encapsulation and the tunnel metadata (the skb's metadata_dst). One per VM
 * memory, reset by {@link resetSkbState} as each TC or socket-filter run starts.
 *
 * Fields the program reads (protocol, pkt_type, vlan_*, hash) live in the __sk_buff itself.
 */

/** ip_summed values (include/linux/skbuff.h). */
export const CHECKSUM_NONE = 0;
export const CHECKSUM_UNNECESSARY = 1;
/** SKB_MAX_CSUM_LEVEL. */
export const SKB_MAX_CSUM_LEVEL = 3;

/** Flag names by IP_TUNNEL_*_BIT (include/net/ip_tunnels.h), lowercase. */
export const TUNNEL_FLAG_NAMES: readonly string[] = ['csum', 'routing', 'key', 'seq', 'strict', 'rec', 'version', 'no_key', 'dont_fragment', 'oam', 'crit_opt', 'geneve_opt', 'vxlan_opt', 'nocache', 'erspan_opt', 'gtp_opt', 'pfcp_opt'];

/** IP_TUNNEL_*_BIT (include/net/ip_tunnels.h): the bit numbers of key.tun_flags. */
export const IP_TUNNEL_BIT = {
  CSUM: 0,
  KEY: 2,
  SEQ: 3,
  DONT_FRAGMENT: 8,
  GENEVE_OPT: 11,
  VXLAN_OPT: 12,
  NOCACHE: 13,
  ERSPAN_OPT: 14,
  GTP_OPT: 15,
  PFCP_OPT: 16,
} as const;
/** The tunnel metadata bpf_skb_set_tunnel_key attaches (struct ip_tunnel_info, TX mode). */
export interface TunnelInfo {
  /** key.tun_id as the u64 the program gave (kept as bigint: it is stored as be64). */
  id: bigint;
  /** IPv6 addresses (info->mode IP_TUNNEL_INFO_IPV6). */
  ipv6: boolean;
  /** IP_TUNNEL_INFO_TX: set by bpf_skb_set_tunnel_key (the helper's metadata_dst); false for metadata the skb arrived with. */
  tx: boolean;
  /** key.u.ipvN.dst and .src in network byte order: 4 or 16 bytes each. */
  dst: Uint8Array;
  src: Uint8Array;
  tos: number;
  ttl: number;
  /** key.label (IPv6 flow label), host order. */
  label: number;
  /** key.tun_flags: bit n is IP_TUNNEL_*_BIT n (include/net/ip_tunnels.h). */
  flags: number;
  /** The tunnel options bpf_skb_set_tunnel_opt copied (options_len bytes). */
  options: Uint8Array;
}

/** The hidden skb state of one run. Addresses are absolute VM addresses; `transport` -1 while unset. */
export interface SkbState {
  mac: number;
  network: number;
  transport: number;
  ipSummed: number;
  csumLevel: number;
  /** skb->l4_hash || skb->sw_hash: skb->hash holds a valid hash. */
  hashValid: boolean;
  encapsulation: boolean;
  tunnel: TunnelInfo | null;
}

const STATES = new WeakMap<VmMemory, SkbState>();

/**
 * Starts the skb state of a run as bpf_prog_test_run_skb leaves it: the MAC header at `mac`, the
 * network header `l2` bytes later, no transport header, CHECKSUM_NONE, no hash, no tunnel.
 */
export function resetSkbState(mem: VmMemory, mac: number, network: number): void {
  const state = STATES.get(mem);
  if (state) {
    state.mac = mac;
    state.network = network;
    state.transport = -1;
    state.ipSummed = CHECKSUM_NONE;
    state.csumLevel = 0;
    state.hashValid = false;
    state.encapsulation = false;
    state.tunnel = null;
    return;
  }
  STATES.set(mem, { mac, network, transport: -1, ipSummed: CHECKSUM_NONE, csumLevel: 0, hashValid: false, encapsulation: false, tunnel: null });
}

/** The skb state of the run in `mem` (a fresh one when no skb run set it up). */
export function skbState(mem: VmMemory): SkbState {
  let state = STATES.get(mem);
  if (!state) {
    resetSkbState(mem, mem.pktData, mem.pktData);
    state = STATES.get(mem)!;
  }
  return state;
}

/** Gives the skb of the run in `mem` the tunnel metadata it arrived with (after setupSkb). */
export function setRxTunnel(mem: VmMemory, info: TunnelInfo): void {
  skbState(mem).tunnel = { ...info, options: info.options.slice() };
}

/** The headers BPF_LD_ABS/LD_IND read (RunEnv.skbHeaders) of the skb in `mem`: MAC and network header where the helpers left them. */
export function skbHeadersOf(mem: VmMemory): SkbHeaders {
  const state = skbState(mem);
  const data = mem.pktData;
  const tail = mem.pktEnd;
  return { data, headlen: tail - data, head: LAYOUT.PACKET, tail, mac: state.mac, network: state.network };
}

/** The tunnel metadata the last TC run attached, or null. */
export function tunnelOf(mem: VmMemory): TunnelInfo | null {
  return STATES.get(mem)?.tunnel ?? null;
}

/** skb->protocol as the host-order u16 (the __sk_buff field holds its two wire-order bytes). */
export function skbProtocol(mem: VmMemory): number {
  const at = LAYOUT.CTX + SK_BUFF.protocol.off;
  return (mem.u8[at]! << 8) | mem.u8[at + 1]!;
}

/** Sets skb->protocol from a host-order u16. */
export function setSkbProtocol(mem: VmMemory, proto: number): void {
  const at = LAYOUT.CTX + SK_BUFF.protocol.off;
  mem.u8[at] = proto >> 8;
  mem.u8[at + 1] = proto & 0xff;
}

/** skb_clear_hash: skb->hash 0 and no longer valid. */
export function clearSkbHash(mem: VmMemory): void {
  mem.view.setUint32(LAYOUT.CTX + SK_BUFF.hash.off, 0, true);
  skbState(mem).hashValid = false;
}

/**
 * Sets skb->len (data_end - data) after a helper moved the packet bounds: the control block,
 * __sk_buff's data/data_end/data_meta and len.
 */
export function setSkbBounds(mem: VmMemory, data: number, end: number): void {
  const v = mem.view;
  v.setUint32(LAYOUT.CTX + SK_BUFF.data.off, data, true);
  v.setUint32(LAYOUT.CTX + SK_BUFF.data_end.off, end, true);
  v.setUint32(LAYOUT.CTX + SK_BUFF.data_meta.off, data, true);
  v.setUint32(LAYOUT.CTX + SK_BUFF.len.off, end - data, true);
  mem.setPacketBounds(data, data, end);
}

/** Bytes of room the sim keeps in front of the frame after moving it for more headroom (NET_SKB_PAD). */
const PAD = 64;
const REGION_END = LAYOUT.PACKET + LAYOUT.PACKET_SIZE;

/** Moves the frame and every header address by `delta` bytes. */
function shiftFrame(mem: VmMemory, state: SkbState, delta: number): void {
  const data = mem.pktData;
  const end = mem.pktEnd;
  mem.u8.copyWithin(data + delta, data, end);
  state.mac += delta;
  state.network += delta;
  if (state.transport >= 0) state.transport += delta;
  setSkbBounds(mem, data + delta, end + delta);
}

/**
 * skb_cow_head / pskb_expand_head: makes sure there are `head` bytes in front of skb->data and
 * `tail` bytes after its end, moving the frame inside the VM's packet buffer when needed (the
 * kernel reallocates the head; every pointer into the packet becomes stale either way). False
 * when the buffer cannot hold it (the kernel would fail the allocation with -ENOMEM).
 */
export function ensureRoom(mem: VmMemory, head: number, tail: number): boolean {
  const state = skbState(mem);
  const len = mem.pktEnd - mem.pktData;
  if (PAD + head + len + tail > LAYOUT.PACKET_SIZE) return false;
  if (mem.pktData - head < LAYOUT.PACKET) shiftFrame(mem, state, LAYOUT.PACKET + PAD + head - mem.pktData);
  else if (mem.pktEnd + tail > REGION_END) shiftFrame(mem, state, REGION_END - tail - mem.pktEnd);
  return true;
}

/**
 * bpf_skb_generic_push with the header moves of bpf_skb_net_hdr_push: `len` zero bytes inserted
 * at `off` from skb->data, the first `off` bytes moved to the new front; MAC and network header
 * move with them. The caller made the room ({@link ensureRoom}).
 */
export function pushAt(mem: VmMemory, off: number, len: number): void {
  const state = skbState(mem);
  const data = mem.pktData - len;
  const u8 = mem.u8;
  u8.copyWithin(data, data + len, data + len + off);
  u8.fill(0, data + off, data + off + len);
  const transSame = state.transport === state.network;
  state.mac -= len;
  state.network -= len;
  if (transSame) state.transport = state.network;
  setSkbBounds(mem, data, mem.pktEnd);
}

/** bpf_skb_generic_pop with bpf_skb_net_hdr_pop's header moves: `len` bytes at `off` removed. */
export function popAt(mem: VmMemory, off: number, len: number): void {
  const state = skbState(mem);
  const data = mem.pktData;
  mem.u8.copyWithin(data + len, data, data + off);
  const transSame = state.transport === state.network;
  state.mac += len;
  state.network += len;
  if (transSame) state.transport = state.network;
  setSkbBounds(mem, data + len, mem.pktEnd);
}

/** The tunnel metadata of a run as the API shows it (RunResult.tunnel carries `options` in hex). */
export interface TunnelView {
  id: number;
  remote: string;
  local: string;
  tos: number;
  ttl: number;
  label: number;
  /** Names of the set IP_TUNNEL_* flags, lowercase, in bit order. */
  flags: string[];
  options: Uint8Array;
}


function formatAddr(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // RFC 5952: the longest run of two or more zero groups becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j > i ? j : i + 1;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** The tunnel metadata a TC run left in `mem`, or null. */
export function readTunnel(mem: VmMemory): TunnelView | null {
  const t = tunnelOf(mem);
  if (!t) return null;
  return {
    id: Number(t.id),
    // TX metadata sends to key.dst; received metadata came from key.src.
    remote: formatAddr(t.tx ? t.dst : t.src),
    local: formatAddr(t.tx ? t.src : t.dst),
    tos: t.tos,
    ttl: t.ttl,
    label: t.label,
    flags: TUNNEL_FLAG_NAMES.filter((_, bit) => t.flags & (1 << bit)),
    options: t.options.slice(),
  };
}
