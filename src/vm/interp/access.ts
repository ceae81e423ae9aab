import type { Insn } from '../../isa/insn.js';
import { BPF_ABS, BPF_ATOMIC, BPF_B, BPF_DW, BPF_H, BPF_IMM, BPF_LDX, BPF_MEMSX, type Opcode } from '../../isa/opcodes.js';
import { STACK_END } from '../layout.js';
import { skbLoad } from '../ld-abs.js';
import type { VmMemory } from '../memory.js';
import { outsideAddressSpaceFault } from '../protocol.js';
import type { AluOperands } from './alu.js';
import { CONTROL, type Step, toBig } from './state.js';

const TWO32 = 4294967296;

/** The effective address `reg + off` as a number in [0, 2^32), or -1 when the 64-bit sum is outside it. */
export function effAddr(lo: number, hi: number, off: number): number {
  if (hi === 0) {
    const a = lo + off;
    return a >= 0 && a < TWO32 ? a : -1;
  }
  if (hi === 0xffffffff) {
    const a = lo + off - TWO32;
    return a >= 0 ? a : -1;
  }
  return -1;
}

/**
 * The slow path of every access check: an address outside the live stack goes to
 * VmMemory.check; one outside the 32-bit address space faults here with its full 64-bit value.
 */
export function checkSlow(mem: VmMemory, a: number, size: number, write: boolean, pc: number, lo: number, hi: number, off: number): void {
  if (a >= 0) {
    mem.check(a, size, write, pc);
    return;
  }
  throw outsideAddressSpaceFault(pc, BigInt.asUintN(64, toBig(lo, hi) + BigInt(off)), size, write);
}

/**
 * BPF_ATOMIC (RFC 9669 §5.3): add/or/and/xor with and without BPF_FETCH, xchg and cmpxchg, on 32
 * or 64 bits at dst + off. FETCH and XCHG leave the old value in src, CMPXCHG in r0; the 32-bit
 * forms compare with and return low halves, zero-extended.
 */
export function atomic(mem: VmMemory, is64: boolean, op: number, R: Uint32Array, H: Uint32Array, d: number, b: number, off: number, pc: number, stackLow: number): void {
  const size = is64 ? 8 : 4;
  const a = effAddr(R[d]!, H[d]!, off);
  if (a < stackLow || a + size > STACK_END) checkSlow(mem, a, size, true, pc, R[d]!, H[d]!, off);
  const dv = mem.view;
  const oldLo = dv.getUint32(a, true);
  const oldHi = is64 ? dv.getUint32(a + 4, true) : 0;
  let newLo = oldLo;
  let newHi = oldHi;
  const sl = R[b]!;
  const sh = is64 ? H[b]! : 0;
  switch (op & 0xf0) {
    case 0x00: {
      const s = oldLo + sl;
      newLo = s >>> 0;
      newHi = (oldHi + sh + (s > 0xffffffff ? 1 : 0)) >>> 0;
      break;
    }
    case 0x40:
      newLo = (oldLo | sl) >>> 0;
      newHi = (oldHi | sh) >>> 0;
      break;
    case 0x50:
      newLo = (oldLo & sl) >>> 0;
      newHi = (oldHi & sh) >>> 0;
      break;
    case 0xa0:
      newLo = (oldLo ^ sl) >>> 0;
      newHi = (oldHi ^ sh) >>> 0;
      break;
    case 0xe0:
      newLo = sl;
      newHi = sh;
      break;
    case 0xf0: {
      const r0h = is64 ? H[0]! : 0;
      if (oldLo === R[0] && oldHi === r0h) {
        newLo = sl;
        newHi = sh;
      }
      R[0] = oldLo;
      H[0] = oldHi;
      break;
    }
  }
  dv.setUint32(a, newLo, true);
  if (is64) dv.setUint32(a + 4, newHi, true);
  if (op & 1 && op !== 0xf1) {
    R[b] = oldLo;
    H[b] = oldHi;
  }
}

/**
 * The step of a load, store or atomic (RFC 9669 §5), by the opcode model's class, mode and size:
 * LDX reads `[src + off]` into dst (MEMSX sign-extends), ST writes the immediate and STX the
 * register src to `[dst + off]`, ATOMIC is {@link atomic}. `b` is src for LDX, STX and atomics,
 * the constant slot for ST. Every access is checked: the live stack frame inline, the rest by
 * VmMemory.check.
 */
export function memoryStep(opcode: Opcode, { R, H, d, b }: AluOperands, insn: Insn): Step {
  const off = insn.off;
  const size = opcode.sizeBytes;
  if (opcode.mode === BPF_ATOMIC) {
    const is64 = opcode.size === BPF_DW;
    const op = insn.imm;
    return (pc, st) => (atomic(st.mem, is64, op, R, H, d, b, off, pc, st.stackLow), pc + 1);
  }
  if (opcode.class === BPF_LDX) {
    const at = (pc: number, st: { stackLow: number; mem: VmMemory }): number => {
      const a = effAddr(R[b]!, H[b]!, off);
      if (a < st.stackLow || a + size > STACK_END) checkSlow(st.mem, a, size, false, pc, R[b]!, H[b]!, off);
      return a;
    };
    if (opcode.mode === BPF_MEMSX) {
      const read = size === 1 ? (dv: DataView, a: number) => dv.getInt8(a) : size === 2 ? (dv: DataView, a: number) => dv.getInt16(a, true) : (dv: DataView, a: number) => dv.getInt32(a, true);
      return (pc, st) => {
        const v = read(st.dv, at(pc, st));
        R[d] = v;
        H[d] = v >> 31;
        return pc + 1;
      };
    }
    switch (opcode.size) {
      case BPF_B:
        return (pc, st) => ((R[d] = st.u8[at(pc, st)]!), (H[d] = 0), pc + 1);
      case BPF_H:
        return (pc, st) => ((R[d] = st.dv.getUint16(at(pc, st), true)), (H[d] = 0), pc + 1);
      case BPF_DW:
        return (pc, st) => {
          const a = at(pc, st);
          R[d] = st.dv.getUint32(a, true);
          H[d] = st.dv.getUint32(a + 4, true);
          return pc + 1;
        };
      default:
        return (pc, st) => ((R[d] = st.dv.getUint32(at(pc, st), true)), (H[d] = 0), pc + 1);
    }
  }
  // ST and STX: the address from dst, the value from the operand slot.
  const at = (pc: number, st: { stackLow: number; mem: VmMemory }): number => {
    const a = effAddr(R[d]!, H[d]!, off);
    if (a < st.stackLow || a + size > STACK_END) checkSlow(st.mem, a, size, true, pc, R[d]!, H[d]!, off);
    return a;
  };
  switch (opcode.size) {
    case BPF_B:
      return (pc, st) => ((st.u8[at(pc, st)] = R[b]!), pc + 1);
    case BPF_H:
      return (pc, st) => (st.dv.setUint16(at(pc, st), R[b]!, true), pc + 1);
    case BPF_DW:
      return (pc, st) => {
        const a = at(pc, st);
        st.dv.setUint32(a, R[b]!, true);
        st.dv.setUint32(a + 4, H[b]!, true);
        return pc + 1;
      };
    default:
      return (pc, st) => (st.dv.setUint32(at(pc, st), R[b]!, true), pc + 1);
  }
}

/**
 * The step of a BPF_LD instruction. `lddw` (BPF_IMM | BPF_DW) loads the 64-bit value decode.ts
 * resolved into its constant slot `b` and skips its second slot. The legacy packet loads
 * (BPF_ABS, BPF_IND; sizes B, H, W) do what the kernel rewrites them to (net/core/filter.c,
 * bpf_gen_ld_abs): r2 = imm (ABS) or src + imm (IND), r1 = r6, r0 = bpf_skb_load_helper_*(r1,
 * r2) (src/vm/ld-abs.ts), and when that fails the function returns with r0 = 0.
 */
export function ldStep(opcode: Opcode, { R, H, d, b }: AluOperands, insn: Insn): Step {
  if (opcode.mode === BPF_IMM) {
    return (pc) => {
      R[d] = R[b]!;
      H[d] = H[b]!;
      return pc + 2;
    };
  }
  const size = opcode.sizeBytes as 1 | 2 | 4;
  const s = opcode.mode === BPF_ABS ? -1 : insn.src;
  return (pc, st) => {
    // r2 = imm, or r2 = src + imm in 64 bits (the constant slot holds imm sign-extended).
    if (s < 0) {
      R[2] = R[b]!;
      H[2] = H[b]!;
    } else {
      const sum = R[s]! + R[b]!;
      H[2] = H[s]! + H[b]! + (sum > 0xffffffff ? 1 : 0);
      R[2] = sum;
    }
    R[1] = R[6]!;
    H[1] = H[6]!;
    st.env.pc = pc;
    const v = skbLoad(st.env, H[6] === 0 ? R[6]! : -1, R[2]! | 0, size);
    R[0] = v < 0 ? 0 : v;
    H[0] = 0;
    return v < 0 ? CONTROL.EXIT : pc + 1;
  };
}
