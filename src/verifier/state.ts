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

export const BPF_REG_SIZE = 8;
export const MAX_BPF_STACK = 512;
export const MAX_CALL_FRAMES = 8;

export interface StackSlot {
  /** slot_type[0..7]: byte k is at frame offset -(spi * 8) - 1 - k. */
  types: number[];
  spilled: Reg;
}

export interface Frame {
  regs: Reg[];
  /** stack[spi] covers frame offsets -8*(spi+1) .. -8*spi - 1. */
  stack: StackSlot[];
  /** The frame's depth in the call chain (0 for the program). */
  frameno: number;
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

export function newFrame(frameno: number, subprog: number, callsite: number): Frame {
  const regs: Reg[] = [];
  for (let i = 0; i < 11; i++) regs.push(newReg());
  return { regs, stack: [], frameno, subprog, callsite };
}

function copySlot(s: StackSlot): StackSlot {
  return { types: s.types.slice(), spilled: copyReg(s.spilled) };
}

export function copyFrame(f: Frame): Frame {
  const out: Frame = { regs: f.regs.map(copyReg), stack: f.stack.map(copySlot), frameno: f.frameno, subprog: f.subprog, callsite: f.callsite };
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
  while (f.stack.length < slots) f.stack.push({ types: [0, 0, 0, 0, 0, 0, 0, 0], spilled: newReg() });
}

export function allocatedStack(f: Frame): number {
  return f.stack.length * BPF_REG_SIZE;
}

/** is_spilled_reg: the slot's last byte holds a spill. */
export function isSpilledReg(s: StackSlot): boolean {
  return s.types[BPF_REG_SIZE - 1] === STACK_SPILL;
}

/** Visits every register of the state: each frame's registers and spilled registers. */
export function forEachReg(s: VState, fn: (r: Reg, frame: Frame) => void): void {
  for (const f of s.frames) {
    for (const r of f.regs) fn(r, f);
    for (const slot of f.stack) if (isSpilledReg(slot)) fn(slot.spilled, f);
  }
}
