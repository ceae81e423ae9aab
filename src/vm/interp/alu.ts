import {
  BPF_ADD,
  BPF_ALU64,
  BPF_AND,
  BPF_ARSH,
  BPF_DIV,
  BPF_END,
  BPF_LSH,
  BPF_MOD,
  BPF_MOV,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_TO_BE,
  BPF_XOR,
  type Opcode,
} from '../../isa/opcodes.js';
import type { Insn } from '../../isa/insn.js';
import { sdiv64, smod64 } from '../alu.js';
import { type Step, toBig } from './state.js';

/**
 * Registers as pairs of unsigned 32-bit halves: `R` the low words, `H` the high words, indexed by
 * register (0..10) or by an instruction's constant slot. `d` is the destination, `b` the second
 * operand's slot (a register for BPF_X, the instruction's immediate sign-extended to 64 bits for
 * BPF_K).
 */
export interface AluOperands {
  R: Uint32Array;
  H: Uint32Array;
  d: number;
  b: number;
}

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** High 32 bits of the 64-bit product of two unsigned 32-bit numbers, exactly (16-bit limbs stay below 2^53). */
function mulHiU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return a1 * b1 + Math.floor(p01 / 65536) + Math.floor(p10 / 65536) + Math.floor(mid / 65536);
}

/**
 * The step of a BPF_ALU64 instruction (RFC 9669 §4.1; src/vm/alu.ts states each operation
 * plainly). `insn.off` is 1 for sdiv/smod and the source width of movsx; `insn.imm` the width of
 * a byte swap.
 */
function alu64(op: number, { R, H, d, b }: AluOperands, insn: Insn): Step {
  switch (op) {
    case BPF_ADD:
      return (pc) => {
        const s = R[d]! + R[b]!;
        H[d] = H[d]! + H[b]! + (s > 0xffffffff ? 1 : 0);
        R[d] = s;
        return pc + 1;
      };
    case BPF_SUB:
      return (pc) => {
        const s = R[d]! - R[b]!;
        H[d] = H[d]! - H[b]! - (s < 0 ? 1 : 0);
        R[d] = s;
        return pc + 1;
      };
    case BPF_MUL:
      return (pc) => {
        const al = R[d]!;
        const bl = R[b]!;
        H[d] = mulHiU32(al, bl) + Math.imul(al, H[b]!) + Math.imul(H[d]!, bl);
        R[d] = Math.imul(al, bl);
        return pc + 1;
      };
    case BPF_DIV:
    case BPF_MOD: {
      const signed = insn.off === 1;
      const div = op === BPF_DIV;
      return (pc) => {
        const bl = R[b]!;
        const bh = H[b]!;
        if (H[d] === 0 && bh === 0) {
          // Both non-negative below 2^32: signed and unsigned agree.
          if (div) R[d] = bl === 0 ? 0 : Math.floor(R[d]! / bl);
          else if (bl !== 0) R[d] = R[d]! % bl;
          return pc + 1;
        }
        const x = toBig(R[d]!, H[d]!);
        const y = toBig(bl, bh);
        let v: bigint;
        if (div) v = signed ? sdiv64(x, y) : y === 0n ? 0n : x / y;
        else v = signed ? smod64(x, y) : y === 0n ? x : x % y;
        R[d] = Number(v & 0xffffffffn);
        H[d] = Number(v >> 32n);
        return pc + 1;
      };
    }
    case BPF_OR:
      return (pc) => {
        R[d] = R[d]! | R[b]!;
        H[d] = H[d]! | H[b]!;
        return pc + 1;
      };
    case BPF_AND:
      return (pc) => {
        R[d] = R[d]! & R[b]!;
        H[d] = H[d]! & H[b]!;
        return pc + 1;
      };
    case BPF_XOR:
      return (pc) => {
        R[d] = R[d]! ^ R[b]!;
        H[d] = H[d]! ^ H[b]!;
        return pc + 1;
      };
    case BPF_LSH:
      return (pc) => {
        const n = R[b]! & 63;
        if (n >= 32) {
          H[d] = R[d]! << (n - 32);
          R[d] = 0;
        } else if (n !== 0) {
          H[d] = (H[d]! << n) | (R[d]! >>> (32 - n));
          R[d] = R[d]! << n;
        }
        return pc + 1;
      };
    case BPF_RSH:
      return (pc) => {
        const n = R[b]! & 63;
        if (n >= 32) {
          R[d] = H[d]! >>> (n - 32);
          H[d] = 0;
        } else if (n !== 0) {
          R[d] = (R[d]! >>> n) | (H[d]! << (32 - n));
          H[d] = H[d]! >>> n;
        }
        return pc + 1;
      };
    case BPF_ARSH:
      return (pc) => {
        const n = R[b]! & 63;
        if (n >= 32) {
          R[d] = H[d]! >> (n - 32);
          H[d] = H[d]! >> 31;
        } else if (n !== 0) {
          R[d] = (R[d]! >>> n) | (H[d]! << (32 - n));
          H[d] = H[d]! >> n;
        }
        return pc + 1;
      };
    case BPF_NEG:
      return (pc) => {
        const l = R[d]!;
        R[d] = -l;
        H[d] = -H[d]! - (l !== 0 ? 1 : 0);
        return pc + 1;
      };
    case BPF_MOV: {
      const w = insn.off;
      if (w === 0) {
        return (pc) => {
          R[d] = R[b]!;
          H[d] = H[b]!;
          return pc + 1;
        };
      }
      // movsx: shift the source's top bit to bit 31, then arithmetic-shift it back.
      return (pc) => {
        const v = w === 32 ? R[b]! | 0 : (R[b]! << (32 - w)) >> (32 - w);
        R[d] = v;
        H[d] = v >> 31;
        return pc + 1;
      };
    }
    default:
      // BPF_END in ALU64: bswap16/32/64, unconditional.
      return byteSwap(insn.imm, R, H, d);
  }
}

/** bswap (and be16/32/64 on this little-endian machine): reverse the low `width` bits, zero the rest. */
function byteSwap(width: number, R: Uint32Array, H: Uint32Array, d: number): Step {
  return (pc) => {
    const l = R[d]!;
    if (width === 16) R[d] = ((l & 0xff) << 8) | ((l >>> 8) & 0xff);
    else if (width === 32) R[d] = bswap32(l);
    else R[d] = bswap32(H[d]!);
    H[d] = width === 64 ? bswap32(l) : 0;
    return pc + 1;
  };
}

/** The step of a BPF_ALU (32-bit) instruction: every result zero-extends into the high half. */
function alu32(op: number, { R, H, d, b }: AluOperands, insn: Insn, source: number): Step {
  switch (op) {
    case BPF_ADD:
      return (pc) => ((R[d] = R[d]! + R[b]!), (H[d] = 0), pc + 1);
    case BPF_SUB:
      return (pc) => ((R[d] = R[d]! - R[b]!), (H[d] = 0), pc + 1);
    case BPF_MUL:
      return (pc) => ((R[d] = Math.imul(R[d]!, R[b]!)), (H[d] = 0), pc + 1);
    case BPF_DIV:
      if (insn.off === 1) {
        // (INT_MIN / -1) | 0 wraps back to INT_MIN, as BPF requires.
        return (pc) => {
          const y = R[b]! | 0;
          R[d] = y === 0 ? 0 : ((R[d]! | 0) / y) | 0;
          H[d] = 0;
          return pc + 1;
        };
      }
      return (pc) => {
        const y = R[b]!;
        R[d] = y === 0 ? 0 : Math.floor(R[d]! / y);
        H[d] = 0;
        return pc + 1;
      };
    case BPF_MOD:
      if (insn.off === 1) {
        return (pc) => {
          const y = R[b]! | 0;
          if (y !== 0) R[d] = (R[d]! | 0) % y;
          H[d] = 0;
          return pc + 1;
        };
      }
      return (pc) => {
        const y = R[b]!;
        if (y !== 0) R[d] = R[d]! % y;
        H[d] = 0;
        return pc + 1;
      };
    case BPF_OR:
      return (pc) => ((R[d] = R[d]! | R[b]!), (H[d] = 0), pc + 1);
    case BPF_AND:
      return (pc) => ((R[d] = R[d]! & R[b]!), (H[d] = 0), pc + 1);
    case BPF_XOR:
      return (pc) => ((R[d] = R[d]! ^ R[b]!), (H[d] = 0), pc + 1);
    // JavaScript masks 32-bit shift counts to 5 bits, as BPF does.
    case BPF_LSH:
      return (pc) => ((R[d] = R[d]! << R[b]!), (H[d] = 0), pc + 1);
    case BPF_RSH:
      return (pc) => ((R[d] = R[d]! >>> R[b]!), (H[d] = 0), pc + 1);
    case BPF_ARSH:
      return (pc) => ((R[d] = R[d]! >> R[b]!), (H[d] = 0), pc + 1);
    case BPF_NEG:
      return (pc) => ((R[d] = -R[d]!), (H[d] = 0), pc + 1);
    case BPF_MOV: {
      const w = insn.off;
      if (w === 0) return (pc) => ((R[d] = R[b]!), (H[d] = 0), pc + 1);
      return (pc) => ((R[d] = (R[b]! << (32 - w)) >> (32 - w)), (H[d] = 0), pc + 1);
    }
    default: {
      // BPF_END: to big-endian swaps on this little-endian machine, to little-endian truncates.
      if (source === BPF_TO_BE) return byteSwap(insn.imm, R, H, d);
      const width = insn.imm;
      return (pc) => {
        if (width === 16) R[d] = R[d]! & 0xffff;
        if (width !== 64) H[d] = 0;
        return pc + 1;
      };
    }
  }
}

/** The step of an arithmetic instruction (BPF_ALU or BPF_ALU64), chosen by the opcode model's class and operation. */
export function aluStep(opcode: Opcode, operands: AluOperands, insn: Insn): Step {
  return opcode.class === BPF_ALU64 ? alu64(opcode.op, operands, insn) : alu32(opcode.op, operands, insn, opcode.source);
}
