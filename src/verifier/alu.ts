import type { Insn } from '../isa/insn.js';
import { BPF_ADD, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_DIV, BPF_END, BPF_K, BPF_LSH, BPF_MOD, BPF_MOV, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB, BPF_X, BPF_XOR } from '../isa/opcodes.js';
import type { Verifier } from './env.js';
import {
  S64_MIN,
  copyReg,
  isPointer,
  isPktPointer,
  markUnbounded32,
  markUnknown,
  regBoundsSync,
  regTypeStr,
  scalarConst,
  zext32To64,
  coerceRegToSizeSx,
  type Reg,
} from './reg.js';
import { adjustScalar } from './scalar.js';
import { markPrecise } from './precision.js';
import { U64, s64, tnumAdd, tnumIsConst, tnumSub } from './tnum.js';

/** ALU instructions (check_alu_op, adjust_reg_min_max_vals, adjust_ptr_min_max_vals). */

const BPF_MAX_VAR_OFF = 1n << 29n;
const ALU_STR = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];

/** check_reg_arg: r0..r10 only. */
function checkRegNo(v: Verifier, regno: number): void {
  if (regno > 10) v.fail(`R${regno} is invalid`);
}

export function checkRegRead(v: Verifier, regno: number): Reg {
  checkRegNo(v, regno);
  const r = v.regs()[regno]!;
  if (r.type === 'not_init') v.fail(`R${regno} !read_ok`);
  return r;
}

export function checkRegWrite(v: Verifier, regno: number): void {
  checkRegNo(v, regno);
  if (regno === 10) v.fail('frame pointer is read only');
}

export function checkAlu(v: Verifier, insn: Insn): void {
  const op = insn.opcode & 0xf0;
  const alu32 = (insn.opcode & 7) !== BPF_ALU64;
  const srcX = (insn.opcode & 0x08) === BPF_X;
  const regs = v.regs();
  if (op === BPF_END || op === BPF_NEG) {
    checkRegRead(v, insn.dst);
    checkRegWrite(v, insn.dst);
    const dst = regs[insn.dst]!;
    if (op === BPF_NEG && dst.type === 'scalar') {
      adjustScalar(dst, dst, BPF_NEG, alu32);
      dst.id = 0;
    } else markUnknown(dst);
    return;
  }
  if (op === BPF_MOV) {
    if (srcX) checkRegRead(v, insn.src);
    checkRegWrite(v, insn.dst);
    if (srcX) {
      const src = regs[insn.src]!;
      if (!alu32) {
        if (insn.off === 0) {
          if (src.type === 'scalar' && !src.id && !tnumIsConst(src.var)) src.id = v.newId();
          regs[insn.dst] = copyReg(src);
        } else {
          if (isPointer(src)) {
            markUnknown(regs[insn.dst]!);
            return;
          }
          const r = copyReg(src);
          r.id = 0;
          coerceRegToSizeSx(r, insn.off / 8);
          regs[insn.dst] = r;
        }
      } else {
        if (src.type === 'scalar') {
          const r = copyReg(src);
          if (insn.off === 0) {
            const fits32 = src.umax <= 0xffff_ffffn;
            if (fits32 && !src.id) src.id = v.newId();
            r.id = fits32 ? src.id : 0;
          } else {
            r.id = 0;
            coerceRegToSizeSx(r, insn.off / 8);
          }
          zext32To64(r);
          regBoundsSync(r);
          regs[insn.dst] = r;
        } else {
          markUnknown(regs[insn.dst]!);
          zext32To64(regs[insn.dst]!);
          regBoundsSync(regs[insn.dst]!);
        }
      }
    } else {
      regs[insn.dst] = scalarConst(alu32 ? BigInt(insn.imm >>> 0) : BigInt(insn.imm) & U64);
    }
    return;
  }
  // Binary operations: dst op= src.
  if (srcX) checkRegRead(v, insn.src);
  checkRegRead(v, insn.dst);
  checkRegWrite(v, insn.dst);
  if ((op === BPF_DIV || op === BPF_MOD) && !srcX && insn.imm === 0) v.fail('div by zero');
  if ((op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH) && !srcX) {
    const size = alu32 ? 32 : 64;
    if (insn.imm < 0 || insn.imm >= size) v.fail(`invalid shift ${insn.imm}`);
  }
  adjustRegMinMax(v, insn, op, alu32, srcX);
}

function adjustRegMinMax(v: Verifier, insn: Insn, op: number, alu32: boolean, srcX: boolean): void {
  const regs = v.regs();
  const dst = regs[insn.dst]!;
  let src: Reg;
  if (srcX) {
    src = regs[insn.src]!;
    if (src.type !== 'scalar') {
      if (dst.type !== 'scalar') {
        if (op === BPF_SUB) {
          markUnknown(dst);
          return;
        }
        v.fail(`R${insn.dst} pointer ${ALU_STR[op >> 4]} pointer prohibited`);
      }
      // scalar += pointer
      markPrecise(v, [insn.dst]);
      return adjustPtr(v, insn, op, alu32, copyReg(src), copyReg(dst), true);
    }
    if (dst.type !== 'scalar') {
      markPrecise(v, [insn.src]);
      return adjustPtr(v, insn, op, alu32, copyReg(dst), copyReg(v.regs()[insn.src]!), false);
    }
    if (dst.precise) markPrecise(v, [insn.src]);
  } else {
    src = scalarConst(BigInt(insn.imm) & U64);
    if (alu32) src = scalarConst(BigInt(insn.imm >>> 0));
    if (dst.type !== 'scalar') return adjustPtr(v, insn, op, alu32, copyReg(dst), src, false);
  }
  // Two scalars.
  const s = copyReg(src);
  adjustScalar(dst, s, op, alu32);
  dst.id = 0;
}

/** check_reg_sane_offset. */
function saneOffset(v: Verifier, reg: Reg, typeName: string): void {
  const known = tnumIsConst(reg.var);
  const val = s64(reg.var.value);
  if (known && (val >= BPF_MAX_VAR_OFF || val <= -BPF_MAX_VAR_OFF)) v.fail(`math between ${typeName} pointer and ${val} is not allowed`);
  if (reg.off >= Number(BPF_MAX_VAR_OFF) || reg.off <= -Number(BPF_MAX_VAR_OFF)) v.fail(`${typeName} pointer offset ${reg.off} is not allowed`);
  if (reg.smin === S64_MIN) v.fail(`math between ${typeName} pointer and register with unbounded min value is not allowed`);
  if (reg.smin >= BPF_MAX_VAR_OFF || reg.smin <= -BPF_MAX_VAR_OFF) v.fail(`value ${reg.smin} makes ${typeName} pointer be out of bounds`);
}

/** adjust_ptr_min_max_vals: pointer ± scalar. `swapped` for `scalar += pointer`. */
function adjustPtr(v: Verifier, insn: Insn, op: number, alu32: boolean, ptr: Reg, off: Reg, swapped: boolean): void {
  const regs = v.regs();
  const dstno = insn.dst;
  const known = tnumIsConst(off.var);
  if ((known && (off.smin !== off.smax || off.umin !== off.umax)) || off.smin > off.smax || off.umin > off.umax) {
    markUnknown(regs[dstno]!);
    return;
  }
  if (alu32) {
    if (op === BPF_SUB) {
      markUnknown(regs[dstno]!);
      return;
    }
    v.fail(`R${dstno} 32-bit pointer arithmetic prohibited`);
  }
  const name = regTypeStr(ptr);
  if (ptr.maybeNull) v.fail(`R${dstno} pointer arithmetic on ${name} prohibited, null-check it first`);
  switch (ptr.type) {
    case 'ctx':
    case 'map_value':
    case 'map_key':
    case 'fp':
    case 'pkt_meta':
    case 'pkt':
    case 'ptr_':
    case 'mem':
    case 'buf':
    case 'func':
    case 'dynptr_ptr':
      break;
    case 'flow_keys':
      if (known) break;
      v.fail(`R${dstno} pointer arithmetic on ${name} prohibited`);
      break;
    case 'map_ptr':
      if (known && off.smin === 0n && op === BPF_ADD) break;
      v.fail(`R${dstno} pointer arithmetic on ${name} prohibited`);
      break;
    default:
      v.fail(`R${dstno} pointer arithmetic on ${name} prohibited`);
  }
  const dst = copyReg(ptr);
  saneOffset(v, off, name);
  saneOffset(v, ptr, name);
  markUnbounded32(dst);
  switch (op) {
    case BPF_ADD: {
      const fixed = ptr.off + Number(off.smin);
      if (known && BigInt(ptr.off) + off.smin === BigInt.asIntN(32, BigInt(ptr.off) + off.smin)) {
        dst.off = fixed;
        break;
      }
      const smin = ptr.smin + off.smin;
      const smax = ptr.smax + off.smax;
      if (smin !== s64(smin) || smax !== s64(smax)) {
        dst.smin = S64_MIN;
        dst.smax = -S64_MIN - 1n;
      } else {
        dst.smin = smin;
        dst.smax = smax;
      }
      const umin = ptr.umin + off.umin;
      const umax = ptr.umax + off.umax;
      if (umin > U64 || umax > U64) {
        dst.umin = 0n;
        dst.umax = U64;
      } else {
        dst.umin = umin;
        dst.umax = umax;
      }
      dst.var = tnumAdd(ptr.var, off.var);
      if (isPktPointer(ptr)) {
        dst.id = v.newId();
        dst.range = 0;
      }
      break;
    }
    case BPF_SUB: {
      if (swapped) v.fail(`R${dstno} tried to subtract pointer from scalar`);
      if (ptr.type === 'fp') v.fail(`R${dstno} subtraction from stack pointer prohibited`);
      if (known && BigInt(ptr.off) - off.smin === BigInt.asIntN(32, BigInt(ptr.off) - off.smin)) {
        dst.off = ptr.off - Number(off.smin);
        break;
      }
      const smin = ptr.smin - off.smax;
      const smax = ptr.smax - off.smin;
      if (smin !== s64(smin) || smax !== s64(smax)) {
        dst.smin = S64_MIN;
        dst.smax = -S64_MIN - 1n;
      } else {
        dst.smin = smin;
        dst.smax = smax;
      }
      if (ptr.umin < off.umax) {
        dst.umin = 0n;
        dst.umax = U64;
      } else {
        dst.umin = ptr.umin - off.umax;
        dst.umax = ptr.umax - off.umin;
      }
      dst.var = tnumSub(ptr.var, off.var);
      if (isPktPointer(ptr)) {
        dst.id = v.newId();
        if (off.smin < 0n) dst.range = 0;
      }
      break;
    }
    case BPF_AND:
    case BPF_OR:
    case BPF_XOR:
      v.fail(`R${dstno} bitwise operator ${ALU_STR[op >> 4]} on pointer prohibited`);
      break;
    default:
      v.fail(`R${dstno} pointer arithmetic with ${ALU_STR[op >> 4]} operator prohibited`);
  }
  saneOffset(v, dst, name);
  regBoundsSync(dst);
  regs[dstno] = dst;
}

export { BPF_K };
