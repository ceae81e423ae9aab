import { BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_MOV, BPF_ST, BPF_STX, BPF_X } from '../isa/opcodes.js';
import type { PathNode, Verifier } from './env.js';
import { isSpilledReg, slotForWrite, type VState } from './state.js';

/**
 * Precision tracking (mark_chain_precision, backtrack_insn): scalars start imprecise, and a
 * state kept for pruning matches any scalar in an imprecise register. When a scalar's exact value
 * decides safety (a pointer offset, a helper's size, a branch known taken), the path's history is
 * walked back to find every register and stack slot it came from, and those are marked precise in
 * the kept states along the way, so later paths are compared on them.
 */

/** Registers and stack slots still to explain, per frame index. */
interface Backtrack {
  regs: Set<number>[];
  slots: Set<number>[];
}

function emptyAt(bt: Backtrack, fr: number): boolean {
  return !(bt.regs[fr]?.size || bt.slots[fr]?.size);
}

function allEmpty(bt: Backtrack): boolean {
  return bt.regs.every((s) => !s.size) && bt.slots.every((s) => !s.size);
}

function ensure(bt: Backtrack, fr: number): void {
  while (bt.regs.length <= fr) bt.regs.push(new Set());
  while (bt.slots.length <= fr) bt.slots.push(new Set());
}

/** Marks the needed registers and slots precise in `st`; for a kept state, those already precise there were explained before and leave the set. */
function markStatePrecise(st: VState, bt: Backtrack, kept: boolean): void {
  for (let fi = 0; fi < st.frames.length && fi < bt.regs.length; fi++) {
    const f = st.frames[fi]!;
    for (const r of [...bt.regs[fi]!]) {
      const reg = f.regs[r];
      if (!reg || reg.type !== 'scalar') {
        if (kept) bt.regs[fi]!.delete(r);
        continue;
      }
      if (reg.precise && kept) bt.regs[fi]!.delete(r);
      else reg.precise = true;
    }
    for (const spi of [...bt.slots[fi]!]) {
      const slot = f.stack[spi];
      if (!slot || !isSpilledReg(slot) || slot.spilled.type !== 'scalar') {
        if (kept) bt.slots[fi]!.delete(spi);
        continue;
      }
      if (slot.spilled.precise && kept) bt.slots[fi]!.delete(spi);
      else if (!slot.spilled.precise) slotForWrite(f, spi).spilled.precise = true;
    }
  }
}

function markAllPrecise(st: VState): void {
  for (const f of st.frames) {
    for (const r of f.regs) if (r.type === 'scalar') r.precise = true;
    f.stack.forEach((s, spi) => {
      if (isSpilledReg(s) && s.spilled.type === 'scalar' && !s.spilled.precise) slotForWrite(f, spi).spilled.precise = true;
    });
  }
}

/** mark_all_scalars_precise: the fallback where the history cannot be followed. */
function markAllAlongPath(v: Verifier, from: PathNode | null): void {
  markAllPrecise(v.cur);
  for (let n = from; n; n = n.prev) if (n.cp) markAllPrecise(n.cp);
}

/** backtrack_insn in frame `fr`: what the instruction at `node` needed before it; false when it cannot tell. */
function backtrackInsn(v: Verifier, node: PathNode, bt: Backtrack, fr: number): boolean {
  const insn = v.insns[node.insn]!;
  const regs = bt.regs[fr]!;
  const cls = insn.opcode & 7;
  const op = insn.opcode & 0xf0;
  const x = (insn.opcode & BPF_X) !== 0;
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
      if (!regs.has(insn.dst)) return true;
      if (op === BPF_MOV) {
        regs.delete(insn.dst);
        if (x) regs.add(insn.src);
      } else if (x && op !== 0x80 && op !== 0xd0) regs.add(insn.src);
      return true;
    case BPF_LDX:
      if (!regs.has(insn.dst)) return true;
      regs.delete(insn.dst);
      if (node.stack) {
        ensure(bt, node.stack.frame);
        bt.slots[node.stack.frame]!.add(node.stack.spi);
      }
      return true;
    case BPF_STX:
    case BPF_ST:
      if ((insn.opcode & 0xe0) === BPF_ATOMIC && cls === BPF_STX) {
        if (regs.has(insn.src) || regs.has(0)) return false;
      }
      if (!node.stack) return true;
      ensure(bt, node.stack.frame);
      if (!bt.slots[node.stack.frame]!.has(node.stack.spi)) return true;
      bt.slots[node.stack.frame]!.delete(node.stack.spi);
      if (cls === BPF_STX) regs.add(insn.src);
      return true;
    case BPF_LD:
      if (insn.opcode === 0x18) regs.delete(insn.dst);
      else {
        regs.delete(0);
        for (let r = 1; r <= 5; r++) if (regs.has(r)) return false;
      }
      return true;
    case BPF_JMP:
    case BPF_JMP32:
      if (op === BPF_CALL) {
        regs.delete(0);
        if (insn.src === 0) for (let r = 1; r <= 5; r++) if (regs.has(r)) return false;
        return true;
      }
      if (op === BPF_EXIT || op === BPF_JA) return true;
      if (x && (regs.has(insn.dst) || regs.has(insn.src))) {
        regs.add(insn.dst);
        regs.add(insn.src);
      }
      return true;
  }
  return true;
}

/**
 * Marks registers `regs` and stack slots `slots` of the current frame precise at the current
 * instruction, and everything they came from along the path, across calls and returns.
 */
export function markPrecise(v: Verifier, regs: number[], slots: number[] = []): void {
  const top = v.cur.frames.length - 1;
  const bt: Backtrack = { regs: [], slots: [] };
  ensure(bt, top);
  for (const r of regs) if (r !== 10 && v.cur.frames[top]!.regs[r]!.type === 'scalar') bt.regs[top]!.add(r);
  for (const s of slots) bt.slots[top]!.add(s);
  markPreciseBt(v, bt);
}

function markPreciseBt(v: Verifier, bt: Backtrack): void {
  if (allEmpty(bt)) return;
  markStatePrecise(v.cur, bt, false);
  let a = v.path;
  if (!a) return;
  if (a.cp) markStatePrecise(a.cp, bt, true);
  for (let b = a.prev; b && !allEmpty(bt); a = b, b = b.prev) {
    const fa = a.frames - 1;
    const fb = b.frames - 1;
    ensure(bt, Math.max(fa, fb));
    if (fa > fb) {
      // a is the first instruction of a callee that b called: the callee's arguments are the caller's.
      const insn = v.insns[b.insn]!;
      if (insn.src !== 1) {
        if (!emptyAt(bt, fa)) return markAllAlongPath(v, b);
      } else {
        for (const r of bt.regs[fa]!) if (r >= 1 && r <= 5) bt.regs[fb]!.add(r);
        else if (r !== 10) return markAllAlongPath(v, b);
      }
      bt.regs[fa]!.clear();
      bt.slots[fa]!.clear();
    } else if (fa < fb) {
      // b is a callee's exit, a the caller's next instruction: the caller's r0 is the callee's.
      const need = bt.regs[fa]!.has(0);
      bt.regs[fa]!.delete(0);
      bt.regs[fb]!.clear();
      bt.slots[fb]!.clear();
      if (need && !b.cbExit) bt.regs[fb]!.add(0);
    }
    if (!backtrackInsn(v, b, bt, fb)) return markAllAlongPath(v, b);
    bt.regs[fb]!.delete(10);
    if (b.cp) markStatePrecise(b.cp, bt, true);
  }
}

/** propagate_precision: the current path was pruned against `old`; what was precise there is precise here. */
export function propagatePrecision(v: Verifier, old: VState, live: (frame: number) => number): void {
  const bt: Backtrack = { regs: [], slots: [] };
  ensure(bt, old.frames.length - 1);
  old.frames.forEach((f, fi) => {
    const liveMask = live(fi);
    f.regs.forEach((r, k) => {
      if (k !== 10 && r.type === 'scalar' && r.precise && liveMask & (1 << k) && v.cur.frames[fi]?.regs[k]?.type === 'scalar') bt.regs[fi]!.add(k);
    });
    f.stack.forEach((s, spi) => {
      if (isSpilledReg(s) && s.spilled.type === 'scalar' && s.spilled.precise) bt.slots[fi]!.add(spi);
    });
  });
  markPreciseBt(v, bt);
}

export { BPF_LDX };
