import { FRAME_SIZE } from '../layout.js';
import { Op, type FuncBody } from './encoder.js';
import type { HelperShape } from '../env.js';
import type { InlineFunction } from './inline-api.js';

/**
 * The local-variable layout shared by every generated BPF function, and the imports its body
 * calls. A BPF function becomes `(r1..r5 i64, fp i32) → r0 i64`.
 */
// Local slots: r1..r5 are the parameters 0..4, the frame end (r10 as i32) is parameter 5.
export const P_FP = 5;
export const L_R0 = 6;
export const L_R6 = 7; // r6..r9 → 7..10
export const L_R10 = 11;
export const L_ADDR = 12;
export const L_D = 13;
export const L_PLO = 14;
export const L_PLEN = 15;
export const L_T = 16;
export const L_T2 = 17;
export const L_BUDGET = 18;
export const L_STATE = 19;
export const L_T32 = 20;
export const L_SLO = 21;
export const L_SLIM = 22;
/** f64: a fast helper's result before it becomes r0. */
export const L_F = 23;
/** i32: scratch of the inline map lookups. */
export const L_T32B = 24;
/**
 * i64 per access size 1, 2, 4, 8 (in that order from here): max(plen - size + 1, 0), so that an
 * access of that size at addr lies in the packet when addr - plo < the limit (one unsigned test).
 */
export const L_PLIM = 25;

/** The local holding the packet limit for accesses of `size` bytes (see {@link L_PLIM}). */
export function packetLimit(size: number): number {
  return L_PLIM + Math.log2(size);
}

/** The local slot of register `r`. */
export function regLocal(r: number): number {
  if (r === 0) return L_R0;
  if (r <= 5) return r - 1;
  if (r <= 9) return L_R6 + r - 6;
  return L_R10;
}

/** Pushes the frame's lowest address (this function's frame start): the interpreter's mem.stackLow. */
export function stackLow(f: FuncBody): void {
  f.get(P_FP).i32(FRAME_SIZE).op(Op.i32_sub);
}

/** Indices of the imported functions and globals a function body refers to. */
export interface LowerImports {
  /** (addrLo i32, addrHi i32, size i32, write i32, pc i32, stackLow i32) → (): returns when the access is valid. */
  memCheck: number;
  /** (kind i32, pc i32) → (): always throws. */
  fault: number;
  /** Helper `id` → import index of (pc i32, stackLow i32, budget i32, r1..r5 i64) → i64. */
  helper(id: number): number;
  /**
   * Helper `id` → import index of (pc i32, stackLow i32, budget i32, r1..r5 as u32 i32) → f64, used
   * when r1–r5 < 2^32: r0 as a safe integer (negative for its two's complement), or NaN when it
   * is none, with r0 left in the `bigR0` global.
   */
  fastHelper(id: number): number;
  /** Mutable i32 global: the bits of the inline forms the registry lets the engine use in this run (HelperDef.inline; see inlineShift). */
  inl: number;
  /** What the registry says of helper `id` (HelperRegistry.shape). */
  shape(id: number): HelperShape;
  /** Mutable i32 global: bit `fastBit(id)` set while helper `id` has a fast form (HelperDef.fast). */
  fastMask: number;
  /** The fastMask bit of helper `id` (its import order, below 32), or 0. */
  fastBit(id: number): number;
  /** Mutable i32 global: the fastBit of each helper whose HelperDef.constant holds for this run. */
  constMask: number;
  /** Mutable i64 global holding helper `id`'s HelperDef.constant for this run, or -1 when the helper can have none. */
  constant(id: number): number;
  /** Mutable i64 global: r0 of a fast helper call whose result is not a safe integer. */
  bigR0: number;
  /**
   * Defined function (addr i64, size i32, write i32) → i32: 1 when the access lies inside a map
   * value or global data slab and is allowed there (the control block's slab table, layout.ts).
   */
  slabOk: number;
  /** Mutable i64 globals slabOk sets when it says yes: the start and the size of the value the access lies in. */
  hitStart: number;
  hitSize: number;
  /**
   * Two new mutable i64 globals for one access site's last map value (`start`, and `limit` =
   * value size - access size + 1, 0 until set: an access at addr lies in it when
   * addr - start < limit, unsigned), or undefined when the module has enough of them.
   */
  siteCache(): { start: number; limit: number } | undefined;
  /** The module's function index of an inline form's function (inline-api.ts InlineFunction), defined on first use. */
  inlineFunc(fn: InlineFunction): number;
  /** The first bit of helper `id`'s inline form in the `inl` global (one per variant), or -1 when its calls are not inlined. */
  inlineShift(id: number): number;
  /** (pc i32, stackLow i32, budget i32, id i64, r1..r5 i64) → i64: callx, the helper id in a register. */
  callx: number;
  /** (pc i32, stackLow i32, budget i32, r1..r5 i64) → i32: 1 when a tail call was taken (its r0 is in the `tailR0` global). */
  tailCall: number;
  /** (pc i32, stackLow i32, btfId i32, r1..r5 i64) → i64: kfunc calls. */
  kfunc: number;
  /** (pc i32, left i32, stackLow i32, r0..r10 i64) → (): the budget ran out in the segment at pc; always throws. */
  budgetOut: number;
  /** (pc i32, size i32, offset i32, r6 i32) → f64: a legacy packet load's value, or -1 (src/vm/ld-abs.ts). */
  ldAbs: number;
  /** (pc i32, mapHandle i32, keyAddr i32) → (): a key an inline form read still holds stack fill bytes (HelperRegistry.noteMapKey). */
  mapKey: number;
  /** (entry i32, fp i32, r1..r5 i64) → i64: the function at `entry` run on the interpreter's steps, its r0 (lower.ts budgetBound). */
  interpret: number;
  /** Mutable i32 global: instructions left. */
  budget: number;
  /** Mutable i64 global: r0 of the tail-called program, read after a taken tail call. */
  tailR0: number;
  /** Wasm function index of the BPF function starting at `pc`. */
  funcAt(pc: number): number;
}
