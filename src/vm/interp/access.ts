import { VmFault } from '../../internal/errors.js';
import { STACK_END } from '../layout.js';
import type { VmMemory } from '../memory.js';
import { toBig } from './state.js';

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
  const full = BigInt.asUintN(64, toBig(lo, hi) + BigInt(off));
  throw new VmFault(
    'vm/out-of-bounds',
    `insn ${pc}: invalid ${write ? 'write' : 'read'} of ${size} bytes at 0x${full.toString(16)}${full === 0n ? ' (null pointer)' : ''}: outside the 32-bit address space`,
    pc,
    { addr: Number(full), size, region: 'none' },
  );
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
