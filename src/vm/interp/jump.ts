import {
  BPF_JA,
  BPF_JCOND,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JMP,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSGT,
  BPF_JSLE,
  BPF_JSLT,
  type Opcode,
} from '../../isa/opcodes.js';
import type { AluOperands } from './alu.js';
import type { Step } from './state.js';

/**
 * The step of a jump (RFC 9669 §4.3) to `target`, an absolute pc: `ja`/`gotol`, a conditional
 * jump by the opcode model's class (JMP compares 64 bits, JMP32 the low 32) and operation, or
 * `may_goto` (BPF_JCOND, kernel 6.9), taken once the run's BPF_MAX_LOOPS iterations are used up.
 * Calls and exit are not jumps here (see control.ts).
 */
export function jumpStep(opcode: Opcode, operands: AluOperands, target: number): Step {
  const op = opcode.op;
  if (op === BPF_JA) return () => target;
  if (op === BPF_JCOND) {
    // The kernel keeps one counter per function frame (and on x86 also checks time); one per run is close enough.
    return (pc, st) => {
      if (st.loopsLeft > 0) {
        st.loopsLeft--;
        return pc + 1;
      }
      return target;
    };
  }
  return opcode.class === BPF_JMP ? jump64(op, operands, target) : jump32(op, operands, target);
}

/** JMP: the condition on 64-bit values, on the halves (signed: the high halves as int32). */
function jump64(op: number, { R, H, d, b }: AluOperands, t: number): Step {
  switch (op) {
    case BPF_JEQ:
      return (pc) => (R[d] === R[b] && H[d] === H[b] ? t : pc + 1);
    case BPF_JNE:
      return (pc) => (R[d] !== R[b] || H[d] !== H[b] ? t : pc + 1);
    case BPF_JGT:
      return (pc) => (H[d]! > H[b]! || (H[d] === H[b] && R[d]! > R[b]!) ? t : pc + 1);
    case BPF_JGE:
      return (pc) => (H[d]! > H[b]! || (H[d] === H[b] && R[d]! >= R[b]!) ? t : pc + 1);
    case BPF_JLT:
      return (pc) => (H[d]! < H[b]! || (H[d] === H[b] && R[d]! < R[b]!) ? t : pc + 1);
    case BPF_JLE:
      return (pc) => (H[d]! < H[b]! || (H[d] === H[b] && R[d]! <= R[b]!) ? t : pc + 1);
    case BPF_JSGT:
      return (pc) => ((H[d]! | 0) > (H[b]! | 0) || (H[d] === H[b] && R[d]! > R[b]!) ? t : pc + 1);
    case BPF_JSGE:
      return (pc) => ((H[d]! | 0) > (H[b]! | 0) || (H[d] === H[b] && R[d]! >= R[b]!) ? t : pc + 1);
    case BPF_JSLT:
      return (pc) => ((H[d]! | 0) < (H[b]! | 0) || (H[d] === H[b] && R[d]! < R[b]!) ? t : pc + 1);
    case BPF_JSLE:
      return (pc) => ((H[d]! | 0) < (H[b]! | 0) || (H[d] === H[b] && R[d]! <= R[b]!) ? t : pc + 1);
    default: // BPF_JSET
      return (pc) => ((R[d]! & R[b]!) !== 0 || (H[d]! & H[b]!) !== 0 ? t : pc + 1);
  }
}

/** JMP32: the condition on the low halves. */
function jump32(op: number, { R, d, b }: AluOperands, t: number): Step {
  switch (op) {
    case BPF_JEQ:
      return (pc) => (R[d] === R[b] ? t : pc + 1);
    case BPF_JNE:
      return (pc) => (R[d] !== R[b] ? t : pc + 1);
    case BPF_JGT:
      return (pc) => (R[d]! > R[b]! ? t : pc + 1);
    case BPF_JGE:
      return (pc) => (R[d]! >= R[b]! ? t : pc + 1);
    case BPF_JLT:
      return (pc) => (R[d]! < R[b]! ? t : pc + 1);
    case BPF_JLE:
      return (pc) => (R[d]! <= R[b]! ? t : pc + 1);
    case BPF_JSGT:
      return (pc) => ((R[d]! | 0) > (R[b]! | 0) ? t : pc + 1);
    case BPF_JSGE:
      return (pc) => ((R[d]! | 0) >= (R[b]! | 0) ? t : pc + 1);
    case BPF_JSLT:
      return (pc) => ((R[d]! | 0) < (R[b]! | 0) ? t : pc + 1);
    case BPF_JSLE:
      return (pc) => ((R[d]! | 0) <= (R[b]! | 0) ? t : pc + 1);
    default: // BPF_JSET
      return (pc) => ((R[d]! & R[b]!) !== 0 ? t : pc + 1);
  }
}
