import { copyReg, newReg, type Reg } from './reg.js';

/**
 * The verifier state of one path, as `struct bpf_verifier_state` and `struct bpf_func_state`
 * keep it: a frame per active call (registers and the stack, each 8-byte slot with a type per
 * byte and the register spilled there), the references the path holds and its locks.
 */

/** Per-byte stack slot types (enum bpf_stack_slot_type). */
export const STACK_INVALID = 0;
export const STACK_SPILL = 1;
export const STACK_MISC = 2;
export const STACK_ZERO = 3;
/** Both slots of a `struct bpf_dynptr`; the spilled register of each holds the dynptr (see dynptr.ts). */
export const STACK_DYNPTR = 4;

export const BPF_REG_SIZE = 8;
export const MAX_BPF_STACK = 512;
export const MAX_CALL_FRAMES = 8;

export interface StackSlot {
  /** slot_type[0..7]: byte k is at frame offset -(spi * 8) - 1 - k. */
  types: number[];
  spilled: Reg;
  /** The frame generation that may write this slot in place (see slotForWrite). */
  gen: number;
}

export interface Frame {
  regs: Reg[];
  /** stack[spi] covers frame offsets -8*(spi+1) .. -8*spi - 1. */
  stack: StackSlot[];
  /** The frame's depth in the call chain (0 for the program). */
  frameno: number;
  /** Renewed on every copy: slots of an older generation are shared with another copy and read-only. */
  gen: number;
  /** First instruction of the function this frame runs. */
  subprog: number;
  /** The call instruction that created it, -1 for the program. */
  callsite: number;
  /** Set for a callback frame: the return range its caller's helper requires. */
  callbackRet?: { min: bigint; max: bigint };
  /** The callback's helper call (bpf_loop...), for callbacks. */
  callbackOf?: number;
}

export interface RefState {
  id: number;
  insn: number;
  kind: 'ptr' | 'lock';
}

export interface VState {
  frames: Frame[];
  refs: RefState[];
  /** bpf_spin_lock held: the lock's id, 0 when none. */
  activeLock: number;
  /** For pruning: the state this one was branched from, and how many unfinished paths hang below it. */
  parent: VState | null;
  branches: number;
  insn: number;
  /** may_goto iterations taken on this path. */
  mayGotoDepth: number;
}

let generation = 0;

export function newFrame(frameno: number, subprog: number, callsite: number): Frame {
  const regs: Reg[] = [];
  for (let i = 0; i < 11; i++) regs.push(newReg());
  return { regs, stack: [], frameno, gen: ++generation, subprog, callsite };
}

/**
 * A copy of the frame. The stack's slots are shared between the two (most are never written
 * again on either path); both frames get a new generation, so a write to a shared slot goes
 * through slotForWrite and copies it first.
 */
export function copyFrame(f: Frame): Frame {
  f.gen = ++generation;
  const out: Frame = { regs: f.regs.map(copyReg), stack: f.stack.slice(), frameno: f.frameno, gen: ++generation, subprog: f.subprog, callsite: f.callsite };
  if (f.callbackRet) out.callbackRet = f.callbackRet;
  if (f.callbackOf !== undefined) out.callbackOf = f.callbackOf;
  return out;
}

export function copyState(s: VState): VState {
  return { frames: s.frames.map(copyFrame), refs: s.refs.map((r) => ({ ...r })), activeLock: s.activeLock, parent: s.parent, branches: 0, insn: s.insn, mayGotoDepth: s.mayGotoDepth };
}

export function curFrame(s: VState): Frame {
  return s.frames[s.frames.length - 1]!;
}

/** Grows the frame's stack to hold `bytes` bytes below the frame pointer. */
export function growStack(f: Frame, bytes: number): void {
  const slots = Math.ceil(bytes / BPF_REG_SIZE);
  while (f.stack.length < slots) f.stack.push({ types: [0, 0, 0, 0, 0, 0, 0, 0], spilled: newReg(), gen: f.gen });
}

/** The slot `spi` of `f`, made this frame's own to change in place. */
export function slotForWrite(f: Frame, spi: number): StackSlot {
  const s = f.stack[spi]!;
  if (s.gen === f.gen) return s;
  const own: StackSlot = { types: s.types.slice(), spilled: copyReg(s.spilled), gen: f.gen };
  f.stack[spi] = own;
  return own;
}

export function allocatedStack(f: Frame): number {
  return f.stack.length * BPF_REG_SIZE;
}

/** is_spilled_reg: the slot's last byte holds a spill. */
export function isSpilledReg(s: StackSlot): boolean {
  return s.types[BPF_REG_SIZE - 1] === STACK_SPILL;
}

/** Changes, with `update`, every register of the state that `match` picks: each frame's registers and spilled registers. */
export function updateRegs(s: VState, match: (r: Reg) => boolean, update: (r: Reg) => void): void {
  for (const f of s.frames) {
    for (const r of f.regs) if (match(r)) update(r);
    for (let spi = 0; spi < f.stack.length; spi++) {
      const slot = f.stack[spi]!;
      if (isSpilledReg(slot) && match(slot.spilled)) update(slotForWrite(f, spi).spilled);
    }
  }
}
