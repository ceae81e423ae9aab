import { BPF_ADD, BPF_AND, BPF_ARSH, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_LSH, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB, BPF_XOR } from '../isa/opcodes.js';
import {
  S64_MAX,
  S64_MIN,
  W32,
  W64,
  copyReg,
  markKnown,
  markUnbounded32,
  markUnbounded64,
  markUnboundedW,
  markUnknown,
  regBoundsSync,
  updateRegBounds,
  zext32To64,
  type Reg,
  type Width,
} from './reg.js';
import {
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumSubregIsConst,
  tnumXor,
} from './tnum.js';

/**
 * Scalar arithmetic and branch refinement as kernel/bpf/verifier.c does them:
 * adjust_scalar_min_max_vals with its scalar{32,}_min_max_* helpers, is_scalar_branch_taken,
 * and regs_refine_cond_op.
 */

const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** scalar{32,}_min_max_add. */
function addBounds(d: Reg, s: Reg, w: Width): void {
  const smin = d[w.smin] + s[w.smin];
  const smax = d[w.smax] + s[w.smax];
  if (smin !== w.signed(smin) || smax !== w.signed(smax)) {
    d[w.smin] = w.SMIN;
    d[w.smax] = w.SMAX;
  } else {
    d[w.smin] = smin;
    d[w.smax] = smax;
  }
  const umin = d[w.umin] + s[w.umin];
  const umax = d[w.umax] + s[w.umax];
  if (umin <= w.UMAX && umax > w.UMAX) {
    d[w.umin] = 0n;
    d[w.umax] = w.UMAX;
  } else {
    d[w.umin] = umin & w.UMAX;
    d[w.umax] = umax & w.UMAX;
  }
}

/** scalar{32,}_min_max_sub. */
function subBounds(d: Reg, s: Reg, w: Width): void {
  const smin = d[w.smin] - s[w.smax];
  const smax = d[w.smax] - s[w.smin];
  if (smin !== w.signed(smin) || smax !== w.signed(smax)) {
    d[w.smin] = w.SMIN;
    d[w.smax] = w.SMAX;
  } else {
    d[w.smin] = smin;
    d[w.smax] = smax;
  }
  const minUnder = d[w.umin] < s[w.umax];
  const maxUnder = d[w.umax] < s[w.umin];
  if (minUnder && !maxUnder) {
    d[w.umin] = 0n;
    d[w.umax] = w.UMAX;
  } else {
    d[w.umin] = (d[w.umin] - s[w.umax]) & w.UMAX;
    d[w.umax] = (d[w.umax] - s[w.umin]) & w.UMAX;
  }
}

/** scalar{32,}_min_max_mul. */
function mulBounds(d: Reg, s: Reg, w: Width): void {
  const umax = d[w.umax] * s[w.umax];
  const umin = d[w.umin] * s[w.umin];
  if (umax > w.UMAX || umin > w.UMAX) {
    d[w.umin] = 0n;
    d[w.umax] = w.UMAX;
  } else {
    d[w.umin] = umin;
    d[w.umax] = umax;
  }
  const a = d[w.smin] * s[w.smin];
  const b = d[w.smin] * s[w.smax];
  const c = d[w.smax] * s[w.smin];
  const e = d[w.smax] * s[w.smax];
  if (a !== w.signed(a) || b !== w.signed(b) || c !== w.signed(c) || e !== w.signed(e)) {
    d[w.smin] = w.SMIN;
    d[w.smax] = w.SMAX;
  } else {
    d[w.smin] = minB(minB(a, b), minB(c, e));
    d[w.smax] = maxB(maxB(a, b), maxB(c, e));
  }
}

/**
 * scalar{32,}_min_max_{and,or,xor} after the tnum is computed: both constant gives a constant;
 * else the unsigned bounds are `umin`..`umax` and the signed ones follow when that range does not
 * cross the sign bit. The 64-bit forms also learn from the tnum (__update_reg_bounds).
 */
function bitwiseBounds(d: Reg, s: Reg, w: Width, umin: bigint, umax: bigint): void {
  d[w.umin] = umin;
  d[w.umax] = umax;
  if (w.signed(umin) <= w.signed(umax)) {
    d[w.smin] = w.signed(umin);
    d[w.smax] = w.signed(umax);
  } else {
    d[w.smin] = w.SMIN;
    d[w.smax] = w.SMAX;
  }
  if (w === W64) updateRegBounds(d);
}

function bitwise(d: Reg, s: Reg, op: number, w: Width): void {
  const t = w.tnum(d.var);
  if (tnumIsConst(w.tnum(s.var)) && tnumIsConst(t)) {
    w.markKnown(d, t.value);
    return;
  }
  if (op === BPF_AND) bitwiseBounds(d, s, w, t.value, minB(d[w.umax], s[w.umax]));
  else if (op === BPF_OR) bitwiseBounds(d, s, w, maxB(d[w.umin], s[w.umin]), t.value | t.mask);
  else bitwiseBounds(d, s, w, t.value, t.value | t.mask);
}

/** __scalar{32,64}_min_max_lsh's unsigned part: a shift that may push a set bit out is unbounded. */
function lshUnsigned(d: Reg, w: Width, uminVal: bigint, umaxVal: bigint): void {
  if (umaxVal > BigInt(w.bits - 1) || d[w.umax] > 1n << (BigInt(w.bits - 1) - umaxVal)) {
    d[w.umin] = 0n;
    d[w.umax] = w.UMAX;
  } else {
    d[w.umin] = (d[w.umin] << uminVal) & w.UMAX;
    d[w.umax] = (d[w.umax] << umaxVal) & w.UMAX;
  }
}

function lsh32Bounds(d: Reg, uminVal: bigint, umaxVal: bigint): void {
  d.s32min = W32.SMIN;
  d.s32max = W32.SMAX;
  lshUnsigned(d, W32, uminVal, umaxVal);
}

function lsh64Bounds(d: Reg, uminVal: bigint, umaxVal: bigint): void {
  // A 32-bit value shifted into the upper half keeps its signed bounds (__scalar64_min_max_lsh).
  d.smax = uminVal === 32n && umaxVal === 32n && d.s32max >= 0n ? d.s32max << 32n : S64_MAX;
  d.smin = uminVal === 32n && umaxVal === 32n && d.s32min >= 0n ? d.s32min << 32n : S64_MIN;
  lshUnsigned(d, W64, uminVal, umaxVal);
}

/** is_safe_to_compute_dst_reg_range. */
function safeToCompute(op: number, s: Reg, alu32: boolean): boolean {
  let srcConst: boolean;
  if (alu32) srcConst = tnumSubregIsConst(s.var) && s.s32min === s.s32max && s.u32min === s.u32max;
  else srcConst = tnumIsConst(s.var) && s.smin === s.smax && s.umin === s.umax;
  switch (op) {
    case BPF_ADD:
    case BPF_SUB:
    case BPF_NEG:
    case BPF_AND:
    case BPF_XOR:
    case BPF_OR:
    case BPF_MUL:
      return true;
    case BPF_LSH:
    case BPF_RSH:
    case BPF_ARSH:
      return srcConst && s.umax < (alu32 ? 32n : 64n);
    default:
      return false;
  }
}

/**
 * adjust_scalar_min_max_vals: `dst op= src` on two scalars (`src` already read; for BPF_K a
 * constant register of the immediate). 32-bit operations zero-extend.
 */
export function adjustScalar(d: Reg, srcIn: Reg, op: number, alu32: boolean): void {
  const s = srcIn;
  if (!safeToCompute(op, s, alu32)) {
    markUnknown(d);
    return;
  }
  const w = alu32 ? W32 : W64;
  switch (op) {
    case BPF_ADD:
      addBounds(d, s, W32);
      addBounds(d, s, W64);
      d.var = tnumAdd(d.var, s.var);
      break;
    case BPF_SUB:
      subBounds(d, s, W32);
      subBounds(d, s, W64);
      d.var = tnumSub(d.var, s.var);
      break;
    case BPF_NEG: {
      const fake = copyReg(d);
      markKnown(d, 0n);
      subBounds(d, fake, W32);
      subBounds(d, fake, W64);
      d.var = tnumNeg(fake.var);
      break;
    }
    case BPF_MUL:
      d.var = tnumMul(d.var, s.var);
      mulBounds(d, s, W32);
      mulBounds(d, s, W64);
      break;
    case BPF_AND:
    case BPF_OR:
    case BPF_XOR:
      d.var = op === BPF_AND ? tnumAnd(d.var, s.var) : op === BPF_OR ? tnumOr(d.var, s.var) : tnumXor(d.var, s.var);
      bitwise(d, s, op, W32);
      bitwise(d, s, op, W64);
      break;
    case BPF_LSH:
      if (alu32) {
        const sub = tnumSubreg(d.var);
        lsh32Bounds(d, s.u32min, s.u32max);
        d.var = tnumSubreg(tnumLshift(sub, Number(s.u32min)));
        markUnbounded64(d);
      } else {
        lsh64Bounds(d, s.umin, s.umax);
        lsh32Bounds(d, s.umin, s.umax);
        d.var = tnumLshift(d.var, Number(s.umin));
      }
      updateRegBounds(d);
      break;
    case BPF_RSH: {
      // scalar{32,}_min_max_rsh: the signed bounds are lost, the other width is unbounded.
      const shMin = s[w.umin];
      const shMax = s[w.umax];
      d[w.smin] = w.SMIN;
      d[w.smax] = w.SMAX;
      d.var = tnumRshift(w.tnum(d.var), Number(shMin));
      d[w.umin] >>= shMax;
      d[w.umax] >>= shMin;
      markUnboundedW(d, alu32 ? W64 : W32);
      updateRegBounds(d);
      break;
    }
    case BPF_ARSH: {
      // scalar{32,}_min_max_arsh: a constant shift keeps the signed bounds, not the unsigned ones.
      const sh = s[w.umin];
      d[w.smin] >>= sh;
      d[w.smax] >>= sh;
      d.var = tnumArshift(w.tnum(d.var), Number(sh), w.bits);
      d[w.umin] = 0n;
      d[w.umax] = w.UMAX;
      markUnboundedW(d, alu32 ? W64 : W32);
      updateRegBounds(d);
      break;
    }
  }
  if (alu32) zext32To64(d);
  regBoundsSync(d);
}

/** is_scalar_branch_taken: 1 always, 0 never, -1 unknown. */
export function scalarBranchTaken(r1: Reg, r2: Reg, op: number, jmp32: boolean): number {
  const w = jmp32 ? W32 : W64;
  const t1 = w.tnum(r1.var);
  const t2 = w.tnum(r2.var);
  const umin1 = r1[w.umin];
  const umax1 = r1[w.umax];
  const smin1 = r1[w.smin];
  const smax1 = r1[w.smax];
  const umin2 = r2[w.umin];
  const umax2 = r2[w.umax];
  const smin2 = r2[w.smin];
  const smax2 = r2[w.smax];
  switch (op) {
    case BPF_JEQ:
    case BPF_JNE: {
      const ne = op === BPF_JNE ? 1 : 0;
      if (tnumIsConst(t1) && tnumIsConst(t2)) return t1.value !== t2.value ? ne : 1 - ne;
      if (umin1 > umax2 || umax1 < umin2 || smin1 > smax2 || smax1 < smin2) return ne;
      // A 64-bit comparison also fails when the low halves cannot be equal.
      if (!jmp32 && (r1.u32min > r2.u32max || r1.u32max < r2.u32min || r1.s32min > r2.s32max || r1.s32max < r2.s32min)) return ne;
      break;
    }
    case BPF_JSET: {
      let a = t1;
      let b = t2;
      if (!tnumIsConst(b)) [a, b] = [b, a];
      if (!tnumIsConst(b)) return -1;
      if ((~a.mask & a.value & b.value) !== 0n) return 1;
      if (((a.mask | a.value) & b.value) === 0n) return 0;
      break;
    }
    case BPF_JGT:
      if (umin1 > umax2) return 1;
      if (umax1 <= umin2) return 0;
      break;
    case BPF_JSGT:
      if (smin1 > smax2) return 1;
      if (smax1 <= smin2) return 0;
      break;
    case BPF_JLT:
      if (umax1 < umin2) return 1;
      if (umin1 >= umax2) return 0;
      break;
    case BPF_JSLT:
      if (smax1 < smin2) return 1;
      if (smin1 >= smax2) return 0;
      break;
    case BPF_JGE:
      if (umin1 >= umax2) return 1;
      if (umax1 < umin2) return 0;
      break;
    case BPF_JSGE:
      if (smin1 >= smax2) return 1;
      if (smax1 < smin2) return 0;
      break;
    case BPF_JLE:
      if (umax1 <= umin2) return 1;
      if (umin1 > umax2) return 0;
      break;
    case BPF_JSLE:
      if (smax1 <= smin2) return 1;
      if (smin1 > smax2) return 0;
      break;
  }
  return -1;
}

/** BPF_JSET | BPF_X stands for "JSET not taken" in rev_opcode. */
export const JSET_NOT = BPF_JSET | 0x08;

/** rev_opcode: the condition of the other branch. */
export function revOpcode(op: number): number {
  switch (op) {
    case BPF_JEQ:
      return BPF_JNE;
    case BPF_JNE:
      return BPF_JEQ;
    case BPF_JSET:
      return JSET_NOT;
    case JSET_NOT:
      return BPF_JSET;
    case BPF_JGT:
      return BPF_JLE;
    case BPF_JLE:
      return BPF_JGT;
    case BPF_JGE:
      return BPF_JLT;
    case BPF_JLT:
      return BPF_JGE;
    case BPF_JSGT:
      return BPF_JSLE;
    case BPF_JSLE:
      return BPF_JSGT;
    case BPF_JSGE:
      return BPF_JSLT;
    case BPF_JSLT:
      return BPF_JSGE;
  }
  return op;
}

/** flip_opcode: the same condition with the operands swapped. */
export function flipOpcode(op: number): number {
  switch (op) {
    case BPF_JGT:
      return BPF_JLT;
    case BPF_JLT:
      return BPF_JGT;
    case BPF_JGE:
      return BPF_JLE;
    case BPF_JLE:
      return BPF_JGE;
    case BPF_JSGT:
      return BPF_JSLT;
    case BPF_JSLT:
      return BPF_JSGT;
    case BPF_JSGE:
      return BPF_JSLE;
    case BPF_JSLE:
      return BPF_JSGE;
  }
  return op;
}

function isRegConst(r: Reg, w: Width): boolean {
  return r.type === 'scalar' && tnumIsConst(w.tnum(r.var));
}

/** regs_refine_cond_op: what `r1 op r2` being true teaches about both. */
export function refineCondOp(reg1: Reg, reg2: Reg, opIn: number, jmp32: boolean): void {
  const w = jmp32 ? W32 : W64;
  let r1 = reg1;
  let r2 = reg2;
  let op = opIn;
  if (op === BPF_JGE || op === BPF_JGT || op === BPF_JSGE || op === BPF_JSGT) {
    op = flipOpcode(op);
    [r1, r2] = [r2, r1];
  }
  switch (op) {
    case BPF_JEQ: {
      r1[w.umin] = maxB(r1[w.umin], r2[w.umin]);
      r1[w.umax] = minB(r1[w.umax], r2[w.umax]);
      r1[w.smin] = maxB(r1[w.smin], r2[w.smin]);
      r1[w.smax] = minB(r1[w.smax], r2[w.smax]);
      r2[w.umin] = r1[w.umin];
      r2[w.umax] = r1[w.umax];
      r2[w.smin] = r1[w.smin];
      r2[w.smax] = r1[w.smax];
      const t = tnumIntersect(w.tnum(r1.var), w.tnum(r2.var));
      r1.var = w.withTnum(r1.var, t);
      r2.var = w.withTnum(r2.var, t);
      break;
    }
    case BPF_JNE: {
      if (!isRegConst(r2, w)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, w)) break;
      // A constant at the edge of the other's range moves that edge by one.
      const val = w.tnum(r2.var).value;
      if (r1[w.umin] === val) r1[w.umin]++;
      if (r1[w.umax] === val) r1[w.umax]--;
      if (r1[w.smin] === w.signed(val)) r1[w.smin]++;
      if (r1[w.smax] === w.signed(val)) r1[w.smax]--;
      break;
    }
    case BPF_JSET: {
      if (!isRegConst(r2, w)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, w)) break;
      const val = w.tnum(r2.var).value;
      if (val === 0n || (val & (val - 1n)) !== 0n) break;
      r1.var = w.withTnum(r1.var, tnumOr(w.tnum(r1.var), tnumConst(val)));
      break;
    }
    case JSET_NOT: {
      if (!isRegConst(r2, w)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, w)) break;
      const val = w.tnum(r2.var).value;
      markUnbounded64(r1);
      markUnbounded32(r1);
      r1.var = w.withTnum(r1.var, tnumAnd(w.tnum(r1.var), tnumConst(~val & w.UMAX)));
      break;
    }
    case BPF_JLE:
      r1[w.umax] = minB(r1[w.umax], r2[w.umax]);
      r2[w.umin] = maxB(r1[w.umin], r2[w.umin]);
      break;
    case BPF_JLT:
      r1[w.umax] = minB(r1[w.umax], (r2[w.umax] - 1n) & w.UMAX);
      r2[w.umin] = maxB((r1[w.umin] + 1n) & w.UMAX, r2[w.umin]);
      break;
    case BPF_JSLE:
      r1[w.smax] = minB(r1[w.smax], r2[w.smax]);
      r2[w.smin] = maxB(r1[w.smin], r2[w.smin]);
      break;
    case BPF_JSLT:
      r1[w.smax] = minB(r1[w.smax], w.signed(r2[w.smax] - 1n));
      r2[w.smin] = maxB(w.signed(r1[w.smin] + 1n), r2[w.smin]);
      break;
  }
}

/** reg_set_min_max on two scalars: refine the false branch's copies with the reverse condition, the true branch's with `op`. */
export function regSetMinMax(trueR1: Reg, trueR2: Reg, falseR1: Reg, falseR2: Reg, op: number, jmp32: boolean): void {
  if (falseR1.type !== 'scalar' || falseR2.type !== 'scalar') return;
  refineCondOp(falseR1, falseR2, revOpcode(op), jmp32);
  regBoundsSync(falseR1);
  regBoundsSync(falseR2);
  refineCondOp(trueR1, trueR2, op, jmp32);
  regBoundsSync(trueR1);
  regBoundsSync(trueR2);
}

export { BPF_NEG };
