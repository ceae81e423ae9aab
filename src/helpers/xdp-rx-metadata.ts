import { ERRNO } from '../uapi/errno.js';
import type { HelperFn } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { errno, memAt } from './args.js';

/**
 * The receive hints a driver hands the XDP metadata kfuncs (bpf_xdp_metadata_rx_timestamp,
 * _rx_hash, _rx_vlan_tag; net/core/xdp.c dispatches them to the bound device's xdp_metadata_ops).
 * bpfsim answers as veth does (drivers/net/veth.c veth_xdp_rx_timestamp, _rx_hash, _rx_vlan_tag):
 * a hint the packet lacks is -ENODATA, one it has is written through the pointers and 0 returned.
 */
export interface RxMetadata {
  /** The hardware receive timestamp, ns (skb_hwtstamps(skb)->hwtstamp): a number, a bigint or a decimal string (for values past 2^53); absent: -ENODATA. */
  timestamp?: bigint | number | string;
  /** The RSS hash (skb_get_hash), u32; absent: -ENODATA. */
  hash?: number;
  /** enum xdp_rss_hash_type written with the hash (include/net/xdp.h, XDP_RSS_TYPE_*); default 0, XDP_RSS_TYPE_NONE. */
  hashType?: number;
  /** The offloaded VLAN tag's protocol (0x8100 or 0x88a8), written in network order; default 0x8100. Only with vlanTci. */
  vlanProto?: number;
  /** The offloaded VLAN TCI (__vlan_hwaccel_get_tag), u16; absent: -ENODATA. */
  vlanTci?: number;
}

/** RxMetadata checked: every hint present or absent, in the width the kfuncs write. */
interface RxHints {
  timestamp?: bigint;
  hash?: number;
  hashType: number;
  vlan?: { proto: number; tci: number };
}

const HINTS = new WeakMap<VmMemory, RxHints>();
const FIELDS = new Set(['timestamp', 'hash', 'hashType', 'vlanProto', 'vlanTci']);

function intField(value: unknown, name: string, max: number, fail: (m: string) => Error): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) throw fail(`${name}: expected an integer from 0 to ${max}, got ${JSON.stringify(value)}`);
  return value;
}

/** The hints `input` describes; `fail` makes the caller's error (CaseError, ArgumentError) from a `field: why` message. */
export function rxHints(input: RxMetadata, fail: (message: string) => Error): RxHints {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw fail(`expected an object, got ${JSON.stringify(input)}`);
  for (const key of Object.keys(input)) if (!FIELDS.has(key)) throw fail(`${key}: unknown field (expected ${[...FIELDS].join(', ')})`);
  const hints: RxHints = { hashType: intField(input.hashType, 'hashType', 0xffff_ffff, fail) ?? 0 };
  const given = input.timestamp;
  if (given !== undefined) {
    const ts = typeof given === 'string' && /^[0-9]{1,20}$/.test(given) ? BigInt(given) : given;
    const valid = (typeof ts === 'bigint' && ts >= 0n && ts < 1n << 64n) || (typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0);
    if (!valid) throw fail(`timestamp: expected an integer from 0 to 2^64-1, got ${typeof given === 'bigint' ? given.toString() : JSON.stringify(given)}`);
    hints.timestamp = BigInt(ts as number | bigint);
  }
  hints.hash = intField(input.hash, 'hash', 0xffff_ffff, fail);
  if (input.hashType !== undefined && hints.hash === undefined) throw fail('hashType: given without hash');
  const tci = intField(input.vlanTci, 'vlanTci', 0xffff, fail);
  const proto = intField(input.vlanProto, 'vlanProto', 0xffff, fail);
  if (proto !== undefined && tci === undefined) throw fail('vlanProto: given without vlanTci');
  if (tci !== undefined) hints.vlan = { proto: proto ?? 0x8100, tci };
  return hints;
}

/** Sets the hints the next run's packet arrives with (none: every kfunc answers -ENODATA). */
export function setRxHints(mem: VmMemory, hints: RxHints | undefined): void {
  if (hints) HINTS.set(mem, hints);
  else HINTS.delete(mem);
}

const ENODATA = errno(ERRNO.ENODATA);

/** bpf_xdp_metadata_rx_timestamp(ctx, u64 *timestamp). */
export const rxTimestamp: HelperFn = (env, _ctx, r2) => {
  const ts = HINTS.get(env.mem)?.timestamp;
  if (ts === undefined) return ENODATA;
  const out = memAt(env, r2, 8, true);
  new DataView(out.buffer, out.byteOffset, 8).setBigUint64(0, ts, true);
  return 0n;
};

/** bpf_xdp_metadata_rx_hash(ctx, u32 *hash, enum xdp_rss_hash_type *rss_type). */
export const rxHash: HelperFn = (env, _ctx, r2, r3) => {
  const hints = HINTS.get(env.mem);
  if (hints?.hash === undefined) return ENODATA;
  const hash = memAt(env, r2, 4, true);
  new DataView(hash.buffer, hash.byteOffset, 4).setUint32(0, hints.hash, true);
  const type = memAt(env, r3, 4, true);
  new DataView(type.buffer, type.byteOffset, 4).setUint32(0, hints.hashType, true);
  return 0n;
};

/** bpf_xdp_metadata_rx_vlan_tag(ctx, __be16 *vlan_proto, u16 *vlan_tci): the protocol in network order, the TCI in host order. */
export const rxVlanTag: HelperFn = (env, _ctx, r2, r3) => {
  const vlan = HINTS.get(env.mem)?.vlan;
  if (vlan === undefined) return ENODATA;
  const tci = memAt(env, r3, 2, true);
  new DataView(tci.buffer, tci.byteOffset, 2).setUint16(0, vlan.tci, true);
  const proto = memAt(env, r2, 2, true);
  new DataView(proto.buffer, proto.byteOffset, 2).setUint16(0, vlan.proto, false);
  return 0n;
};
