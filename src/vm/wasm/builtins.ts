import { CTRL, FIB_LAYOUT, FIB_ROUTE_KIND, HASH_LAYOUT, LAYOUT } from '../layout.js';
import { FuncBody, I32, I64, Op } from './encoder.js';

/**
 * The module's own functions that the lowered code calls instead of crossing into JavaScript:
 * the slab-table bounds check, hash-map lookups on an index in VM memory, and bpf_csum_diff.
 * Each computes exactly what its JavaScript counterpart does (named in its comment).
 */

/**
 * `hashLookup(record, key)`: HashMap/LruHashMap.lookupAt without leaving wasm, on the index a
 * HASH_LAYOUT record (src/vm/layout.ts) describes: KeyTable.hash of the key's bytes, linear
 * probing until an empty bucket (-1), a slot whose hash and bytes match gives its value's
 * address on the run's CPU and sets its LRU ref bit when the map has them; 0 when absent.
 */
export function hashLookupBody(keyEq: number): FuncBody {
  const f = new FuncBody(2);
  const [REC, KEY] = [0, 1];
  const ks = f.local(I32);
  const h = f.local(I32);
  const k = f.local(I32);
  const i = f.local(I32);
  const end = f.local(I32);
  const sh = f.local(I32);
  const b = f.local(I32);
  const slot = f.local(I32);
  const ka = f.local(I32);
  const mix = (): void => {
    // k = rotl(k * c1, 15) * c2
    f.get(k).i32(0xcc9e2d51).op(Op.i32_mul).i32(15).op(Op.i32_rotl).i32(0x1b873593).op(Op.i32_mul);
  };
  f.get(REC).mem(Op.i32_load, HASH_LAYOUT.KEY_SIZE).tee(ks).i32(0x9747b28c).op(Op.i32_xor).set(h);
  f.get(KEY).tee(i).get(ks).op(Op.i32_add).set(end);
  f.block();
  f.loop();
  f.get(i).i32(4).op(Op.i32_add).get(end).op(Op.i32_gt_u).brIf(1);
  f.get(i).mem(Op.i32_load).set(k);
  mix();
  f.get(h).op(Op.i32_xor).i32(13).op(Op.i32_rotl).i32(5).op(Op.i32_mul).i32(0xe6546b64).op(Op.i32_add).set(h);
  f.get(i).i32(4).op(Op.i32_add).set(i);
  f.br(0);
  f.end();
  f.end();
  f.get(i).get(end).op(Op.i32_lt_u).if();
  f.i32(0).set(k);
  f.loop();
  f.get(k).get(i).mem(Op.i32_load8_u).get(sh).op(Op.i32_shl).op(Op.i32_or).set(k);
  f.get(sh).i32(8).op(Op.i32_add).set(sh);
  f.get(i).i32(1).op(Op.i32_add).tee(i).get(end).op(Op.i32_lt_u).brIf(0);
  f.end();
  mix();
  f.get(h).op(Op.i32_xor).set(h);
  f.end();
  // fmix32
  f.get(h).get(h).i32(16).op(Op.i32_shr_u).op(Op.i32_xor).i32(0x85ebca6b).op(Op.i32_mul).set(h);
  f.get(h).get(h).i32(13).op(Op.i32_shr_u).op(Op.i32_xor).i32(0xc2b2ae35).op(Op.i32_mul).set(h);
  f.get(h).get(h).i32(16).op(Op.i32_shr_u).op(Op.i32_xor).set(h);
  f.get(h).get(REC).mem(Op.i32_load, HASH_LAYOUT.MASK).op(Op.i32_and).set(b);
  f.loop();
  f.get(REC).mem(Op.i32_load, HASH_LAYOUT.INDEX).get(b).i32(2).op(Op.i32_shl).op(Op.i32_add).mem(Op.i32_load).tee(slot);
  f.i32(0).op(Op.i32_lt_s).if();
  f.i64(0).op(Op.return);
  f.end();
  f.get(REC).mem(Op.i32_load, HASH_LAYOUT.HASHES).get(slot).i32(2).op(Op.i32_shl).op(Op.i32_add).mem(Op.i32_load).get(h).op(Op.i32_eq).if();
  f.get(REC).mem(Op.i32_load, HASH_LAYOUT.KEYS).get(slot).get(ks).op(Op.i32_mul).op(Op.i32_add).set(ka);
  // A 4-byte key (an IPv4 address, an index) compares as one word, without the call.
  f.get(ks).i32(4).op(Op.i32_eq).if(I32);
  f.get(ka).mem(Op.i32_load).get(KEY).mem(Op.i32_load).op(Op.i32_eq);
  f.op(Op.else);
  f.get(ka).get(KEY).get(ks).call(keyEq);
  f.end();
  f.if();
  // A hit: the LRU's ref bit, then the value on this run's CPU.
  f.get(REC).mem(Op.i32_load, HASH_LAYOUT.REF).tee(k).if();
  f.get(k).get(slot).op(Op.i32_add).i32(1).mem(Op.i32_store8);
  f.end();
  f.get(REC).mem(Op.i32_load, HASH_LAYOUT.VALUE_ADDRS).get(slot).i32(2).op(Op.i32_shl).op(Op.i32_add).mem(Op.i64_load32_u);
  f.i32(LAYOUT.CTRL).mem(Op.i64_load32_u, CTRL.WASM_CPU).get(REC).mem(Op.i64_load32_u, HASH_LAYOUT.CPU_STRIDE).op(Op.i64_mul).op(Op.i64_add);
  f.op(Op.return);
  f.end();
  f.end();
  f.get(b).i32(1).op(Op.i32_add).get(REC).mem(Op.i32_load, HASH_LAYOUT.MASK).op(Op.i32_and).set(b);
  f.br(0);
  f.end();
  f.op(Op.unreachable);
  return f;
}

/**
 * `csumDiff(from, fromLen, to, toLen, seed)`: bpf_csum_diff as src/helpers/csum.ts bpfCsumDiffAt
 * computes it (Linux 6.18), on bytes the caller has checked: csum_partial of each side,
 * csum_sub, folded with csum_from32to16.
 */
export function csumDiffBody(csumPartial: number): FuncBody {
  const f = new FuncBody(5);
  const [FROM, FROM_LEN, TO, TO_LEN, SEED] = [0, 1, 2, 3, 4];
  const ret = f.local(I32);
  const a = f.local(I64);
  f.get(SEED).set(ret);
  f.get(FROM_LEN).i32(0).op(Op.i32_ne).get(TO_LEN).i32(0).op(Op.i32_ne).op(Op.i32_and).if();
  // csum_sub(partial(to, ret), partial(from, 0)) = csum_add(x, ~y): 32-bit add with end-around carry.
  f.get(TO).get(TO_LEN).get(ret).call(csumPartial).op(Op.i64_extend_i32_u);
  f.get(FROM).get(FROM_LEN).i32(0).call(csumPartial).i32(-1).op(Op.i32_xor).op(Op.i64_extend_i32_u);
  f.op(Op.i64_add).tee(a).get(a).i64(32).op(Op.i64_shr_u).op(Op.i64_add).op(Op.i32_wrap_i64).set(ret);
  f.op(Op.else);
  f.get(TO_LEN).if();
  f.get(TO).get(TO_LEN).get(ret).call(csumPartial).set(ret);
  f.op(Op.else);
  f.get(FROM_LEN).if();
  f.get(FROM).get(FROM_LEN).get(ret).i32(-1).op(Op.i32_xor).call(csumPartial).i32(-1).op(Op.i32_xor).set(ret);
  f.end();
  f.end();
  f.end();
  // csum_from32to16: (s + rotl(s, 16)) >> 16.
  f.get(ret).get(ret).i32(16).op(Op.i32_rotl).op(Op.i32_add).i32(16).op(Op.i32_shr_u);
  return f;
}

/**
 * `csumPartial(addr, len, seed)`: csum.ts csumPartialAt, the little-endian 32-bit words (the tail
 * zero-padded) added to `seed`, folded as 0 for a zero total, else 1 + (total - 1) mod (2^32 - 1).
 */
export function csumPartialBody(): FuncBody {
  const f = new FuncBody(3);
  const [ADDR, LEN, SEED] = [0, 1, 2];
  const total = f.local(I64);
  const full = f.local(I32);
  const i = f.local(I32);
  const tail = f.local(I64);
  f.get(SEED).op(Op.i64_extend_i32_u).set(total);
  f.get(ADDR).get(LEN).i32(-4).op(Op.i32_and).op(Op.i32_add).set(full);
  f.get(ADDR).set(i);
  f.block();
  f.loop();
  f.get(i).get(full).op(Op.i32_ge_u).brIf(1);
  f.get(total).get(i).mem(Op.i64_load32_u).op(Op.i64_add).set(total);
  f.get(i).i32(4).op(Op.i32_add).set(i);
  f.br(0);
  f.end();
  f.end();
  // The tail, from its last byte down: tail * 256 + byte.
  f.get(ADDR).get(LEN).op(Op.i32_add).set(i);
  f.block();
  f.loop();
  f.get(i).get(full).op(Op.i32_le_u).brIf(1);
  f.get(i).i32(1).op(Op.i32_sub).set(i);
  f.get(tail).i64(8).op(Op.i64_shl).get(i).mem(Op.i64_load8_u).op(Op.i64_or).set(tail);
  f.br(0);
  f.end();
  f.end();
  f.get(total).get(tail).op(Op.i64_add).tee(total).op(Op.i64_eqz).if(I32);
  f.i32(0);
  f.op(Op.else);
  f.get(total).i64(1).op(Op.i64_sub).i64(0xffff_ffffn).op(Op.i64_rem_u).i64(1).op(Op.i64_add).op(Op.i32_wrap_i64);
  f.end();
  return f;
}

/** `keyEq(a, b, n)`: 1 when the `n` bytes at `a` and at `b` are equal. */
export function keyEqBody(): FuncBody {
  const f = new FuncBody(3);
  const [A, B, N] = [0, 1, 2];
  const j = f.local(I32);
  f.block();
  f.loop();
  f.get(j).i32(8).op(Op.i32_add).get(N).op(Op.i32_gt_u).brIf(1);
  f.get(A).get(j).op(Op.i32_add).mem(Op.i64_load).get(B).get(j).op(Op.i32_add).mem(Op.i64_load).op(Op.i64_ne).if();
  f.i32(0).op(Op.return);
  f.end();
  f.get(j).i32(8).op(Op.i32_add).set(j);
  f.br(0);
  f.end();
  f.end();
  f.block();
  f.loop();
  f.get(j).get(N).op(Op.i32_ge_u).brIf(1);
  f.get(A).get(j).op(Op.i32_add).mem(Op.i32_load8_u).get(B).get(j).op(Op.i32_add).mem(Op.i32_load8_u).op(Op.i32_ne).if();
  f.i32(0).op(Op.return);
  f.end();
  f.get(j).i32(1).op(Op.i32_add).set(j);
  f.br(0);
  f.end();
  f.end();
  f.i32(1);
  return f;
}

/**
 * `slabOk(addr, size, write)`: VmMemory.check's slab case without leaving wasm, a binary search
 * of the control block's slab table (layout.ts WASM_SLABS). 1 when `size` bytes at `addr` lie
 * inside one value of a slab and a write is allowed there; 0 sends the access to `memCheck`,
 * which finds the same answer (or the fault) the slow way.
 */
export function slabCheck(hitStart: number, hitSize: number): FuncBody {
  const f = new FuncBody(3);
  const [ADDR, SIZE, WRITE] = [0, 1, 2];
  const a = f.local(I32);
  const lo = f.local(I32);
  const hi = f.local(I32);
  const mid = f.local(I32);
  const e = f.local(I32);
  const vs = f.local(I32);
  const at = LAYOUT.CTRL + CTRL.WASM_SLAB_ENTRIES;
  f.get(ADDR).i64(32).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_eqz).if();
  f.i32(0).op(Op.return);
  f.end();
  f.get(ADDR).op(Op.i32_wrap_i64).set(a);
  f.i32(LAYOUT.CTRL).mem(Op.i32_load, CTRL.WASM_SLABS).set(hi);
  f.block();
  f.loop();
  f.get(lo).get(hi).op(Op.i32_ge_u).brIf(1);
  f.get(lo).get(hi).op(Op.i32_add).i32(1).op(Op.i32_shr_u).tee(mid).i32(4).op(Op.i32_shl).set(e);
  f.get(a).get(e).mem(Op.i32_load, at).op(Op.i32_lt_u).if();
  f.get(mid).set(hi).br(1);
  f.end();
  f.get(a).get(e).mem(Op.i32_load, at + 4).op(Op.i32_ge_u).if();
  f.get(mid).i32(1).op(Op.i32_add).set(lo).br(1);
  f.end();
  f.get(e).mem(Op.i32_load, at + 12).set(vs);
  f.get(WRITE).get(vs).i32(31).op(Op.i32_shr_u).op(Op.i32_and).if();
  f.i32(0).op(Op.return);
  f.end();
  // The offset within the value, (a - base) % stride, without a division where it can: inside
  // the first value, or a power-of-two stride.
  f.get(a).get(e).mem(Op.i32_load, at).op(Op.i32_sub).set(lo);
  f.get(e).mem(Op.i32_load, at + 8).set(mid);
  f.get(lo).get(mid).op(Op.i32_lt_u).if(I32);
  f.get(lo);
  f.op(Op.else);
  f.get(mid).get(mid).i32(1).op(Op.i32_sub).op(Op.i32_and).op(Op.i32_eqz).if(I32);
  f.get(lo).get(mid).i32(1).op(Op.i32_sub).op(Op.i32_and);
  f.op(Op.else);
  f.get(lo).get(mid).op(Op.i32_rem_u);
  f.end();
  f.end();
  f.tee(mid).get(SIZE).op(Op.i32_add);
  f.get(vs).i32(0x7fff_ffff).op(Op.i32_and).tee(vs).op(Op.i32_le_u).if();
  // Yes: the value's start (addr - offset within it) and size, for the caller's site cache.
  f.get(a).get(mid).op(Op.i32_sub).op(Op.i64_extend_i32_u).gset(hitStart);
  f.get(vs).op(Op.i64_extend_i32_u).gset(hitSize);
  f.i32(1).op(Op.return);
  f.end();
  f.i32(0).op(Op.return);
  f.end();
  f.end();
  f.i32(0);
  return f;
}

/** What `fibLookup` returns when the helper must answer instead (nothing was written). */
export const FIB_FALLBACK = -0x8000_0000;

/**
 * `fibLookup(p, flags, tc)`: bpf_fib_lookup for AF_INET as src/helpers/fib-lookup.ts fibLookupAt
 * computes it, on the 64-byte struct at `p` (the caller has checked it is writable and `flags`
 * holds no more than DIRECT, OUTPUT, SKIP_NEIGH), over the FIB tables at CTRL.WASM_FIB
 * (layout.ts FIB_LAYOUT). Returns the BPF_FIB_LKUP_RET_* code or a negative errno, with the
 * struct's fields written as the helper writes them; or FIB_FALLBACK, having written nothing,
 * for what it leaves to the helper: no tables, another family, a TC call without tot_len (the
 * skb's own MTU check), a route through an IPv6 gateway.
 */
export function fibLookupBody(): FuncBody {
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
  /** dev = the interface entry whose ifindex is on the stack, or 0. */
  const findIface = (): void => {
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
  };
  f.i32(LAYOUT.CTRL).mem(Op.i32_load, CTRL.WASM_FIB).tee(tab).op(Op.i32_eqz).if();
  fallback();
  f.end();
  f.get(P).mem(Op.i32_load8_u, 0).i32(2).op(Op.i32_ne).if();
  fallback();
  f.end();
  // bpf_skb_fib_lookup without tot_len checks the skb itself (is_skb_forwardable): the helper's.
  f.get(TC).i32(0).op(Op.i32_ne).get(P).mem(Op.i32_load16_u, 6).op(Op.i32_eqz).op(Op.i32_and).if();
  fallback();
  f.end();
  f.get(P).mem(Op.i32_load, 8).tee(ifindex);
  findIface();
  f.get(dev).op(Op.i32_eqz).if();
  ret(-19); // -ENODEV
  f.end();
  f.get(tab).mem(Op.i32_load, L.FORWARDING).op(Op.i32_eqz).if();
  ret(5); // BPF_FIB_LKUP_RET_FWD_DISABLED
  f.end();
  f.get(ifindex).i32(0).get(FLAGS).i32(2).op(Op.i32_and).op(Op.select).set(oif); // BPF_FIB_LOOKUP_OUTPUT
  // The first route in lookup order that holds ipv4_dst: an error route whatever its device,
  // another only through `oif` when one is asked for (SimNetwork.search4).
  f.get(P).mem(Op.i32_load, 32).set(d);
  f.get(tab).mem(Op.i32_load, L.ROUTES).tee(route).get(tab).mem(Op.i32_load, L.N_ROUTES).i32(L.ROUTE_SIZE).op(Op.i32_mul).op(Op.i32_add).set(end);
  f.block();
  f.loop();
  f.get(route).get(end).op(Op.i32_ge_u).if();
  ret(4); // BPF_FIB_LKUP_RET_NOT_FWDED: no route
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
  ret(4);
  f.end();
  f.get(e).i32(FIB_ROUTE_KIND.UNICAST).op(Op.i32_ne).if();
  fallback();
  f.end();
  f.get(route).mem(Op.i32_load, L.RT_DEV);
  findIface();
  // The MTU check (checkMtu: always for XDP, with tot_len for TC): min(mtu, 0xffff).
  f.get(dev).mem(Op.i32_load, L.IF_MTU).tee(mtu).i32(0xffff).get(mtu).i32(0xffff).op(Op.i32_lt_u).op(Op.select).set(mtu);
  f.get(P).mem(Op.i32_load16_u, 6).get(mtu).op(Op.i32_gt_u).if();
  f.get(P).get(mtu).mem(Op.i32_store16, 6);
  ret(8); // BPF_FIB_LKUP_RET_FRAG_NEEDED
  f.end();
  f.get(P).get(route).mem(Op.i32_load, L.RT_METRIC).mem(Op.i32_store, 12);
  f.get(P).get(dev).mem(Op.i32_load, L.IF_INDEX).tee(ifindex).mem(Op.i32_store, 8);
  // The next hop: ipv4_dst, or the gateway, which replaces it.
  f.get(P).mem(Op.i32_load, 32).set(hop);
  f.get(route).mem(Op.i32_load, L.RT_HAS_GW).if();
  f.get(P).get(route).mem(Op.i32_load, L.RT_GATEWAY).tee(hop).mem(Op.i32_store, 32);
  f.end();
  f.get(FLAGS).i32(4).op(Op.i32_and).op(Op.i32_eqz).if(); // not BPF_FIB_LOOKUP_SKIP_NEIGH
  f.get(tab).mem(Op.i32_load, L.NEIGH).tee(e).get(tab).mem(Op.i32_load, L.N_NEIGH).i32(L.NEIGH_SIZE).op(Op.i32_mul).op(Op.i32_add).set(end);
  f.block();
  f.loop();
  f.get(e).get(end).op(Op.i32_ge_u).if();
  ret(7); // BPF_FIB_LKUP_RET_NO_NEIGH
  f.end();
  f.get(e).mem(Op.i32_load, L.NB_IP).get(hop).op(Op.i32_eq).get(e).mem(Op.i32_load, L.NB_DEV).get(ifindex).op(Op.i32_eq).op(Op.i32_and).brIf(1);
  f.get(e).i32(L.NEIGH_SIZE).op(Op.i32_add).set(e);
  f.br(0);
  f.end();
  f.end();
  // dmac from the neighbour, smac from the device: six bytes each.
  f.get(P).get(e).mem(Op.i32_load, L.NB_MAC).mem(Op.i32_store, 58);
  f.get(P).get(e).mem(Op.i32_load16_u, L.NB_MAC + 4).mem(Op.i32_store16, 62);
  f.get(P).get(dev).mem(Op.i32_load, L.IF_MAC).mem(Op.i32_store, 52);
  f.get(P).get(dev).mem(Op.i32_load16_u, L.IF_MAC + 4).mem(Op.i32_store16, 56);
  f.end();
  // bpf_fib_set_fwd_params: no VLAN, and the MTU.
  f.get(P).i32(0).mem(Op.i32_store, 48);
  f.get(P).get(mtu).mem(Op.i32_store16, 6);
  f.i32(0);
  return f;
}
