import { BPF_FIB_LKUP_RET as R, BPF_FIB_LOOKUP_DIRECT, BPF_FIB_LOOKUP_OUTPUT, BPF_FIB_LOOKUP_SKIP_NEIGH, BPF_PROG_TYPE } from '../../uapi/bpf.js';
import { ERRNO } from '../../uapi/errno.js';
import { FuncBody, I32, I64, Op } from '../../vm/wasm/encoder.js';
import type { InlineForm, InlineFunction, InlineSite } from '../../vm/wasm/inline-api.js';
import { AF_INET, AF_INET6, FIB_LOOKUP } from '../fib-lookup.js';
import { FIB_LAYOUT, FIB_ROUTE_KIND, FIB_TABLE_BIT } from './fib-tables.js';
import { INLINE_STATE } from './state.js';

const VARIANT_XDP = 0;
const VARIANT_TC = 1;

/** bpf_fib_lookup flags the inline form handles: DIRECT, OUTPUT, SKIP_NEIGH. */
const INLINE_FLAGS = BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_OUTPUT | BPF_FIB_LOOKUP_SKIP_NEIGH;

/**
 * bpf_fib_lookup(ctx, params = r2, plen = r3, flags = r4) answered in generated code (the
 * `fib_lookup` function below) while r2 is below 2^32 with the 64-byte struct on the live stack
 * or in the packet (where the helper's VmMemory.check would let it write), plen is 64, the flags
 * are ones it handles and the function does not hand the call back (FIB_FALLBACK); the helper
 * answers every other case, faults included. The TC variant leaves calls without tot_len to it.
 */
export const fibLookupInline: InlineForm = {
  name: 'bpf_fib_lookup',
  variants: 2,
  variantFor: (progType) =>
    progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP ? VARIANT_XDP : progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS || progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT ? VARIANT_TC : -1,
  emit(site: InlineSite): number {
    const { f } = site;
    const r2 = site.reg(2);
    const t = site.t64;
    site.allowed();
    f.get(r2).i64(32).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_and);
    f.get(site.reg(3)).op(Op.i32_wrap_i64).i32(FIB_LOOKUP.SIZE).op(Op.i32_eq).op(Op.i32_and);
    f.get(site.reg(4)).op(Op.i32_wrap_i64).i32(~INLINE_FLAGS).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and);
    f.if(I32);
    // The live stack or the packet.
    f.get(r2).get(site.stackStart).op(Op.i64_sub).tee(t).get(site.stackSpan).op(Op.i64_le_u);
    f.get(t).i64(FIB_LOOKUP.SIZE).op(Op.i64_add).get(site.stackSpan).op(Op.i64_le_u).op(Op.i32_and);
    f.get(r2).get(site.packetStart).op(Op.i64_sub).tee(t).get(site.packetLen).op(Op.i64_lt_u);
    f.get(t).i64(FIB_LOOKUP.SIZE).op(Op.i64_add).get(site.packetLen).op(Op.i64_le_u).op(Op.i32_and).op(Op.i32_or);
    f.if(I32);
    f.get(r2).op(Op.i32_wrap_i64).get(site.reg(4)).op(Op.i32_wrap_i64);
    site.allowed(VARIANT_TC);
    f.call(site.func(fibLookup));
    f.op(Op.else);
    f.i32(FIB_FALLBACK);
    f.end();
    f.op(Op.else);
    f.i32(FIB_FALLBACK);
    f.end();
    f.tee(site.t32).i32(FIB_FALLBACK).op(Op.i32_ne).if(I64);
    f.get(site.t32).op(Op.i64_extend_i32_s);
    f.op(Op.else);
    return 1;
  },
};

/** What `fibLookup` returns when the helper must answer instead (nothing was written). */
const FIB_FALLBACK = -0x8000_0000;

/** dev = the interface entry at `tab` whose ifindex is on the stack (kept in `key`), or 0; `e` and `end` are scratch. */
function emitFindIface(f: FuncBody, tab: number, key: number, dev: number, e: number, end: number): void {
  const L = FIB_LAYOUT;
  f.set(key);
  f.i32(0).set(dev);
  f.get(tab).mem(Op.i32_load, L.IFACES).tee(e).get(tab).mem(Op.i32_load, L.N_IFACES).i32(L.IFACE_SIZE).op(Op.i32_mul).op(Op.i32_add).set(end);
  f.block();
  f.loop();
  f.get(e).get(end).op(Op.i32_ge_u).brIf(1);
  f.get(e).mem(Op.i32_load, L.IF_INDEX).get(key).op(Op.i32_eq).if();
  f.get(e).set(dev).br(2);
  f.end();
  f.get(e).i32(L.IFACE_SIZE).op(Op.i32_add).set(e);
  f.br(0);
  f.end();
  f.end();
}

/** The MTU check against tot_len (FRAG_NEEDED with the MTU written back), then the route's metric and the egress ifindex (also kept in `ifindex`). */
function emitEgress(f: FuncBody, p: number, route: number, metricAt: number, dev: number, mtu: number, ifindex: number): void {
  f.get(p).mem(Op.i32_load16_u, FIB_LOOKUP.tot_len).get(mtu).op(Op.i32_gt_u).if();
  f.get(p).get(mtu).mem(Op.i32_store16, FIB_LOOKUP.tot_len);
  f.i32(R.BPF_FIB_LKUP_RET_FRAG_NEEDED).op(Op.return);
  f.end();
  f.get(p).get(route).mem(Op.i32_load, metricAt).mem(Op.i32_store, FIB_LOOKUP.rt_metric);
  f.get(p).get(dev).mem(Op.i32_load, FIB_LAYOUT.IF_INDEX).tee(ifindex).mem(Op.i32_store, FIB_LOOKUP.ifindex);
}

/** dmac from the neighbour entry `nb` (its MAC at `macAt`), smac from the device: six bytes each. */
function emitMacs(f: FuncBody, p: number, nb: number, macAt: number, dev: number): void {
  f.get(p).get(nb).mem(Op.i32_load, macAt).mem(Op.i32_store, FIB_LOOKUP.dmac);
  f.get(p).get(nb).mem(Op.i32_load16_u, macAt + 4).mem(Op.i32_store16, FIB_LOOKUP.dmac + 4);
  f.get(p).get(dev).mem(Op.i32_load, FIB_LAYOUT.IF_MAC).mem(Op.i32_store, FIB_LOOKUP.smac);
  f.get(p).get(dev).mem(Op.i32_load16_u, FIB_LAYOUT.IF_MAC + 4).mem(Op.i32_store16, FIB_LOOKUP.smac + 4);
}

/** bpf_fib_set_fwd_params: no VLAN, and the MTU; the lookup succeeded. */
function emitFwdParams(f: FuncBody, p: number, mtu: number): void {
  f.get(p).i32(0).mem(Op.i32_store, FIB_LOOKUP.tbid);
  f.get(p).get(mtu).mem(Op.i32_store16, FIB_LOOKUP.tot_len);
  f.i32(0);
}

/**
 * `fibLookup(p, flags, tc)`: bpf_fib_lookup for AF_INET as src/helpers/fib-lookup.ts fibLookupAt
 * computes it, on the 64-byte struct at `p` (the caller has checked it is writable and `flags`
 * holds no more than DIRECT, OUTPUT, SKIP_NEIGH), over the FIB tables at INLINE_STATE.FIB_TABLES
 * (fib-tables.ts FIB_LAYOUT). Returns the BPF_FIB_LKUP_RET_* code or a negative errno, with the
 * struct's fields written as the helper writes them; or FIB_FALLBACK, having written nothing,
 * for what it leaves to the helper: no tables, another family, a TC call without tot_len (the
 * skb's own MTU check), a route through an IPv6 gateway.
 */
function fibLookupBody(lookup6: number): FuncBody {
  const f = new FuncBody(3);
  const [P, FLAGS, TC] = [0, 1, 2];
  const tab = f.local(I32);
  const e = f.local(I32);
  const end = f.local(I32);
  const ifindex = f.local(I32);
  const dev = f.local(I32);
  const d = f.local(I32);
  const route = f.local(I32);
  const mtu = f.local(I32);
  const hop = f.local(I32);
  const oif = f.local(I32);
  const key = f.local(I32);
  const L = FIB_LAYOUT;
  const fallback = (): void => {
    f.i32(FIB_FALLBACK).op(Op.return);
  };
  const ret = (code: number): void => {
    f.i32(code).op(Op.return);
  };
  const findIface = (): void => emitFindIface(f, tab, key, dev, e, end);
  f.i32(0).mem(Op.i32_load, INLINE_STATE.FIB_TABLES).tee(tab).op(Op.i32_eqz).if();
  fallback();
  f.end();
  // bpf_skb_fib_lookup without tot_len checks the skb itself (is_skb_forwardable): the helper's.
  f.get(TC).i32(0).op(Op.i32_ne).get(P).mem(Op.i32_load16_u, FIB_LOOKUP.tot_len).op(Op.i32_eqz).op(Op.i32_and).if();
  fallback();
  f.end();
  f.get(P).mem(Op.i32_load8_u, FIB_LOOKUP.family).tee(e).i32(AF_INET6).op(Op.i32_eq).if();
  f.get(P).get(FLAGS).get(tab).call(lookup6).op(Op.return);
  f.end();
  f.get(e).i32(AF_INET).op(Op.i32_ne).if();
  fallback();
  f.end();
  f.get(P).mem(Op.i32_load, FIB_LOOKUP.ifindex).tee(ifindex);
  findIface();
  f.get(dev).op(Op.i32_eqz).if();
  ret(-ERRNO.ENODEV);
  f.end();
  f.get(tab).mem(Op.i32_load, L.FORWARDING).op(Op.i32_eqz).if();
  ret(R.BPF_FIB_LKUP_RET_FWD_DISABLED);
  f.end();
  f.get(ifindex).i32(0).get(FLAGS).i32(BPF_FIB_LOOKUP_OUTPUT).op(Op.i32_and).op(Op.select).set(oif);
  // The first route in lookup order that holds ipv4_dst: an error route whatever its device,
  // another only through `oif` when one is asked for (SimNetwork.search4).
  f.get(P).mem(Op.i32_load, FIB_LOOKUP.dst).set(d);
  f.get(tab).mem(Op.i32_load, L.ROUTES).tee(route).get(tab).mem(Op.i32_load, L.N_ROUTES).i32(L.ROUTE_SIZE).op(Op.i32_mul).op(Op.i32_add).set(end);
  f.block();
  f.loop();
  f.get(route).get(end).op(Op.i32_ge_u).if();
  ret(R.BPF_FIB_LKUP_RET_NOT_FWDED); // no route
  f.end();
  f.get(d).get(route).mem(Op.i32_load, L.RT_VALUE).op(Op.i32_xor).get(route).mem(Op.i32_load, L.RT_MASK).op(Op.i32_and).op(Op.i32_eqz).if();
  f.get(route).mem(Op.i32_load, L.RT_KIND).i32(FIB_ROUTE_KIND.ERROR).op(Op.i32_eq).if();
  f.get(route).mem(Op.i32_load, L.RT_CODE).op(Op.return);
  f.end();
  f.get(oif).op(Op.i32_eqz).get(route).mem(Op.i32_load, L.RT_DEV).get(oif).op(Op.i32_eq).op(Op.i32_or).brIf(2);
  f.end();
  f.get(route).i32(L.ROUTE_SIZE).op(Op.i32_add).set(route);
  f.br(0);
  f.end();
  f.end();
  f.get(route).mem(Op.i32_load, L.RT_KIND).tee(e).i32(FIB_ROUTE_KIND.NOT_FWDED).op(Op.i32_eq).if();
  ret(R.BPF_FIB_LKUP_RET_NOT_FWDED);
  f.end();
  f.get(e).i32(FIB_ROUTE_KIND.UNICAST).op(Op.i32_ne).if();
  fallback();
  f.end();
  f.get(route).mem(Op.i32_load, L.RT_DEV);
  findIface();
  // The MTU check (checkMtu: always for XDP, with tot_len for TC): min(mtu, 0xffff).
  f.get(dev).mem(Op.i32_load, L.IF_MTU).tee(mtu).i32(0xffff).get(mtu).i32(0xffff).op(Op.i32_lt_u).op(Op.select).set(mtu);
  emitEgress(f, P, route, L.RT_METRIC, dev, mtu, ifindex);
  // The next hop: ipv4_dst, or the gateway, which replaces it.
  f.get(P).mem(Op.i32_load, FIB_LOOKUP.dst).set(hop);
  f.get(route).mem(Op.i32_load, L.RT_HAS_GW).if();
  f.get(P).get(route).mem(Op.i32_load, L.RT_GATEWAY).tee(hop).mem(Op.i32_store, FIB_LOOKUP.dst);
  f.end();
  f.get(FLAGS).i32(BPF_FIB_LOOKUP_SKIP_NEIGH).op(Op.i32_and).op(Op.i32_eqz).if();
  f.get(tab).mem(Op.i32_load, L.NEIGH).tee(e).get(tab).mem(Op.i32_load, L.N_NEIGH).i32(L.NEIGH_SIZE).op(Op.i32_mul).op(Op.i32_add).set(end);
  f.block();
  f.loop();
  f.get(e).get(end).op(Op.i32_ge_u).if();
  ret(R.BPF_FIB_LKUP_RET_NO_NEIGH);
  f.end();
  f.get(e).mem(Op.i32_load, L.NB_IP).get(hop).op(Op.i32_eq).get(e).mem(Op.i32_load, L.NB_DEV).get(ifindex).op(Op.i32_eq).op(Op.i32_and).brIf(1);
  f.get(e).i32(L.NEIGH_SIZE).op(Op.i32_add).set(e);
  f.br(0);
  f.end();
  f.end();
  emitMacs(f, P, e, L.NB_MAC, dev);
  f.end();
  emitFwdParams(f, P, mtu);
  return f;
}

/**
 * `fibLookup6(p, flags, tab)`: fibLookup's AF_INET6 half, as fibLookupAt computes it for IPv6 over
 * the tables at `tab`: a link-local, multicast or loopback source or destination is not forwarded
 * (rt6_need_strict); the local then the main table (the main one only with DIRECT), each route's
 * 128-bit prefix compared as two 64-bit words; the MTU at least 1280; a gateway replaces
 * ipv6_dst before the neighbour is looked up.
 */
function fibLookup6Body(): FuncBody {
  const f = new FuncBody(3);
  const [P, FLAGS, TAB] = [0, 1, 2];
  const e = f.local(I32);
  const end = f.local(I32);
  const dev = f.local(I32);
  const route = f.local(I32);
  const mtu = f.local(I32);
  const ifindex = f.local(I32);
  const tables = f.local(I32);
  const lo = f.local(I64);
  const hi = f.local(I64);
  const L = FIB_LAYOUT;
  const ret = (code: number): void => {
    f.i32(code).op(Op.return);
  };
  const findIface = (): void => emitFindIface(f, TAB, ifindex, dev, e, end);
  // ff00::/8, fe80::/10, ::1 (ipv6NeedsStrict), for the source and the destination.
  for (const at of [FIB_LOOKUP.src, FIB_LOOKUP.dst]) {
    f.get(P).mem(Op.i32_load8_u, at).tee(e).i32(0xff).op(Op.i32_eq);
    f.get(e).i32(0xfe).op(Op.i32_eq).get(P).mem(Op.i32_load8_u, at + 1).i32(0xc0).op(Op.i32_and).i32(0x80).op(Op.i32_eq).op(Op.i32_and).op(Op.i32_or);
    f.get(P).mem(Op.i64_load, at).op(Op.i64_eqz).get(P).mem(Op.i64_load, at + 8).i64(1n << 56n).op(Op.i64_eq).op(Op.i32_and).op(Op.i32_or);
    f.if();
    ret(R.BPF_FIB_LKUP_RET_NOT_FWDED);
    f.end();
  }
  f.get(P).mem(Op.i32_load, FIB_LOOKUP.ifindex);
  findIface();
  f.get(dev).op(Op.i32_eqz).if();
  ret(-ERRNO.ENODEV);
  f.end();
  f.get(TAB).mem(Op.i32_load, L.FORWARDING).op(Op.i32_eqz).if();
  ret(R.BPF_FIB_LKUP_RET_FWD_DISABLED);
  f.end();
  // DIRECT (without TBID, which the helper answers) looks in the main table only.
  f.i32(FIB_TABLE_BIT.MAIN).i32(FIB_TABLE_BIT.MAIN | FIB_TABLE_BIT.LOCAL).get(FLAGS).i32(BPF_FIB_LOOKUP_DIRECT).op(Op.i32_and).op(Op.select).set(tables);
  f.get(P).mem(Op.i64_load, FIB_LOOKUP.dst).set(lo);
  f.get(P).mem(Op.i64_load, FIB_LOOKUP.dst + 8).set(hi);
  f.get(TAB).mem(Op.i32_load, L.ROUTES6).tee(route).get(TAB).mem(Op.i32_load, L.N_ROUTES6).i32(L.ROUTE6_SIZE).op(Op.i32_mul).op(Op.i32_add).set(end);
  f.block();
  f.loop();
  f.get(route).get(end).op(Op.i32_ge_u).if();
  ret(R.BPF_FIB_LKUP_RET_NOT_FWDED); // no route
  f.end();
  f.get(route).mem(Op.i32_load, L.RT6_TABLE).get(tables).op(Op.i32_and).i32(0).op(Op.i32_ne);
  f.get(lo).get(route).mem(Op.i64_load, L.RT6_VALUE).op(Op.i64_xor).get(route).mem(Op.i64_load, L.RT6_MASK).op(Op.i64_and);
  f.get(hi).get(route).mem(Op.i64_load, L.RT6_VALUE + 8).op(Op.i64_xor).get(route).mem(Op.i64_load, L.RT6_MASK + 8).op(Op.i64_and);
  f.op(Op.i64_or).op(Op.i64_eqz).op(Op.i32_and).brIf(1);
  f.get(route).i32(L.ROUTE6_SIZE).op(Op.i32_add).set(route);
  f.br(0);
  f.end();
  f.end();
  f.get(route).mem(Op.i32_load, L.RT6_KIND).tee(e).i32(FIB_ROUTE_KIND.ERROR).op(Op.i32_eq).if();
  f.get(route).mem(Op.i32_load, L.RT6_CODE).op(Op.return);
  f.end();
  f.get(e).i32(FIB_ROUTE_KIND.NOT_FWDED).op(Op.i32_eq).if();
  ret(R.BPF_FIB_LKUP_RET_NOT_FWDED);
  f.end();
  f.get(e).i32(FIB_ROUTE_KIND.UNICAST).op(Op.i32_ne).if();
  f.i32(FIB_FALLBACK).op(Op.return);
  f.end();
  f.get(route).mem(Op.i32_load, L.RT6_DEV);
  findIface();
  // The MTU check (XDP always, TC with tot_len): IPv6's minimum MTU is 1280.
  f.get(dev).mem(Op.i32_load, L.IF_MTU).tee(mtu).i32(1280).get(mtu).i32(1280).op(Op.i32_gt_u).op(Op.select).set(mtu);
  emitEgress(f, P, route, L.RT6_METRIC, dev, mtu, ifindex);
  // The next hop: ipv6_dst, or the gateway, which replaces it.
  f.get(route).mem(Op.i32_load, L.RT6_HAS_GW).if();
  f.get(route).mem(Op.i64_load, L.RT6_GATEWAY).set(lo);
  f.get(route).mem(Op.i64_load, L.RT6_GATEWAY + 8).set(hi);
  f.get(P).get(lo).mem(Op.i64_store, FIB_LOOKUP.dst);
  f.get(P).get(hi).mem(Op.i64_store, FIB_LOOKUP.dst + 8);
  f.end();
  f.get(FLAGS).i32(BPF_FIB_LOOKUP_SKIP_NEIGH).op(Op.i32_and).op(Op.i32_eqz).if();
  f.get(TAB).mem(Op.i32_load, L.NEIGH6).tee(e).get(TAB).mem(Op.i32_load, L.N_NEIGH6).i32(L.NEIGH6_SIZE).op(Op.i32_mul).op(Op.i32_add).set(end);
  f.block();
  f.loop();
  f.get(e).get(end).op(Op.i32_ge_u).if();
  ret(R.BPF_FIB_LKUP_RET_NO_NEIGH);
  f.end();
  f.get(e).mem(Op.i64_load, L.NB6_IP).get(lo).op(Op.i64_eq);
  f.get(e).mem(Op.i64_load, L.NB6_IP + 8).get(hi).op(Op.i64_eq).op(Op.i32_and);
  f.get(e).mem(Op.i32_load, L.NB6_DEV).get(ifindex).op(Op.i32_eq).op(Op.i32_and).brIf(1);
  f.get(e).i32(L.NEIGH6_SIZE).op(Op.i32_add).set(e);
  f.br(0);
  f.end();
  f.end();
  emitMacs(f, P, e, L.NB6_MAC, dev);
  f.end();
  emitFwdParams(f, P, mtu);
  return f;
}

const fibLookup6: InlineFunction = {
  name: 'fib_lookup6',
  params: [I32, I32, I32],
  results: [I32],
  body: fibLookup6Body,
};

const fibLookup: InlineFunction = {
  name: 'fib_lookup',
  params: [I32, I32, I32],
  results: [I32],
  body: (func) => fibLookupBody(func(fibLookup6)),
};
