import type { Insn } from '../../isa/insn.js';
import { CTRL, FRAME_SIZE, LAYOUT } from '../layout.js';
import { FuncBody, Op } from './encoder.js';
import { L_ADDR, L_D, L_PLO, L_SLIM, L_SLO, L_T, L_T32, P_FP, packetLimit, regLocal, stackLow, type LowerImports } from './locals.js';
import type { HelperShape, ProvenAccesses } from '../env.js';

const SIZE: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const LOAD_U: Record<number, number> = { 1: Op.i64_load8_u, 2: Op.i64_load16_u, 4: Op.i64_load32_u, 8: Op.i64_load };
const LOAD_S: Record<number, number> = { 1: Op.i64_load8_s, 2: Op.i64_load16_s, 4: Op.i64_load32_s };
const STORE: Record<number, number> = { 1: Op.i64_store8, 2: Op.i64_store16, 4: Op.i64_store32, 8: Op.i64_store };

/**
 * Pushes the checked i32 address of `size` bytes at `base + off`, the same decision as
 * VmMemory.check: an inline test for the packet ([data_meta, data_end), from the locals the
 * function refreshes after every call), for the live stack ([this frame's start, STACK_END)) and
 * the context, then the slab table (the `slabOk` function), and otherwise the `memCheck` import, which runs VmMemory.check itself and throws its VmFault
 * (or returns for map values, global data and context fields the rules allow). An access at
 * r10 plus a constant inside the current frame needs no test: r10 is read-only (the validator
 * refuses writes to it) and the frame is always live.
 */
function address(f: FuncBody, imports: LowerImports, base: number, off: number, size: number, write: boolean, pc: number, mapValue = false, stackFirst = false): void {
  if (base === 10 && off >= -FRAME_SIZE && off + size <= 0) {
    f.get(P_FP).i32(off).op(Op.i32_add);
    return;
  }
  f.get(regLocal(base)).i64(off).op(Op.i64_add).set(L_ADDR);
  f.block();
  const cache = imports.siteCache();
  // A base that likely holds a map lookup's result tries this site's last slab value first. Only
  // the order of the tests changes: each one that passes allows the same access.
  const cacheFirst = mapValue && cache !== undefined;
  if (cacheFirst) cacheTest(f, cache);
  if (base === 10 || stackFirst) {
    stackTest(f, size);
    packetTest(f, size);
  } else {
    packetTest(f, size);
    stackTest(f, size);
  }
  ctxTest(f, size, write);
  // Map values and global data: the value this site touched last (a slab value stays valid for
  // good: slabs never move, shrink or change access), else the slab table in the control block,
  // searched without leaving wasm, which then becomes this site's last value.
  if (cache) {
    if (!cacheFirst) cacheTest(f, cache);
    f.get(L_ADDR).i32(size).i32(write ? 1 : 0).call(imports.slabOk).if();
    f.gget(imports.hitStart).gset(cache.start);
    f.gget(imports.hitSize).i64(size - 1).op(Op.i64_sub).gset(cache.limit);
    f.br(1);
    f.end();
  } else {
    f.get(L_ADDR).i32(size).i32(write ? 1 : 0).call(imports.slabOk).brIf(0);
  }
  f.get(L_ADDR).op(Op.i32_wrap_i64);
  f.get(L_ADDR).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
  f.i32(size).i32(write ? 1 : 0).i32(pc);
  stackLow(f);
  f.call(imports.memCheck);
  f.end();
  f.get(L_ADDR).op(Op.i32_wrap_i64);
}

function cacheTest(f: FuncBody, cache: { start: number; limit: number }): void {
  f.get(L_ADDR).gget(cache.start).op(Op.i64_sub).gget(cache.limit).op(Op.i64_lt_u).brIf(0);
}

// The tests of address(), each a `br_if 0` out of its block when the access lies in its region
// (module-level functions: lowering calls them for every access).

function packetTest(f: FuncBody, size: number): void {
  // (addr - start) < len and (addr - start) + size <= len, unsigned, as one test: (addr -
  // start) < max(len - size + 1, 0); no wrap-around passes.
  f.get(L_ADDR).get(L_PLO).op(Op.i64_sub).get(packetLimit(size)).op(Op.i64_lt_u).brIf(0);
}

function stackTest(f: FuncBody, size: number): void {
  // The live stack is at least one frame long, so slim - size never wraps.
  f.get(L_ADDR).get(L_SLO).op(Op.i64_sub).get(L_SLIM).i64(size).op(Op.i64_sub).op(Op.i64_le_u).brIf(0);
}

function ctxTest(f: FuncBody, size: number, write: boolean): void {
  // The context: in [CTX, CTX + ctxSize) and allowed by the rule table runtime.ts keeps.
  f.get(L_ADDR).i64(LAYOUT.CTX).op(Op.i64_sub).tee(L_D).i32(LAYOUT.CTRL).mem(Op.i64_load32_u, CTRL.WASM_CTX_SIZE).op(Op.i64_lt_u);
  f.if();
  f.get(L_D).i64(size).op(Op.i64_add).i32(LAYOUT.CTRL).mem(Op.i64_load32_u, CTRL.WASM_CTX_SIZE).op(Op.i64_le_u);
  f.get(L_D).op(Op.i32_wrap_i64).mem(Op.i32_load8_u, LAYOUT.CTRL + CTRL.WASM_CTX_RULES);
  f.i32(ctxBit(size, write)).op(Op.i32_and).i32(0).op(Op.i32_ne).op(Op.i32_and).brIf(1);
  f.end();
}

/** {@link address} for other lowerings (the inline array lookup's key): pushes the checked i32 address. */
export const checkedAddress = address;

/** The bit of a WASM_CTX_RULES entry that allows an access of `size` bytes (see layout.ts). */
export function ctxBit(size: number, write: boolean): number {
  return 1 << ((write ? 4 : 0) + Math.log2(size));
}

/**
 * How the access at `pc` is checked, from what the verifier proved of it (design.md: the
 * verifier's facts reach the engine as compile options):
 * - `proven`: no check. On every path the verifier proved the access inside the live stack (any
 *   frame: the stack check allows this frame and its callers'), the packet ([data_meta,
 *   data_end), which the packet check allows) or a map value or global data (within value_size,
 *   written only where the map is writable), so the check would pass.
 * - `ctx`: the context field at `off`, constant on every path: only the rule table's bit for it
 *   is tested, as the context check would; the slow path decides otherwise.
 * - `checked`: everything else (nothing proven, or not the same way on every path; a ringbuf
 *   record or map key): the full check.
 */
export type AccessCheck = { kind: 'proven' } | { kind: 'ctx'; off: number } | { kind: 'checked' };

const CHECKED: AccessCheck = { kind: 'checked' };
const PROVEN: AccessCheck = { kind: 'proven' };
const UNCHECKED_REGIONS = new Set(['stack', 'packet', 'packet_meta', 'map_value']);

/** The {@link AccessCheck} of the load, store or atomic `insn` at `pc`. */
export function accessCheck(proven: ProvenAccesses | undefined, insn: Insn, pc: number): AccessCheck {
  const fact = proven?.accesses[pc];
  if (!fact || fact.size !== SIZE[insn.opcode & 0x18]) return CHECKED;
  if (UNCHECKED_REGIONS.has(fact.region)) return PROVEN;
  if (fact.region === 'ctx' && fact.offMin === fact.offMax && fact.offMin >= 0 && fact.offMin < 256) return { kind: 'ctx', off: fact.offMin };
  return CHECKED;
}

/**
 * Pushes the i32 address of `size` bytes at `base + off` as `check` allows: unchecked when proven
 * (a non-negative `off` goes into the load's or store's offset immediate, returned; the verifier
 * proved that `base + off` does not wrap), else as {@link address} does.
 */
function checkedOrProven(f: FuncBody, imports: LowerImports, check: AccessCheck, base: number, off: number, size: number, write: boolean, pc: number, mapValue: boolean): number {
  if (check.kind === 'checked') {
    address(f, imports, base, off, size, write, pc, mapValue);
    return 0;
  }
  if (check.kind === 'ctx') {
    f.get(regLocal(base)).i64(off).op(Op.i64_add).set(L_ADDR);
    f.block();
    f.i32(0).mem(Op.i32_load8_u, LAYOUT.CTRL + CTRL.WASM_CTX_RULES + check.off).i32(ctxBit(size, write)).op(Op.i32_and).brIf(0);
    f.get(L_ADDR).op(Op.i32_wrap_i64);
    f.get(L_ADDR).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
    f.i32(size).i32(write ? 1 : 0).i32(pc);
    stackLow(f);
    f.call(imports.memCheck);
    f.end();
    f.get(L_ADDR).op(Op.i32_wrap_i64);
    return 0;
  }
  f.get(regLocal(base)).op(Op.i32_wrap_i64);
  if (off >= 0) return off;
  f.i32(off).op(Op.i32_add);
  return 0;
}

/**
 * Lowers a load, store or atomic (RFC 9669 §5) with its bounds check, or without it where
 * `check` (from {@link accessCheck}) says the verifier proved the access in bounds.
 */
export function lowerMemory(f: FuncBody, imports: LowerImports, insn: Insn, pc: number, _depth: (d: number) => void, mapValue = false, check: AccessCheck = CHECKED): void {
  const cls = insn.opcode & 7;
  const size = SIZE[insn.opcode & 0x18]!;
  const mode = insn.opcode & 0xe0;
  if (cls === 1) {
    const at = checkedOrProven(f, imports, check, insn.src, insn.off, size, false, pc, mapValue);
    f.mem(mode === 0x80 ? LOAD_S[size]! : LOAD_U[size]!, at).set(regLocal(insn.dst));
    return;
  }
  if (cls === 2) {
    const at = checkedOrProven(f, imports, check, insn.dst, insn.off, size, true, pc, mapValue);
    f.i64(insn.imm).mem(STORE[size]!, at);
    return;
  }
  if (mode === 0x60) {
    const at = checkedOrProven(f, imports, check, insn.dst, insn.off, size, true, pc, mapValue);
    f.get(regLocal(insn.src)).mem(STORE[size]!, at);
    return;
  }
  lowerAtomic(f, imports, insn, pc, size, mapValue, check);
}

const ATOMIC_OP: Record<number, number> = { 0x00: Op.i64_add, 0x40: Op.i64_or, 0x50: Op.i64_and, 0xa0: Op.i64_xor };

/**
 * Atomic read-modify-write (RFC 9669 §5.3). A run is single-threaded, so a plain load, operation
 * and store is atomic. The 32-bit forms load zero-extended and store the low half.
 */
function lowerAtomic(f: FuncBody, imports: LowerImports, insn: Insn, pc: number, size: number, mapValue: boolean, check: AccessCheck): void {
  const load = LOAD_U[size]!;
  const store = STORE[size]!;
  const src = regLocal(insn.src);
  const imm = insn.imm;
  const at = checkedOrProven(f, imports, check, insn.dst, insn.off, size, true, pc, mapValue);
  if (at !== 0) f.i32(at).op(Op.i32_add);
  f.set(L_T32);
  const bin = ATOMIC_OP[imm & 0xfe];
  if (bin !== undefined && imm !== 0xe1 && imm !== 0xf1) {
    f.get(L_T32).get(L_T32).mem(load).tee(L_T).get(src).op(bin).mem(store);
    if (imm & 1) f.get(L_T).set(src);
    return;
  }
  if (imm === 0xe1) {
    f.get(L_T32).mem(load).set(L_T);
    f.get(L_T32).get(src).mem(store);
    f.get(L_T).set(src);
    return;
  }
  // cmpxchg: compare with r0 at the operation's width; r0 gets the old value either way.
  const r0 = regLocal(0);
  f.get(L_T32).mem(load).set(L_T);
  if (size === 4) f.get(L_T).op(Op.i32_wrap_i64).get(r0).op(Op.i32_wrap_i64).op(Op.i32_eq);
  else f.get(L_T).get(r0).op(Op.i64_eq);
  f.if();
  f.get(L_T32).get(src).mem(store);
  f.end();
  f.get(L_T).set(r0);
}

/**
 * The pcs of loads, stores and atomics whose base register likely holds a map value a helper
 * returned (HelperShape.returnsMapValue: bpf_map_lookup_elem and the like), from one straight
 * pass that ignores jumps. Only a hint for the order
 * of the bounds tests in {@link address}: a wrong guess costs time, never a different result.
 */
export function mapValueSites(insns: readonly Insn[], shape: (id: number) => HelperShape): Set<number> {
  const sites = new Set<number>();
  const mv = new Array<boolean>(11).fill(false);
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc]!;
    const cls = insn.opcode & 7;
    if (insn.opcode === 0x18) {
      mv[insn.dst] = false;
      pc++;
      continue;
    }
    if (cls === 1) {
      if (mv[insn.src]) sites.add(pc);
      mv[insn.dst] = false;
    } else if (cls === 2 || cls === 3) {
      if (mv[insn.dst]) sites.add(pc);
      if (cls === 3 && (insn.opcode & 0xe0) === 0xc0 && insn.imm & 1) mv[insn.imm === 0xf1 ? 0 : insn.src] = false;
    } else if (cls === 7 || cls === 4) {
      // A register copy keeps the hint, a constant offset keeps it, anything else drops it.
      if (insn.opcode === 0xbf) mv[insn.dst] = mv[insn.src]!;
      else if (insn.opcode !== 0x07) mv[insn.dst] = false;
    } else if (insn.opcode === 0x85) {
      for (let r = 0; r <= 5; r++) mv[r] = false;
      mv[0] = insn.src === 0 && shape(insn.imm).returnsMapValue;
    }
  }
  return sites;
}
