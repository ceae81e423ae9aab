import type { HelperFn, RunEnv } from '../vm/env.js';
import { ERRNO } from '../uapi/errno.js';
import { addrOf, errno, helperFault, memAt, s32, u32 } from './args.js';
import { IPS, msecsToJiffies, NF_CT_DEFAULT_ZONE_DIR, invertTuple, type CtEntry, type CtTuple, type CtZone, type SimConntrack } from './conntrack-table.js';
import type { SimKernel } from './kernel-state.js';

/**
 * The conntrack kfuncs of net/netfilter/nf_conntrack_bpf.c and nf_nat_bpf.c (Linux 6.18) over the
 * simulated namespace's table (conntrack-table.ts). Argument errors go where the kernel puts
 * them: into `opts->error` with a NULL return.
 */

/** sizeof(struct bpf_ct_opts) (NF_BPF_CT_OPTS_SZ) and the 12 bytes of the layout before zones. */
const OPTS_SZ = 16;
const OPTS_OLD_SZ = 12;
/** Offsets in struct bpf_ct_opts. */
const OPT = { netnsId: 0, error: 4, l4proto: 8, dir: 9, zoneId: 10, zoneDir: 12, reserved: 13 } as const;
/** sizeof(bpf_sock_tuple.ipv4), sizeof(bpf_sock_tuple.ipv6). */
const TUPLE_V4 = 12;
const TUPLE_V6 = 36;
/** BPF_F_CURRENT_NETNS. */
const CURRENT_NETNS = -1;
/** The timeout bpf_xdp_ct_alloc and bpf_skb_ct_alloc give a new entry: 10 s, in jiffies at HZ=250. */
const ALLOC_TIMEOUT = 10 * 250;

type Parsed = { family: 4 | 6; proto: number; tuple: CtTuple; zone: CtZone };

/** The checks shared by alloc and lookup (__bpf_nf_ct_alloc_entry, __bpf_nf_ct_lookup), as a negative errno or the parsed request. */
function parseRequest(env: RunEnv, tupleReg: bigint, tupleSz: number, opts: Uint8Array, optsSz: number, lookup: boolean): number | Parsed {
  const v = new DataView(opts.buffer, opts.byteOffset, opts.byteLength);
  if (tupleReg === 0n) return -ERRNO.EINVAL;
  if (optsSz !== OPTS_SZ && optsSz !== OPTS_OLD_SZ) return -ERRNO.EINVAL;
  if (optsSz === OPTS_SZ) {
    if (opts[OPT.reserved] || opts[OPT.reserved + 1] || opts[OPT.reserved + 2]) return -ERRNO.EINVAL;
  } else if (v.getUint16(OPT.zoneId, true) !== 0) {
    return -ERRNO.EINVAL;
  }
  const proto = opts[OPT.l4proto]!;
  const protoOk = proto === 6 || proto === 17;
  // The lookup checks the protocol before the namespace id; alloc's tuple parse checks it after.
  if (lookup && !protoOk) return -ERRNO.EPROTO;
  const netnsId = v.getInt32(OPT.netnsId, true);
  if (netnsId < CURRENT_NETNS) return -ERRNO.EINVAL;
  if (!protoOk) return -ERRNO.EPROTO;
  if (tupleSz !== TUPLE_V4 && tupleSz !== TUPLE_V6) return -ERRNO.EAFNOSUPPORT;
  // The simulated namespace has no peer namespaces with ids (a fresh one has none): get_net_ns_by_id finds nothing.
  if (netnsId >= 0) return -ERRNO.ENONET;
  const family = tupleSz === TUPLE_V4 ? 4 : 6;
  const n = family === 4 ? 4 : 16;
  const raw = memAt(env, tupleReg, tupleSz, false).slice();
  const ports = new DataView(raw.buffer, 2 * n, 4);
  const tuple = { src: raw.slice(0, n), dst: raw.slice(n, 2 * n), sport: ports.getUint16(0, false), dport: ports.getUint16(2, false) };
  let zone: CtZone = { id: 0, dir: NF_CT_DEFAULT_ZONE_DIR };
  if (optsSz === OPTS_SZ) {
    if (opts[OPT.zoneDir] === 0) opts[OPT.zoneDir] = NF_CT_DEFAULT_ZONE_DIR;
    zone = { id: v.getUint16(OPT.zoneId, true), dir: opts[OPT.zoneDir]! };
  }
  return { family, proto, tuple, zone };
}

/** opts->error = err; return NULL. */
function fail(opts: Uint8Array, err: number): bigint {
  new DataView(opts.buffer, opts.byteOffset, opts.byteLength).setInt32(OPT.error, err, true);
  return 0n;
}

/** The opts bytes, or undefined for a NULL opts (the kfunc then returns NULL, writing nothing). */
function optsAt(env: RunEnv, optsReg: bigint, optsSz: number): Uint8Array | undefined {
  if (optsReg === 0n) return undefined;
  // What the verifier checked: opts__sz bytes; the error field is written back within them.
  return memAt(env, optsReg, Math.max(optsSz, OPT.error + 4), true);
}

/** bpf_xdp_ct_lookup and bpf_skb_ct_lookup: a referenced `struct nf_conn *`, or NULL with opts->error set; opts->dir is the direction found. */
export function ctLookup(kernel: SimKernel): HelperFn {
  return (env, _ctx, tupleReg, tupleSzReg, optsReg, optsSzReg) => {
    const table = tableOf(kernel, env);
    const optsSz = u32(optsSzReg);
    const opts = optsAt(env, optsReg, optsSz);
    if (!opts) return 0n;
    const req = parseRequest(env, tupleReg, u32(tupleSzReg), opts, optsSz, true);
    if (typeof req === 'number') return fail(opts, req);
    const hit = table.find(req.family, req.proto, req.tuple, req.zone);
    if (!hit) return fail(opts, -ERRNO.ENOENT);
    opts[OPT.dir] = hit.dir;
    return BigInt(hit.entry.addr);
  };
}

/** bpf_xdp_ct_alloc and bpf_skb_ct_alloc: an unconfirmed `struct nf_conn___init *` with a 10 s timeout, or NULL with opts->error set. */
export function ctAlloc(kernel: SimKernel): HelperFn {
  return (env, _ctx, tupleReg, tupleSzReg, optsReg, optsSzReg) => {
    const table = tableOf(kernel, env);
    const optsSz = u32(optsSzReg);
    const opts = optsAt(env, optsReg, optsSz);
    if (!opts) return 0n;
    const req = parseRequest(env, tupleReg, u32(tupleSzReg), opts, optsSz, false);
    if (typeof req === 'number') return fail(opts, req);
    return BigInt(table.alloc(req.family, req.proto, req.tuple, req.zone, ALLOC_TIMEOUT).addr);
  };
}

function tableOf(kernel: SimKernel, env: RunEnv): SimConntrack {
  kernel.conntrack.bind(env.mem);
  return kernel.conntrack;
}

/** The entry `reg` points at; a fault when it is none (the verifier makes sure it is, for a verified program). */
function entryArg(kernel: SimKernel, env: RunEnv, reg: bigint, kfunc: string, inserted: boolean | undefined): CtEntry {
  const e = tableOf(kernel, env).at(addrOf(reg));
  if (!e || (inserted !== undefined && e.inserted !== inserted)) {
    const what = inserted === false ? 'an allocated, not yet inserted entry' : 'a conntrack entry a kfunc returned';
    throw helperFault(env, kfunc, 'helper/bad-conntrack-entry', `argument is not ${what} (0x${BigInt.asUintN(64, reg).toString(16)})`);
  }
  return e;
}

/** bpf_ct_insert_entry: the entry, confirmed, or NULL (the entry freed) when its tuples are taken. */
export function ctInsertEntry(kernel: SimKernel): HelperFn {
  return (env, nfct) => {
    const e = entryArg(kernel, env, nfct, 'bpf_ct_insert_entry', false);
    return kernel.conntrack.insert(e) === 0 ? BigInt(e.addr) : 0n;
  };
}

/** bpf_ct_release: drops the reference (nf_ct_put); NULL is allowed. */
export function ctRelease(kernel: SimKernel): HelperFn {
  return (env, nfct) => {
    if (nfct !== 0n) entryArg(kernel, env, nfct, 'bpf_ct_release', undefined);
    return 0n;
  };
}

/** bpf_ct_set_timeout(nfct, ms): the relative timeout of an entry not yet inserted. */
export function ctSetTimeout(kernel: SimKernel): HelperFn {
  return (env, nfct, ms) => {
    kernel.conntrack.setTimeout(entryArg(kernel, env, nfct, 'bpf_ct_set_timeout', false), msecsToJiffies(u32(ms)));
    return 0n;
  };
}

/** bpf_ct_change_timeout(nfct, ms) (__nf_ct_change_timeout): -EPERM for a fixed timeout, else now + ms; -ETIME for a dying entry. */
export function ctChangeTimeout(kernel: SimKernel): HelperFn {
  return (env, nfct, ms) => {
    const e = entryArg(kernel, env, nfct, 'bpf_ct_change_timeout', undefined);
    const table = kernel.conntrack;
    if (table.status(e) & IPS.FIXED_TIMEOUT) return errno(ERRNO.EPERM);
    table.setTimeout(e, msecsToJiffies(u32(ms)));
    return table.status(e) & IPS.DYING ? errno(ERRNO.ETIME) : 0n;
  };
}

/** bpf_ct_set_status and bpf_ct_change_status (nf_ct_change_status_common). */
export function ctChangeStatus(kernel: SimKernel, name: string, inserted: boolean | undefined): HelperFn {
  return (env, nfct, status) => {
    const r = kernel.conntrack.changeStatus(entryArg(kernel, env, nfct, name, inserted), u32(status));
    return r === 0 ? 0n : errno(-r);
  };
}

/**
 * bpf_ct_set_nat_info(nfct, addr, port, manip) (net/netfilter/nf_nat_bpf.c, nf_nat_setup_info):
 * maps the source (manip 0) or destination to `addr` (and `port` when above 0): the reply tuple
 * becomes the inverse of the mapped one, with IPS_SRC_NAT/IPS_DST_NAT when that changed anything,
 * and IPS_*_NAT_DONE. A second setup of the same manip is -ENOMEM (NF_DROP). No clash search: the
 * mapped tuple is taken as given (a single address and port, as the kfunc's range always is).
 */
export function ctSetNatInfo(kernel: SimKernel): HelperFn {
  return (env, nfct, addrReg, portReg, manipReg) => {
    const e = entryArg(kernel, env, nfct, 'bpf_ct_set_nat_info', false);
    const table = kernel.conntrack;
    const src = u32(manipReg) === 0;
    if (table.status(e) & (src ? IPS.SRC_NAT_DONE : IPS.DST_NAT_DONE)) return errno(ERRNO.ENOMEM);
    const n = e.family === 4 ? 4 : 16;
    const addr = memAt(env, addrReg, 16, false).slice(0, n);
    const port = s32(portReg);
    const current = invertTuple(e.tuples[1]);
    const mapped: CtTuple = src
      ? { ...current, src: addr, sport: port > 0 ? port & 0xffff : current.sport }
      : { ...current, dst: addr, dport: port > 0 ? port & 0xffff : current.dport };
    const same = mapped.sport === current.sport && mapped.dport === current.dport && mapped.src.every((b, i) => b === current.src[i]) && mapped.dst.every((b, i) => b === current.dst[i]);
    if (!same) {
      e.tuples[1] = invertTuple(mapped);
      table.writeTuples(e);
      table.orStatus(e, src ? IPS.SRC_NAT : IPS.DST_NAT);
    }
    table.orStatus(e, src ? IPS.SRC_NAT_DONE : IPS.DST_NAT_DONE);
    return 0n;
  };
}
