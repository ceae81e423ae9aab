import {
  TNUM_UNKNOWN,
  U32,
  U64,
  s64,
  tnumClearSubreg,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumRange,
  tnumStr,
  tnumSubreg,
  tnumSubregIsConst,
  type Tnum,
} from './tnum.js';

/**
 * One register's state as `struct bpf_reg_state` (include/linux/bpf_verifier.h) keeps it: its
 * type, a fixed offset for pointers, the variable part as a tnum with signed/unsigned 64- and
 * 32-bit bounds, the ids that link copies, NULL checks and references, and per-type extras.
 */

/** Base register types, spelled as the kernel's `reg_type_str` prints them. */
export type RegType =
  | 'not_init'
  | 'scalar'
  | 'ctx'
  | 'map_ptr'
  | 'map_value'
  | 'map_key'
  | 'fp'
  | 'pkt'
  | 'pkt_meta'
  | 'pkt_end'
  | 'flow_keys'
  | 'sock'
  | 'sock_common'
  | 'tcp_sock'
  | 'xdp_sock'
  | 'ptr_'
  | 'mem'
  | 'buf'
  | 'func'
  | 'dynptr_ptr';

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;

/** Packet range markers (`AT_PKT_END`, `BEYOND_PKT_END`). */
export const AT_PKT_END = -1;
export const BEYOND_PKT_END = -2;

export interface Reg {
  type: RegType;
  /** PTR_MAYBE_NULL. */
  maybeNull: boolean;
  /** MEM_RDONLY. */
  rdonly: boolean;
  /** MEM_RINGBUF. */
  ringbuf: boolean;
  /** Fixed offset of a pointer. */
  off: number;
  var: Tnum;
  smin: bigint;
  smax: bigint;
  umin: bigint;
  umax: bigint;
  s32min: bigint;
  s32max: bigint;
  u32min: bigint;
  u32max: bigint;
  id: number;
  refObjId: number;
  /** Packet: bytes proven past the pointer (or AT_PKT_END/BEYOND_PKT_END). */
  range: number;
  /** map_ptr, map_value, map_key: index into ObjectSpec.maps. */
  map: number;
  /** mem: its size. */
  memSize: number;
  /** fp: the frame it points into. */
  frameno: number;
  /** func: the subprogram's first instruction. */
  subprog: number;
  /** ptr_: the kernel struct's name. */
  btfName: string;
  /** mem: the dynptr a slice was taken from (its id), 0 for other memory. */
  dynptrId: number;
  /** mem: a slice of an skb or xdp dynptr, which a helper that changes packet data invalidates. */
  dynptrPkt: boolean;
  /** A scalar whose exact value matters for safety (precision tracking). */
  precise: boolean;
}

type BoundKey<T> = { [K in keyof Reg]: Reg[K] extends T ? K : never }[keyof Reg];

/**
 * One width of a register's bounds: the 64-bit ones (umin..smax) or those of the low 32-bit
 * subregister (u32min..s32max), by field name, with that width's limits. The kernel writes most
 * bounds functions twice (scalar_min_max_add and scalar32_min_max_add...); here each is written
 * once over a Width.
 */
export interface Width {
  readonly bits: 32 | 64;
  readonly umin: BoundKey<bigint>;
  readonly umax: BoundKey<bigint>;
  readonly smin: BoundKey<bigint>;
  readonly smax: BoundKey<bigint>;
  /** The largest unsigned value (U32_MAX or U64_MAX). */
  readonly UMAX: bigint;
  readonly SMIN: bigint;
  readonly SMAX: bigint;
  /** The sign bit. */
  readonly SIGN: bigint;
  /** `x` reduced to this width and read as signed. */
  signed(x: bigint): bigint;
  /** The tnum's bits at this width (tnum_subreg for 32). */
  tnum(t: Tnum): Tnum;
  /** `reg` with its bits at this width replaced by `t`. */
  withTnum(reg: Tnum, t: Tnum): Tnum;
  /** __mark_reg_known / __mark_reg32_known. */
  markKnown(r: Reg, v: bigint): void;
}

export const W64: Width = {
  bits: 64,
  umin: 'umin',
  umax: 'umax',
  smin: 'smin',
  smax: 'smax',
  UMAX: U64,
  SMIN: -(1n << 63n),
  SMAX: (1n << 63n) - 1n,
  SIGN: 1n << 63n,
  signed: (x) => BigInt.asIntN(64, x),
  tnum: (t) => t,
  withTnum: (_reg, t) => t,
  markKnown: (r, v) => markKnown(r, v),
};

export const W32: Width = {
  bits: 32,
  umin: 'u32min',
  umax: 'u32max',
  smin: 's32min',
  smax: 's32max',
  UMAX: U32,
  SMIN: -(1n << 31n),
  SMAX: (1n << 31n) - 1n,
  SIGN: 1n << 31n,
  signed: (x) => BigInt.asIntN(32, x),
  tnum: (t) => tnumSubreg(t),
  withTnum: (reg, t) => tnumOr(tnumClearSubreg(reg), tnumSubreg(t)),
  markKnown: (r, v) => markKnown32(r, v),
};

export function newReg(): Reg {
  return {
    type: 'not_init',
    maybeNull: false,
    rdonly: false,
    ringbuf: false,
    off: 0,
    var: TNUM_UNKNOWN,
    smin: S64_MIN,
    smax: S64_MAX,
    umin: 0n,
    umax: U64,
    s32min: S32_MIN,
    s32max: S32_MAX,
    u32min: 0n,
    u32max: U32,
    id: 0,
    refObjId: 0,
    range: 0,
    map: -1,
    memSize: 0,
    frameno: 0,
    subprog: -1,
    btfName: '',
    dynptrId: 0,
    dynptrPkt: false,
    precise: false,
  };
}

export function copyReg(r: Reg): Reg {
  return {
    type: r.type, maybeNull: r.maybeNull, rdonly: r.rdonly, ringbuf: r.ringbuf, off: r.off, var: r.var,
    smin: r.smin, smax: r.smax, umin: r.umin, umax: r.umax, s32min: r.s32min, s32max: r.s32max, u32min: r.u32min, u32max: r.u32max,
    id: r.id, refObjId: r.refObjId, range: r.range, map: r.map, memSize: r.memSize, frameno: r.frameno, subprog: r.subprog, btfName: r.btfName, dynptrId: r.dynptrId, dynptrPkt: r.dynptrPkt, precise: r.precise,
  };
}

export function assignReg(dst: Reg, src: Reg): void {
  Object.assign(dst, src);
}

/** reg_type_str: `map_value_or_null`, `rdonly_mem`, `ringbuf_mem_or_null`, `scalar`. */
export function regTypeStr(r: { type: RegType; maybeNull: boolean; rdonly: boolean; ringbuf: boolean }): string {
  if (r.type === 'not_init') return '?';
  let prefix = '';
  if (r.rdonly) prefix += 'rdonly_';
  if (r.ringbuf) prefix += 'ringbuf_';
  const postfix = r.maybeNull && r.type !== 'scalar' ? '_or_null' : '';
  return prefix + r.type + postfix;
}

export function isPointer(r: Reg): boolean {
  return r.type !== 'scalar' && r.type !== 'not_init';
}

export function isPktPointer(r: Reg): boolean {
  return r.type === 'pkt' || r.type === 'pkt_meta';
}

function toS32(x: bigint): bigint {
  return BigInt.asIntN(32, x);
}
function toU32(x: bigint): bigint {
  return x & U32;
}
function maxB(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
function minB(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** __mark_reg_known: every bound equals `imm` (taken modulo 2^64). */
export function markKnown(r: Reg, imm: bigint): void {
  const v = imm & U64;
  r.var = tnumConst(v);
  r.smin = r.smax = s64(v);
  r.umin = r.umax = v;
  r.s32min = r.s32max = toS32(v);
  r.u32min = r.u32max = toU32(v);
}

export function markKnown32(r: Reg, imm: bigint): void {
  const v = imm & U32;
  r.var = tnumOr(tnumClearSubreg(r.var), tnumConst(v));
  r.s32min = r.s32max = toS32(v);
  r.u32min = r.u32max = v;
}

/** __mark_reg{32,64}_unbounded: nothing known at width `w`. */
export function markUnboundedW(r: Reg, w: Width): void {
  r[w.smin] = w.SMIN;
  r[w.smax] = w.SMAX;
  r[w.umin] = 0n;
  r[w.umax] = w.UMAX;
}

export function markUnbounded64(r: Reg): void {
  markUnboundedW(r, W64);
}

export function markUnbounded32(r: Reg): void {
  markUnboundedW(r, W32);
}

export function markUnbounded(r: Reg): void {
  markUnbounded64(r);
  markUnbounded32(r);
}

/** __mark_reg_unknown: an unbounded scalar with no links. */
export function markUnknown(r: Reg): void {
  const fresh = newReg();
  fresh.type = 'scalar';
  Object.assign(r, fresh);
}

export function markNotInit(r: Reg): void {
  Object.assign(r, newReg());
}

/** A scalar constant register. */
export function scalarConst(v: bigint): Reg {
  const r = newReg();
  r.type = 'scalar';
  markKnown(r, v);
  return r;
}

/** __mark_reg_known_zero on a pointer: no variable part. */
export function markKnownZero(r: Reg): void {
  markKnown(r, 0n);
  r.off = 0;
}

export function isConst(r: Reg): boolean {
  return r.type === 'scalar' && tnumIsConst(r.var);
}

export function isConst32(r: Reg): boolean {
  return r.type === 'scalar' && tnumSubregIsConst(r.var);
}

/** register_is_null: a scalar known to be 0. */
export function isNull(r: Reg): boolean {
  return r.type === 'scalar' && tnumIsConst(r.var) && r.var.value === 0n;
}

/** __update_reg{32,64}_bounds: the bounds at width `w` learn from the tnum. */
function updateRegBoundsW(r: Reg, w: Width): void {
  const v = w.tnum(r.var);
  r[w.smin] = maxB(r[w.smin], w.signed(v.value | (v.mask & w.SIGN)));
  r[w.smax] = minB(r[w.smax], w.signed(v.value | (v.mask & w.SMAX)));
  r[w.umin] = maxB(r[w.umin], v.value);
  r[w.umax] = minB(r[w.umax], v.value | v.mask);
}

export function updateRegBounds(r: Reg): void {
  updateRegBoundsW(r, W32);
  updateRegBoundsW(r, W64);
}

function reg32DeduceBounds(r: Reg): void {
  if (r.umin >> 32n === r.umax >> 32n) {
    r.u32min = maxB(r.u32min, toU32(r.umin));
    r.u32max = minB(r.u32max, toU32(r.umax));
    if (toS32(r.umin) <= toS32(r.umax)) {
      r.s32min = maxB(r.s32min, toS32(r.umin));
      r.s32max = minB(r.s32max, toS32(r.umax));
    }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    r.u32min = maxB(r.u32min, toU32(r.smin));
    r.u32max = minB(r.u32max, toU32(r.smax));
    if (toS32(r.smin) <= toS32(r.smax)) {
      r.s32min = maxB(r.s32min, toS32(r.smin));
      r.s32max = minB(r.s32max, toS32(r.smax));
    }
  }
  if (toU32(r.umin >> 32n) + 1n === toU32(r.umax >> 32n) && toS32(r.umin) < 0n && toS32(r.umax) >= 0n) {
    r.s32min = maxB(r.s32min, toS32(r.umin));
    r.s32max = minB(r.s32max, toS32(r.umax));
  }
  if (toU32(r.smin >> 32n) + 1n === toU32(r.smax >> 32n) && toS32(r.smin) < 0n && toS32(r.smax) >= 0n) {
    r.s32min = maxB(r.s32min, toS32(r.smin));
    r.s32max = minB(r.s32max, toS32(r.smax));
  }
  if (toS32(r.u32min) <= toS32(r.u32max)) {
    r.s32min = maxB(r.s32min, toS32(r.u32min));
    r.s32max = minB(r.s32max, toS32(r.u32max));
  }
  if (toU32(r.s32min) <= toU32(r.s32max)) {
    r.u32min = maxB(toU32(r.s32min), r.u32min);
    r.u32max = minB(toU32(r.s32max), r.u32max);
  }
}

function reg64DeduceBounds(r: Reg): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = maxB(r.smin, s64(r.umin));
    r.smax = minB(r.smax, s64(r.umax));
  }
  const usmin = r.smin & U64;
  const usmax = r.smax & U64;
  if (usmin <= usmax) {
    r.umin = maxB(usmin, r.umin);
    r.umax = minB(usmax, r.umax);
  } else if (r.umax < usmin) {
    r.smin = s64(r.umin);
    r.umax = minB(r.umax, usmax);
  } else if (usmax < r.umin) {
    r.smax = s64(r.umax);
    r.umin = maxB(r.umin, usmin);
  }
}

function regDeduceMixedBounds(r: Reg): void {
  const hiMask = U64 ^ U32;
  const newUmin = (r.umin & hiMask) | r.u32min;
  const newUmax = (r.umax & hiMask) | r.u32max;
  r.umin = maxB(r.umin, newUmin);
  r.umax = minB(r.umax, newUmax);
  const newSmin = s64(((r.smin & U64) & hiMask) | r.u32min);
  const newSmax = s64(((r.smax & U64) & hiMask) | r.u32max);
  r.smin = maxB(r.smin, newSmin);
  r.smax = minB(r.smax, newSmax);
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    r.smin = r.s32min;
    r.smax = r.s32max;
    r.umin = r.s32min;
    r.umax = r.s32max;
    r.var = tnumIntersect(r.var, tnumRange(r.smin & U64, r.smax & U64));
  }
}

function regDeduceBounds(r: Reg): void {
  reg32DeduceBounds(r);
  reg64DeduceBounds(r);
  regDeduceMixedBounds(r);
}

function regBoundOffset(r: Reg): void {
  const var64 = tnumIntersect(r.var, tnumRange(r.umin, r.umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(r.u32min, r.u32max));
  r.var = tnumOr(tnumClearSubreg(var64), var32);
}

/** Nothing known: every bound open and every bit unknown, which reg_bounds_sync leaves as it is. */
function isUnboundedUnknown(r: Reg): boolean {
  return r.var.mask === U64 && r.umin === 0n && r.umax === U64 && r.smin === S64_MIN && r.smax === S64_MAX && r.u32min === 0n && r.u32max === U32 && r.s32min === S32_MIN && r.s32max === S32_MAX;
}

/** reg_bounds_sync: tnum and the four ranges refine each other. */
export function regBoundsSync(r: Reg): void {
  if (isUnboundedUnknown(r)) return;
  if (regBoundsSyncSmall(r)) return;
  regBoundsSyncBig(r);
}

/** reg_bounds_sync on BigInts: any register. */
export function regBoundsSyncBig(r: Reg): void {
  updateRegBounds(r);
  regDeduceBounds(r);
  regDeduceBounds(r);
  regBoundOffset(r);
  updateRegBounds(r);
}

const SMALL = 0x8000_0000;
const SMALL_N = 0x8000_0000n;

/** tnum_range on numbers: `min` and `max` in [0, 2^32). */
function smallRange(min: number, max: number): [number, number] {
  const chi = (min ^ max) >>> 0;
  const delta = chi === 0 ? 0 : 2 ** (32 - Math.clz32(chi)) - 1;
  return [(min & ~delta) >>> 0, delta];
}

/**
 * reg_bounds_sync on numbers for the common register whose 64-bit bounds and tnum all lie in
 * [0, 2^31): there every 64-bit value reads the same signed and unsigned and has no upper half,
 * which reduces the BigInt steps above to comparisons of numbers (and the subreg tnum to the
 * tnum). Returns false, leaving `r` as it was, when the register is not one of those or a step
 * would take a 64-bit value out of that range; regBoundsSyncBig then does it all.
 */
function regBoundsSyncSmall(r: Reg): boolean {
  if (!(r.umax < SMALL_N && r.umin < SMALL_N && r.smin >= 0n && r.smax >= 0n && r.smin < SMALL_N && r.smax < SMALL_N && (r.var.value | r.var.mask) < SMALL_N)) return false;
  const n = SYNC;
  n.umin = Number(r.umin);
  n.umax = Number(r.umax);
  n.smin = Number(r.smin);
  n.smax = Number(r.smax);
  n.u32min = Number(r.u32min);
  n.u32max = Number(r.u32max);
  n.s32min = Number(r.s32min);
  n.s32max = Number(r.s32max);
  n.tv = Number(r.var.value);
  n.tm = Number(r.var.mask);
  smallUpdateBounds(n);
  if (!smallDeduce(n) || !smallDeduce(n)) return false;
  // __reg_bound_offset
  smallIntersectRange(n, n.umin, n.umax);
  smallIntersectRange(n, n.u32min, n.u32max);
  n.tm = (n.tm & ~n.tv) >>> 0;
  if ((n.tv | n.tm) >>> 0 >= SMALL) return false;
  smallUpdateBounds(n);
  if (n.umin !== Number(r.umin)) r.umin = BigInt(n.umin);
  if (n.umax !== Number(r.umax)) r.umax = BigInt(n.umax);
  if (n.smin !== Number(r.smin)) r.smin = BigInt(n.smin);
  if (n.smax !== Number(r.smax)) r.smax = BigInt(n.smax);
  if (n.u32min !== Number(r.u32min)) r.u32min = BigInt(n.u32min);
  if (n.u32max !== Number(r.u32max)) r.u32max = BigInt(n.u32max);
  if (n.s32min !== Number(r.s32min)) r.s32min = BigInt(n.s32min);
  if (n.s32max !== Number(r.s32max)) r.s32max = BigInt(n.s32max);
  if (n.tv !== Number(r.var.value) || n.tm !== Number(r.var.mask)) r.var = { value: BigInt(n.tv), mask: BigInt(n.tm) };
  return true;
}

/** The register regBoundsSyncSmall works on, as numbers (one, reused: the verifier is synchronous). */
const SYNC = { umin: 0, umax: 0, smin: 0, smax: 0, u32min: 0, u32max: 0, s32min: 0, s32max: 0, tv: 0, tm: 0 };
type SmallReg = typeof SYNC;

/** __update_reg_bounds at both widths: the tnum is below 2^31, so it reads the same at each. */
function smallUpdateBounds(n: SmallReg): void {
  const tv = n.tv;
  const hi = tv | n.tm;
  if (tv > n.s32min) n.s32min = tv;
  if (hi < n.s32max) n.s32max = hi;
  if (tv > n.u32min) n.u32min = tv;
  if (hi < n.u32max) n.u32max = hi;
  if (tv > n.smin) n.smin = tv;
  if (hi < n.smax) n.smax = hi;
  if (tv > n.umin) n.umin = tv;
  if (hi < n.umax) n.umax = hi;
}

/** tnum_intersect of the tnum with tnum_range(min, max), `min` and `max` in [0, 2^32). */
function smallIntersectRange(n: SmallReg, min: number, max: number): void {
  const [v2, m2] = smallRange(min, max);
  const v = (n.tv | v2) >>> 0;
  const mu = (n.tm & m2) >>> 0;
  n.tv = (v & ~mu) >>> 0;
  n.tm = mu;
}

/** __reg_deduce_bounds; false when a 64-bit bound leaves [0, 2^31). */
function smallDeduce(n: SmallReg): boolean {
  // __reg32_deduce_bounds: both 64-bit ranges sit in the first 4 GiB.
  n.u32min = Math.max(n.u32min, n.umin);
  n.u32max = Math.min(n.u32max, n.umax);
  if (n.umin <= n.umax) {
    n.s32min = Math.max(n.s32min, n.umin);
    n.s32max = Math.min(n.s32max, n.umax);
  }
  n.u32min = Math.max(n.u32min, n.smin);
  n.u32max = Math.min(n.u32max, n.smax);
  if (n.smin <= n.smax) {
    n.s32min = Math.max(n.s32min, n.smin);
    n.s32max = Math.min(n.s32max, n.smax);
  }
  if ((n.u32min | 0) <= (n.u32max | 0)) {
    n.s32min = Math.max(n.s32min, n.u32min | 0);
    n.s32max = Math.min(n.s32max, n.u32max | 0);
  }
  if (n.s32min >>> 0 <= n.s32max >>> 0) {
    n.u32min = Math.max(n.s32min >>> 0, n.u32min);
    n.u32max = Math.min(n.s32max >>> 0, n.u32max);
  }
  // __reg64_deduce_bounds
  if (n.umin <= n.umax) {
    n.smin = Math.max(n.smin, n.umin);
    n.smax = Math.min(n.smax, n.umax);
  }
  if (n.smin <= n.smax) {
    n.umin = Math.max(n.smin, n.umin);
    n.umax = Math.min(n.smax, n.umax);
  } else if (n.umax < n.smin) {
    n.smin = n.umin;
    n.umax = Math.min(n.umax, n.smax);
  } else if (n.smax < n.umin) {
    n.smax = n.umax;
    n.umin = Math.max(n.umin, n.smin);
  }
  // __reg_deduce_mixed_bounds: the upper halves are 0.
  n.umin = Math.max(n.umin, n.u32min);
  n.umax = Math.min(n.umax, n.u32max);
  n.smin = Math.max(n.smin, n.u32min);
  n.smax = Math.min(n.smax, n.u32max);
  if (n.umin >= SMALL || n.smin >= SMALL) return false;
  if (n.s32min >= 0) {
    if (n.s32max < 0) return false;
    n.smin = n.umin = n.s32min;
    n.smax = n.umax = n.s32max;
    smallIntersectRange(n, n.smin, n.smax);
  }
  return true;
}

/** Whether the bounds contradict each other (a dead branch). */
export function boundsInvalid(r: Reg): boolean {
  return r.umin > r.umax || r.smin > r.smax || r.u32min > r.u32max || r.s32min > r.s32max;
}

/** __reg_assign_32_into_64 after a 32-bit operation zero-extends. */
export function assign32Into64(r: Reg): void {
  r.umin = r.u32min;
  r.umax = r.u32max;
  if (r.s32min >= 0n && r.s32max >= 0n) {
    r.smin = r.s32min;
    r.smax = r.s32max;
  } else {
    r.smin = 0n;
    r.smax = U32;
  }
}

/** zext_32_to_64. */
export function zext32To64(r: Reg): void {
  r.var = tnumSubreg(r.var);
  assign32Into64(r);
}

/** coerce_reg_to_size: keep the low `size` bytes (a zero-extending narrow load). */
export function coerceRegToSize(r: Reg, size: number): void {
  const mask = (1n << BigInt(size * 8)) - 1n;
  r.var = { value: r.var.value & mask, mask: r.var.mask & mask };
  if ((r.umin & ~mask & U64) === (r.umax & ~mask & U64)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) markUnbounded32(r);
  regBoundsSync(r);
}

/** coerce_reg_to_size_sx: sign-extend the low `size` bytes (a sign-extending load or movsx). */
export function coerceRegToSizeSx(r: Reg, size: number): void {
  const bits = BigInt(size * 8);
  if (tnumIsConst(r.var)) {
    markKnown(r, BigInt.asIntN(Number(bits), r.var.value) & U64);
    return;
  }
  const lo = -(1n << (bits - 1n));
  const hi = (1n << (bits - 1n)) - 1n;
  const mask = (1n << bits) - 1n;
  const sameHigh = (r.smin >> bits) === (r.smax >> bits) || (r.umin >> bits) === (r.umax >> bits);
  let smin = lo;
  let smax = hi;
  if (sameHigh) {
    const a = BigInt.asIntN(Number(bits), r.umin & mask);
    const b = BigInt.asIntN(Number(bits), r.umax & mask);
    if (a <= b) {
      smin = a;
      smax = b;
    }
  }
  markUnknownKeep(r);
  r.smin = smin;
  r.smax = smax;
  if (smin >= 0n) {
    r.umin = smin;
    r.umax = smax;
  }
  r.var = tnumRange(0n, U64);
  r.s32min = size < 4 ? smin : S32_MIN;
  r.s32max = size < 4 ? smax : S32_MAX;
  regBoundsSync(r);
}

function markUnknownKeep(r: Reg): void {
  r.var = TNUM_UNKNOWN;
  markUnbounded(r);
}

/** `R1=scalar(smin=..)`-style text of a scalar for the verifier log, as print_verifier_state gives it. */
export function scalarStr(r: Reg): string {
  if (tnumIsConst(r.var)) return `${s64(r.var.value)}`;
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.smin !== S64_MIN && r.smin !== s64(r.umin)) parts.push(`smin=${r.smin}`);
  if (r.smax !== S64_MAX && r.smax !== s64(r.umax)) parts.push(`smax=${r.smax}`);
  if (r.umin !== 0n) parts.push(`umin=${r.umin}`);
  if (r.umax !== U64) parts.push(`umax=${r.umax}`);
  if (r.s32min !== S32_MIN && r.s32min !== toS32(r.u32min)) parts.push(`smin32=${r.s32min}`);
  if (r.s32max !== S32_MAX && r.s32max !== toS32(r.u32max)) parts.push(`smax32=${r.s32max}`);
  if (r.u32min !== 0n && r.u32min !== (r.umin & U32)) parts.push(`umin32=${r.u32min}`);
  if (r.u32max !== U32 && r.u32max !== r.umax) parts.push(`umax32=${r.u32max}`);
  if (r.var.mask !== U64) parts.push(`var_off=${tnumStr(r.var)}`);
  return `scalar(${parts.join(',')})`;
}

/** One register for the log: `scalar(umax=255)`, `pkt(off=14,r=34)`, `map_value(map=counters,ks=4,vs=8)`. */
export function regStr(r: Reg, mapName: (i: number) => string): string {
  if (r.type === 'scalar') return scalarStr(r);
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  if (r.off) parts.push(`off=${r.off}`);
  if (r.type === 'pkt' || r.type === 'pkt_meta') parts.push(`r=${r.range}`);
  if ((r.type === 'map_value' || r.type === 'map_ptr' || r.type === 'map_key') && r.map >= 0) parts.push(`map=${mapName(r.map)}`);
  if (r.type === 'mem') parts.push(`sz=${r.memSize}`);
  if (!tnumIsConst(r.var) || r.var.value !== 0n) {
    if (r.smin !== S64_MIN) parts.push(`smin=${r.smin}`);
    if (r.umax !== U64) parts.push(`umax=${r.umax}`);
    parts.push(`var_off=${tnumStr(r.var)}`);
  }
  const name = regTypeStr(r);
  return parts.length ? `${name}(${parts.join(',')})` : name;
}

export { tnumIsConst, tnumStr };
