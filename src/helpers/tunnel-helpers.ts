import type { HelperFn } from '../vm/env.js';
import { ERRNO } from '../uapi/errno.js';
import { errno, memAt, u32 } from './args.js';
import { IP_TUNNEL_BIT, skbState, type TunnelInfo } from './skb-state.js';

/**
 * The tunnel metadata helpers of net/core/filter.c: bpf_skb_set_tunnel_key attaches a TX
 * ip_tunnel_info (the per-CPU metadata_dst) to the skb, bpf_skb_set_tunnel_opt adds options to
 * it, and the get helpers read the skb's tunnel info back. The metadata lives for one run; the
 * VM reports it as the result's `tunnel` (BPF_PROG_TEST_RUN has no way to show it: the kernel
 * backend leaves `tunnel` out).
 */

/** bpf.h flags of the tunnel helpers. */
export const BPF_F_TUNINFO_IPV6 = 1n << 0n;
export const BPF_F_ZERO_CSUM_TX = 1n << 1n;
export const BPF_F_DONT_FRAGMENT = 1n << 2n;
export const BPF_F_SEQ_NUMBER = 1n << 3n;
export const BPF_F_NO_TUNNEL_KEY = 1n << 4n;
export const BPF_F_TUNINFO_FLAGS = 1n << 4n;

/** The bits ip_tunnel_set_options_present sets (and ip_tunnel_is_options_present tests). */
const OPTIONS_PRESENT = [IP_TUNNEL_BIT.GENEVE_OPT, IP_TUNNEL_BIT.VXLAN_OPT, IP_TUNNEL_BIT.ERSPAN_OPT, IP_TUNNEL_BIT.GTP_OPT, IP_TUNNEL_BIT.PFCP_OPT].reduce((m, b) => m | (1 << b), 0);
/** IP_TUNNEL_OPTS_MAX. */
const OPTS_MAX = 255;
const IPV6_FLOWLABEL_MASK = 0x000f_ffff;

/** struct bpf_tunnel_key: its size and the older sizes both helpers still take (offsetof each later field). */
const KEY_SIZE = 44;
const OFF = { id: 0, remote: 4, tos: 20, ttl: 21, flags: 22, label: 24, local: 28 } as const;
const COMPAT_SIZES = new Set([OFF.local, OFF.label, OFF.flags, 8]);

/**
 * bpf_skb_set_tunnel_key(skb, key, size, flags): -EINVAL for unknown flags, a size that is
 * neither sizeof(struct bpf_tunnel_key) nor an older layout's, a label without
 * BPF_F_TUNINFO_IPV6, or nonzero tunnel_ext/tunnel_flags. remote becomes key.dst, local key.src.
 */
export const skbSetTunnelKey: HelperFn = (env, _r1, r2, r3, r4) => {
  const size = u32(r3);
  const given = memAt(env, r2, size, false);
  const flags = r4;
  if (flags & ~(BPF_F_TUNINFO_IPV6 | BPF_F_ZERO_CSUM_TX | BPF_F_DONT_FRAGMENT | BPF_F_SEQ_NUMBER | BPF_F_NO_TUNNEL_KEY)) return errno(ERRNO.EINVAL);
  if (size !== KEY_SIZE && !COMPAT_SIZES.has(size)) return errno(ERRNO.EINVAL);
  const key = new Uint8Array(KEY_SIZE);
  key.set(given.subarray(0, Math.min(size, KEY_SIZE)));
  const v = new DataView(key.buffer);
  const ipv6 = (flags & BPF_F_TUNINFO_IPV6) !== 0n;
  const label = v.getUint32(OFF.label, true);
  if ((!ipv6 && label !== 0) || v.getUint16(OFF.flags, true) !== 0) return errno(ERRNO.EINVAL);
  let tunFlags = 1 << IP_TUNNEL_BIT.NOCACHE;
  if (flags & BPF_F_DONT_FRAGMENT) tunFlags |= 1 << IP_TUNNEL_BIT.DONT_FRAGMENT;
  if (!(flags & BPF_F_ZERO_CSUM_TX)) tunFlags |= 1 << IP_TUNNEL_BIT.CSUM;
  if (flags & BPF_F_SEQ_NUMBER) tunFlags |= 1 << IP_TUNNEL_BIT.SEQ;
  if (!(flags & BPF_F_NO_TUNNEL_KEY)) tunFlags |= 1 << IP_TUNNEL_BIT.KEY;
  // IPv4 addresses are host-order u32s in the struct (cpu_to_be32 on the way in); IPv6 ones are bytes.
  const addr = (off: number): Uint8Array => {
    if (ipv6) return key.slice(off, off + 16);
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, v.getUint32(off, true));
    return out;
  };
  const info: TunnelInfo = {
    id: BigInt(v.getUint32(OFF.id, true)),
    ipv6,
    tx: true,
    dst: addr(OFF.remote),
    src: addr(OFF.local),
    tos: key[OFF.tos]!,
    ttl: key[OFF.ttl]!,
    label: ipv6 ? label & IPV6_FLOWLABEL_MASK : 0,
    flags: tunFlags,
    options: new Uint8Array(0),
  };
  skbState(env.mem).tunnel = info;
  return 0n;
};

/** ip_tunnel_flags_to_be16: the low 16 tun_flags bits as the __be16 bpf_tunnel_key.tunnel_flags holds. */
function flagsBe16(flags: number): number {
  return flags & 0xffff;
}

/**
 * bpf_skb_get_tunnel_key(skb, key, size, flags): the skb's tunnel info with key.src as remote and
 * key.dst as local (so a key set on this skb reads back with the two swapped, as in the kernel);
 * -EINVAL without tunnel info or for unknown flags or sizes, -EPROTO when BPF_F_TUNINFO_IPV6 does
 * not match its family; `key` is zeroed on error. BPF_F_TUNINFO_FLAGS fills tunnel_flags.
 */
export const skbGetTunnelKey: HelperFn = (env, _r1, r2, r3, r4) => {
  const size = u32(r3);
  const to = memAt(env, r2, size, true);
  const info = skbState(env.mem).tunnel;
  const flags = r4;
  const fail = (e: number): bigint => {
    to.fill(0);
    return errno(e);
  };
  if (!info || flags & ~(BPF_F_TUNINFO_IPV6 | BPF_F_TUNINFO_FLAGS)) return fail(ERRNO.EINVAL);
  if (info.ipv6 !== ((flags & BPF_F_TUNINFO_IPV6) !== 0n)) return fail(ERRNO.EPROTO);
  if (size !== KEY_SIZE && !(COMPAT_SIZES.has(size) && (size !== 8 || !info.ipv6))) return fail(ERRNO.EINVAL);
  const key = new Uint8Array(KEY_SIZE);
  const v = new DataView(key.buffer);
  v.setUint32(OFF.id, Number(info.id & 0xffff_ffffn), true);
  key[OFF.tos] = info.tos;
  key[OFF.ttl] = info.ttl;
  if (flags & BPF_F_TUNINFO_FLAGS) v.setUint16(OFF.flags, flagsBe16(info.flags), false);
  if (info.ipv6) {
    key.set(info.src, OFF.remote);
    key.set(info.dst, OFF.local);
    v.setUint32(OFF.label, info.label, true);
  } else {
    v.setUint32(OFF.remote, new DataView(info.src.buffer).getUint32(0), true);
    v.setUint32(OFF.local, new DataView(info.dst.buffer).getUint32(0), true);
  }
  to.set(key.subarray(0, size));
  return 0n;
};

/**
 * bpf_skb_set_tunnel_opt(skb, opt, size): options for the tunnel info bpf_skb_set_tunnel_key
 * attached in this run; -EINVAL without it (received metadata included) or for a size not a
 * multiple of 4, -ENOMEM above 255.
 */
export const skbSetTunnelOpt: HelperFn = (env, _r1, r2, r3) => {
  const size = u32(r3);
  const from = memAt(env, r2, size, false);
  const info = skbState(env.mem).tunnel;
  if (!info || !info.tx || size & 3) return errno(ERRNO.EINVAL);
  if (size > OPTS_MAX) return errno(ERRNO.ENOMEM);
  info.options = from.slice();
  if (size > 0) info.flags |= OPTIONS_PRESENT;
  return 0n;
};

/**
 * bpf_skb_get_tunnel_opt(skb, opt, size): copies the options, zero-fills the rest of `opt` and
 * returns their length; -ENOENT without options, -ENOMEM when `size` is too small.
 */
export const skbGetTunnelOpt: HelperFn = (env, _r1, r2, r3) => {
  const size = u32(r3);
  const to = memAt(env, r2, size, true);
  const info = skbState(env.mem).tunnel;
  if (!info || !(info.flags & OPTIONS_PRESENT)) {
    to.fill(0);
    return errno(ERRNO.ENOENT);
  }
  if (size < info.options.length) {
    to.fill(0);
    return errno(ERRNO.ENOMEM);
  }
  to.fill(0);
  to.set(info.options);
  return BigInt(info.options.length);
};
