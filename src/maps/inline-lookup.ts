import { CTRL, LAYOUT, MAP_HANDLE_BASE, MAP_HANDLE_STRIDE, MAP_SLOT_SIZE, MAP_SLOTS_MAX } from '../vm/layout.js';
import { FuncBody, I32, I64, Op } from '../vm/wasm/encoder.js';
import type { InlineForm, InlineFunction, InlineSite } from '../vm/wasm/inline-api.js';
import { HASH_LAYOUT } from './hash-layout.js';

/**
 * What a map's control-block slot (VmMap.inlineSlot) holds for {@link mapLookupInline}: an array
 * map whose lookups are arithmetic on its u32 key (index i below maxEntries on CPU c is at
 * base + i * block + c * cpuStride), or a hash map by the address of its HASH_LAYOUT record.
 */
export const MAP_SLOT = {
  /** Words: base, block, cpuStride, maxEntries (never 0). */
  array: (base: number, block: number, cpuStride: number, maxEntries: number): readonly number[] => [base, block, cpuStride, maxEntries],
  /** Words: the record's address, then 0 where an array has maxEntries. */
  hash: (record: number): readonly number[] => [record, 0, 0, 0],
} as const;
/** Byte offsets in a slot: an array's words, and the hash record's address (sharing BASE, told apart by MAX_ENTRIES = 0). */
const SLOT = { BASE: 0, BLOCK: 4, CPU_STRIDE: 8, MAX_ENTRIES: 12, RECORD: 0 } as const;

/**
 * bpf_map_lookup_elem answered in generated code for a map whose slot (MAP_SLOT, written by the
 * engine from VmMap.inlineSlot) describes it, with the same decisions as
 * the helper's fast form, which handles every other case (a key pointer past 32 bits, a key that
 * is not plainly in the packet, the live stack or a map value, any fault):
 * - an array map: the key's 4 bytes at r2 checked as VmMemory.check does (the same fault, at
 *   this pc), then index < max_entries ? base + index * block + cpu * cpuStride : 0;
 * - a hash map: the `hash_lookup` function on its HASH_LAYOUT record.
 */
export const mapLookupInline: InlineForm = {
  name: 'bpf_map_lookup_elem',
  variants: 1,
  variantFor: () => 0,
  emit(site: InlineSite): number {
    const { f } = site;
    const r1 = site.reg(1);
    const r2 = site.reg(2);
    const [t, t32, t32b] = [site.t64, site.t32, site.t32b];
    const at = LAYOUT.CTRL + CTRL.MAP_SLOTS;
    // t = r1 - MAP_HANDLE_BASE: a handle below the slots' end, on a handle boundary.
    f.get(r1).i64(BigInt(MAP_HANDLE_BASE)).op(Op.i64_sub).tee(t).i64(MAP_SLOTS_MAX * MAP_HANDLE_STRIDE).op(Op.i64_lt_u);
    f.get(t).i64(MAP_HANDLE_STRIDE - 1).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_and).tee(t32b);
    // The slot's offset (index * MAP_SLOT_SIZE), or slot 0 when r1 is no handle, so loads stay in memory.
    f.get(t).i64(Math.log2(MAP_HANDLE_STRIDE) - Math.log2(MAP_SLOT_SIZE)).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(0).get(t32b).op(Op.select).set(t32);
    f.get(t32).mem(Op.i32_load, at + SLOT.MAX_ENTRIES).i32(0).op(Op.i32_ne).op(Op.i32_and);
    f.get(r2).i64(32).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_and);
    site.allowed();
    f.op(Op.i32_and);
    f.if(I64);
    f.i64(4).set(site.d64);
    site.noteKey(1, 2, site.d64);
    site.checkedRead(2, 0, 4);
    f.mem(Op.i64_load32_u).tee(t);
    f.get(t32).mem(Op.i64_load32_u, at + SLOT.MAX_ENTRIES).op(Op.i64_lt_u).if(I64);
    f.get(t32).mem(Op.i64_load32_u, at + SLOT.BASE).get(t).get(t32).mem(Op.i64_load32_u, at + SLOT.BLOCK).op(Op.i64_mul).op(Op.i64_add);
    f.i32(LAYOUT.CTRL).mem(Op.i64_load32_u, CTRL.WASM_CPU).get(t32).mem(Op.i64_load32_u, at + SLOT.CPU_STRIDE).op(Op.i64_mul).op(Op.i64_add);
    f.op(Op.else);
    f.i64(0);
    f.end();
    f.op(Op.else);
    // The hash record's address, 0 when r1 is no handle.
    f.get(t32).mem(Op.i32_load, at + SLOT.RECORD).i32(0).get(t32b).op(Op.select).tee(t32);
    f.i32(0).op(Op.i32_ne);
    f.get(r2).i64(32).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_and);
    site.allowed();
    f.op(Op.i32_and);
    f.if(I32);
    // The key's bytes lie on the live stack, in the packet or in one map value (VmMemory.check would accept them).
    f.get(t32).mem(Op.i64_load32_u, HASH_LAYOUT.KEY_SIZE).set(site.d64);
    site.readable(r2, site.d64);
    f.op(Op.else);
    f.i32(0);
    f.end();
    f.if(I64);
    site.noteKey(1, 2, site.d64);
    f.get(t32).get(r2).op(Op.i32_wrap_i64).call(site.func(hashLookup));
    f.op(Op.else);
    return 2;
  },
};

/**
 * `hashLookup(record, key)`: HashMap/LruHashMap.lookupAt without leaving wasm, on the index a
 * HASH_LAYOUT record (hash-layout.ts) describes: KeyTable.hash of the key's bytes, linear
 * probing until an empty bucket (-1), a slot whose hash and bytes match gives its value's
 * address on the run's CPU and sets its LRU ref bit when the map has them; 0 when absent.
 */
function hashLookupBody(keyEq: number): FuncBody {
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

/** `keyEq(a, b, n)`: 1 when the `n` bytes at `a` and at `b` are equal. */
function keyEqBody(): FuncBody {
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

/** `key_eq(a, b, n)`, see keyEqBody. */
const keyEq: InlineFunction = { name: 'key_eq', params: [I32, I32, I32], results: [I32], body: keyEqBody };

/** `hash_lookup(record, key)`, see hashLookupBody. */
const hashLookup: InlineFunction = { name: 'hash_lookup', params: [I32, I32], results: [I64], body: (func) => hashLookupBody(func(keyEq)) };
