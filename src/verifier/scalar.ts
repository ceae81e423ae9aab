import { BPF_ADD, BPF_AND, BPF_ARSH, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_LSH, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB, BPF_XOR } from '../isa/opcodes.js';
import {
  S32_MAX,
  S32_MIN,
  S64_MAX,
  S64_MIN,
  copyReg,
  markKnown,
  markKnown32,
  markUnbounded32,
  markUnbounded64,
  markUnknown,
  regBoundsSync,
  updateRegBounds,
  zext32To64,
  type Reg,
} from './reg.js';
import {
  U32,
  U64,
  s64,
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
  tnumWithSubreg,
  tnumXor,
} from './tnum.js';

/**
 * Scalar arithmetic and branch refinement as kernel/bpf/verifier.c does them:
 * adjust_scalar_min_max_vals with its scalar{32,}_min_max_* helpers, is_scalar_branch_taken,
 * and regs_refine_cond_op.
 */

const toS32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);

function signedAddOverflows(a: bigint, b: bigint, bits: 32 | 64): boolean {
  const r = a + b;
  return bits === 64 ? r !== s64(r) : r !== toS32(r);
}

function add32(d: Reg, s: Reg): void {
  if (signedAddOverflows(d.s32min, s.s32min, 32) || signedAddOverflows(d.s32max, s.s32max, 32)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min += s.s32min;
    d.s32max += s.s32max;
  }
  const minOv = d.u32min + s.u32min > U32;
  const maxOv = d.u32max + s.u32max > U32;
  d.u32min = (d.u32min + s.u32min) & U32;
  d.u32max = (d.u32max + s.u32max) & U32;
  if (!minOv && maxOv) {
    d.u32min = 0n;
    d.u32max = U32;
  }
}

function add64(d: Reg, s: Reg): void {
  if (signedAddOverflows(d.smin, s.smin, 64) || signedAddOverflows(d.smax, s.smax, 64)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin += s.smin;
    d.smax += s.smax;
  }
  const minOv = d.umin + s.umin > U64;
  const maxOv = d.umax + s.umax > U64;
  d.umin = (d.umin + s.umin) & U64;
  d.umax = (d.umax + s.umax) & U64;
  if (!minOv && maxOv) {
    d.umin = 0n;
    d.umax = U64;
  }
}

function sub32(d: Reg, s: Reg): void {
  const a = d.s32min - s.s32max;
  const b = d.s32max - s.s32min;
  if (a !== toS32(a) || b !== toS32(b)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = a;
    d.s32max = b;
  }
  const minUnder = d.u32min < s.u32max;
  const maxUnder = d.u32max < s.u32min;
  const umin = (d.u32min - s.u32max) & U32;
  const umax = (d.u32max - s.u32min) & U32;
  if (minUnder && !maxUnder) {
    d.u32min = 0n;
    d.u32max = U32;
  } else {
    d.u32min = umin;
    d.u32max = umax;
  }
}

function sub64(d: Reg, s: Reg): void {
  const a = d.smin - s.smax;
  const b = d.smax - s.smin;
  if (a !== s64(a) || b !== s64(b)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = a;
    d.smax = b;
  }
  const minUnder = d.umin < s.umax;
  const maxUnder = d.umax < s.umin;
  const umin = (d.umin - s.umax) & U64;
  const umax = (d.umax - s.umin) & U64;
  if (minUnder && !maxUnder) {
    d.umin = 0n;
    d.umax = U64;
  } else {
    d.umin = umin;
    d.umax = umax;
  }
}

function mul32(d: Reg, s: Reg): void {
  const umax = d.u32max * s.u32max;
  const umin = d.u32min * s.u32min;
  if (umax > U32 || umin > U32) {
    d.u32min = 0n;
    d.u32max = U32;
  } else {
    d.u32min = umin;
    d.u32max = umax;
  }
  const prods = [d.s32min * s.s32min, d.s32min * s.s32max, d.s32max * s.s32min, d.s32max * s.s32max];
  if (prods.some((p) => p !== toS32(p))) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = prods.reduce(minB);
    d.s32max = prods.reduce(maxB);
  }
}

function mul64(d: Reg, s: Reg): void {
  const umax = d.umax * s.umax;
  const umin = d.umin * s.umin;
  if (umax > U64 || umin > U64) {
    d.umin = 0n;
    d.umax = U64;
  } else {
    d.umin = umin;
    d.umax = umax;
  }
  const prods = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  if (prods.some((p) => p !== s64(p))) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = prods.reduce(minB);
    d.smax = prods.reduce(maxB);
  }
}

function and32(d: Reg, s: Reg): void {
  const srcKnown = tnumSubregIsConst(s.var);
  const dstKnown = tnumSubregIsConst(d.var);
  const v32 = tnumSubreg(d.var);
  if (srcKnown && dstKnown) {
    markKnown32(d, v32.value);
    return;
  }
  d.u32min = v32.value;
  d.u32max = minB(d.u32max, s.u32max);
  if (toS32(d.u32min) <= toS32(d.u32max)) {
    d.s32min = toS32(d.u32min);
    d.s32max = toS32(d.u32max);
  } else {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  }
}

function and64(d: Reg, s: Reg): void {
  if (tnumIsConst(s.var) && tnumIsConst(d.var)) {
    markKnown(d, d.var.value);
    return;
  }
  d.umin = d.var.value;
  d.umax = minB(d.umax, s.umax);
  if (s64(d.umin) <= s64(d.umax)) {
    d.smin = s64(d.umin);
    d.smax = s64(d.umax);
  } else {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  }
  updateRegBounds(d);
}

function or32(d: Reg, s: Reg): void {
  const v32 = tnumSubreg(d.var);
  if (tnumSubregIsConst(s.var) && tnumSubregIsConst(d.var)) {
    markKnown32(d, v32.value);
    return;
  }
  d.u32min = maxB(d.u32min, s.u32min);
  d.u32max = v32.value | v32.mask;
  if (toS32(d.u32min) <= toS32(d.u32max)) {
    d.s32min = toS32(d.u32min);
    d.s32max = toS32(d.u32max);
  } else {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  }
}

function or64(d: Reg, s: Reg): void {
  if (tnumIsConst(s.var) && tnumIsConst(d.var)) {
    markKnown(d, d.var.value);
    return;
  }
  d.umin = maxB(d.umin, s.umin);
  d.umax = d.var.value | d.var.mask;
  if (s64(d.umin) <= s64(d.umax)) {
    d.smin = s64(d.umin);
    d.smax = s64(d.umax);
  } else {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  }
  updateRegBounds(d);
}

function xor32(d: Reg, s: Reg): void {
  const v32 = tnumSubreg(d.var);
  if (tnumSubregIsConst(s.var) && tnumSubregIsConst(d.var)) {
    markKnown32(d, v32.value);
    return;
  }
  d.u32min = v32.value;
  d.u32max = v32.value | v32.mask;
  if (toS32(d.u32min) <= toS32(d.u32max)) {
    d.s32min = toS32(d.u32min);
    d.s32max = toS32(d.u32max);
  } else {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  }
}

function xor64(d: Reg, s: Reg): void {
  if (tnumIsConst(s.var) && tnumIsConst(d.var)) {
    markKnown(d, d.var.value);
    return;
  }
  d.umin = d.var.value;
  d.umax = d.var.value | d.var.mask;
  if (s64(d.umin) <= s64(d.umax)) {
    d.smin = s64(d.umin);
    d.smax = s64(d.umax);
  } else {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  }
  updateRegBounds(d);
}

function lsh32Bounds(d: Reg, uminVal: bigint, umaxVal: bigint): void {
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  if (umaxVal > 31n || d.u32max > 1n << (31n - umaxVal)) {
    d.u32min = 0n;
    d.u32max = U32;
  } else {
    d.u32min <<= uminVal;
    d.u32max <<= umaxVal;
  }
}

function lsh64Bounds(d: Reg, uminVal: bigint, umaxVal: bigint): void {
  d.smax = uminVal === 32n && umaxVal === 32n && d.s32max >= 0n ? d.s32max << 32n : S64_MAX;
  d.smin = uminVal === 32n && umaxVal === 32n && d.s32min >= 0n ? d.s32min << 32n : S64_MIN;
  if (d.umax > 1n << (63n - umaxVal)) {
    d.umin = 0n;
    d.umax = U64;
  } else {
    d.umin = (d.umin << uminVal) & U64;
    d.umax = (d.umax << umaxVal) & U64;
  }
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
  switch (op) {
    case BPF_ADD:
      add32(d, s);
      add64(d, s);
      d.var = tnumAdd(d.var, s.var);
      break;
    case BPF_SUB:
      sub32(d, s);
      sub64(d, s);
      d.var = tnumSub(d.var, s.var);
      break;
    case BPF_NEG: {
      const fake = copyReg(d);
      markKnown(d, 0n);
      sub32(d, fake);
      sub64(d, fake);
      d.var = tnumNeg(fake.var);
      break;
    }
    case BPF_MUL:
      d.var = tnumMul(d.var, s.var);
      mul32(d, s);
      mul64(d, s);
      break;
    case BPF_AND:
      d.var = tnumAnd(d.var, s.var);
      and32(d, s);
      and64(d, s);
      break;
    case BPF_OR:
      d.var = tnumOr(d.var, s.var);
      or32(d, s);
      or64(d, s);
      break;
    case BPF_XOR:
      d.var = tnumXor(d.var, s.var);
      xor32(d, s);
      xor64(d, s);
      break;
    case BPF_LSH:
      if (alu32) {
        const sub = tnumSubreg(d.var);
        lsh32Bounds(d, s.u32min, s.u32max);
        d.var = tnumSubreg(tnumLshift(sub, Number(s.u32min)));
        markUnbounded64(d);
        updateRegBounds(d);
      } else {
        lsh64Bounds(d, s.umin, s.umax);
        lsh32Bounds(d, s.umin, s.umax);
        d.var = tnumLshift(d.var, Number(s.umin));
        updateRegBounds(d);
      }
      break;
    case BPF_RSH:
      if (alu32) {
        const sub = tnumSubreg(d.var);
        d.s32min = S32_MIN;
        d.s32max = S32_MAX;
        d.var = tnumRshift(sub, Number(s.u32min));
        d.u32min >>= s.u32max;
        d.u32max >>= s.u32min;
        markUnbounded64(d);
        updateRegBounds(d);
      } else {
        d.smin = S64_MIN;
        d.smax = S64_MAX;
        d.var = tnumRshift(d.var, Number(s.umin));
        d.umin >>= s.umax;
        d.umax >>= s.umin;
        markUnbounded32(d);
        updateRegBounds(d);
      }
      break;
    case BPF_ARSH:
      if (alu32) {
        const sh = s.u32min;
        d.s32min >>= sh;
        d.s32max >>= sh;
        d.var = tnumArshift(tnumSubreg(d.var), Number(sh), 32);
        d.u32min = 0n;
        d.u32max = U32;
        markUnbounded64(d);
        updateRegBounds(d);
      } else {
        const sh = s.umin;
        d.smin >>= sh;
        d.smax >>= sh;
        d.var = tnumArshift(d.var, Number(sh), 64);
        d.umin = 0n;
        d.umax = U64;
        markUnbounded32(d);
        updateRegBounds(d);
      }
      break;
  }
  if (alu32) zext32To64(d);
  regBoundsSync(d);
}

/** is_scalar_branch_taken: 1 always, 0 never, -1 unknown. */
export function scalarBranchTaken(r1: Reg, r2: Reg, op: number, jmp32: boolean): number {
  const t1 = jmp32 ? tnumSubreg(r1.var) : r1.var;
  const t2 = jmp32 ? tnumSubreg(r2.var) : r2.var;
  const umin1 = jmp32 ? r1.u32min : r1.umin;
  const umax1 = jmp32 ? r1.u32max : r1.umax;
  const smin1 = jmp32 ? r1.s32min : r1.smin;
  const smax1 = jmp32 ? r1.s32max : r1.smax;
  const umin2 = jmp32 ? r2.u32min : r2.umin;
  const umax2 = jmp32 ? r2.u32max : r2.umax;
  const smin2 = jmp32 ? r2.s32min : r2.smin;
  const smax2 = jmp32 ? r2.s32max : r2.smax;
  switch (op) {
    case BPF_JEQ:
      if (tnumIsConst(t1) && tnumIsConst(t2)) return t1.value === t2.value ? 1 : 0;
      if (umin1 > umax2 || umax1 < umin2) return 0;
      if (smin1 > smax2 || smax1 < smin2) return 0;
      if (!jmp32) {
        if (r1.u32min > r2.u32max || r1.u32max < r2.u32min) return 0;
        if (r1.s32min > r2.s32max || r1.s32max < r2.s32min) return 0;
      }
      break;
    case BPF_JNE:
      if (tnumIsConst(t1) && tnumIsConst(t2)) return t1.value !== t2.value ? 1 : 0;
      if (umin1 > umax2 || umax1 < umin2) return 1;
      if (smin1 > smax2 || smax1 < smin2) return 1;
      if (!jmp32) {
        if (r1.u32min > r2.u32max || r1.u32max < r2.u32min) return 1;
        if (r1.s32min > r2.s32max || r1.s32max < r2.s32min) return 1;
      }
      break;
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

function constValue(r: Reg, jmp32: boolean): bigint {
  return jmp32 ? r.var.value & U32 : r.var.value;
}

function isRegConst(r: Reg, jmp32: boolean): boolean {
  return r.type === 'scalar' && (jmp32 ? tnumSubregIsConst(r.var) : tnumIsConst(r.var));
}

/** regs_refine_cond_op: what `r1 op r2` being true teaches about both. */
export function refineCondOp(reg1: Reg, reg2: Reg, opIn: number, jmp32: boolean): void {
  let r1 = reg1;
  let r2 = reg2;
  let op = opIn;
  if (op === BPF_JGE || op === BPF_JGT || op === BPF_JSGE || op === BPF_JSGT) {
    op = flipOpcode(op);
    [r1, r2] = [r2, r1];
  }
  switch (op) {
    case BPF_JEQ:
      if (jmp32) {
        r1.u32min = maxB(r1.u32min, r2.u32min);
        r1.u32max = minB(r1.u32max, r2.u32max);
        r1.s32min = maxB(r1.s32min, r2.s32min);
        r1.s32max = minB(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min;
        r2.u32max = r1.u32max;
        r2.s32min = r1.s32min;
        r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.var), tnumSubreg(r2.var));
        r1.var = tnumWithSubreg(r1.var, t);
        r2.var = tnumWithSubreg(r2.var, t);
      } else {
        r1.umin = maxB(r1.umin, r2.umin);
        r1.umax = minB(r1.umax, r2.umax);
        r1.smin = maxB(r1.smin, r2.smin);
        r1.smax = minB(r1.smax, r2.smax);
        r2.umin = r1.umin;
        r2.umax = r1.umax;
        r2.smin = r1.smin;
        r2.smax = r1.smax;
        r1.var = tnumIntersect(r1.var, r2.var);
        r2.var = r1.var;
      }
      break;
    case BPF_JNE: {
      if (!isRegConst(r2, jmp32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, jmp32)) break;
      const val = constValue(r2, jmp32);
      if (jmp32) {
        if (r1.u32min === val) r1.u32min++;
        if (r1.u32max === val) r1.u32max--;
        if (r1.s32min === toS32(val)) r1.s32min++;
        if (r1.s32max === toS32(val)) r1.s32max--;
      } else {
        if (r1.umin === val) r1.umin++;
        if (r1.umax === val) r1.umax--;
        if (r1.smin === s64(val)) r1.smin++;
        if (r1.smax === s64(val)) r1.smax--;
      }
      break;
    }
    case BPF_JSET: {
      if (!isRegConst(r2, jmp32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, jmp32)) break;
      const val = constValue(r2, jmp32);
      if (val === 0n || (val & (val - 1n)) !== 0n) break;
      if (jmp32) r1.var = tnumWithSubreg(r1.var, tnumOr(tnumSubreg(r1.var), tnumConst(val)));
      else r1.var = tnumOr(r1.var, tnumConst(val));
      break;
    }
    case JSET_NOT: {
      if (!isRegConst(r2, jmp32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, jmp32)) break;
      const val = constValue(r2, jmp32);
      markUnbounded64(r1);
      markUnbounded32(r1);
      if (jmp32) r1.var = tnumWithSubreg(r1.var, tnumAnd(tnumSubreg(r1.var), tnumConst(~val & U32)));
      else r1.var = tnumAnd(r1.var, tnumConst(~val & U64));
      break;
    }
    case BPF_JLE:
      if (jmp32) {
        r1.u32max = minB(r1.u32max, r2.u32max);
        r2.u32min = maxB(r1.u32min, r2.u32min);
      } else {
        r1.umax = minB(r1.umax, r2.umax);
        r2.umin = maxB(r1.umin, r2.umin);
      }
      break;
    case BPF_JLT:
      if (jmp32) {
        r1.u32max = minB(r1.u32max, (r2.u32max - 1n) & U32);
        r2.u32min = maxB((r1.u32min + 1n) & U32, r2.u32min);
      } else {
        r1.umax = minB(r1.umax, (r2.umax - 1n) & U64);
        r2.umin = maxB((r1.umin + 1n) & U64, r2.umin);
      }
      break;
    case BPF_JSLE:
      if (jmp32) {
        r1.s32max = minB(r1.s32max, r2.s32max);
        r2.s32min = maxB(r1.s32min, r2.s32min);
      } else {
        r1.smax = minB(r1.smax, r2.smax);
        r2.smin = maxB(r1.smin, r2.smin);
      }
      break;
    case BPF_JSLT:
      if (jmp32) {
        r1.s32max = minB(r1.s32max, toS32(r2.s32max - 1n));
        r2.s32min = maxB(toS32(r1.s32min + 1n), r2.s32min);
      } else {
        r1.smax = minB(r1.smax, s64(r2.smax - 1n));
        r2.smin = maxB(s64(r1.smin + 1n), r2.smin);
      }
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
