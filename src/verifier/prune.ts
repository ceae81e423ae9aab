import { Reject, type Verifier } from './env.js';
import type { Reg } from './reg.js';
import { BPF_REG_SIZE, STACK_INVALID, STACK_MISC, STACK_SPILL, STACK_ZERO, copyState, isSpilledReg, slotForWrite, type Frame, type VState } from './state.js';
import { U64, tnumIn } from './tnum.js';
import { S64_MIN, markUnknown } from './reg.js';
import { propagatePrecision } from './precision.js';
import { FORCE_CHECKPOINT } from './cfg.js';

/**
 * State pruning (is_state_visited, states_equal, regsafe, stacksafe): a path that reaches an
 * instruction in a state covered by one already proven safe there stops; a path that comes back
 * to a state it is still exploring, unchanged, is an infinite loop.
 */

const MAX_STATES_PER_INSN = 64;

class IdMap {
  private map: Map<number, number> | null = null;
  private rev: Map<number, number> | null = null;
  check(oldId: number, curId: number): boolean {
    if (!oldId && !curId) return true;
    if (!oldId || !curId) return oldId === 0;
    this.map ??= new Map();
    this.rev ??= new Map();
    const m = this.map.get(oldId);
    if (m !== undefined) return m === curId;
    if (this.rev.has(curId)) return false;
    this.map.set(oldId, curId);
    this.rev.set(curId, oldId);
    return true;
  }
}

/** A cheap test that two states may be exactly equal: the current frame's registers hold the same values. */
function mayBeExact(o: VState, c: VState): boolean {
  if (o.frames.length !== c.frames.length) return false;
  const of = o.frames[o.frames.length - 1]!.regs;
  const cf = c.frames[c.frames.length - 1]!.regs;
  for (let r = 0; r < 10; r++) {
    const a = of[r]!;
    const b = cf[r]!;
    if (a.type !== b.type || a.var.value !== b.var.value || a.var.mask !== b.var.mask || a.off !== b.off) return false;
  }
  return true;
}

function rangeWithin(o: Reg, c: Reg): boolean {
  return o.umin <= c.umin && o.umax >= c.umax && o.smin <= c.smin && o.smax >= c.smax && o.u32min <= c.u32min && o.u32max >= c.u32max && o.s32min <= c.s32min && o.s32max >= c.s32max;
}

function regsExact(o: Reg, c: Reg): boolean {
  return (
    o.type === c.type &&
    o.maybeNull === c.maybeNull &&
    o.off === c.off &&
    o.var.value === c.var.value &&
    o.var.mask === c.var.mask &&
    o.umin === c.umin &&
    o.umax === c.umax &&
    o.smin === c.smin &&
    o.smax === c.smax &&
    o.u32min === c.u32min &&
    o.u32max === c.u32max &&
    o.s32min === c.s32min &&
    o.s32max === c.s32max &&
    o.range === c.range &&
    o.map === c.map &&
    o.memSize === c.memSize &&
    o.frameno === c.frameno &&
    o.id === c.id &&
    o.refObjId === c.refObjId
  );
}

/** regsafe: every value `c` can hold was covered by `o`. */
function regsafe(o: Reg, c: Reg, ids: IdMap, exact: boolean, range = false): boolean {
  if (exact) return regsExact(o, c);
  if (o.type === 'not_init') return true;
  if (o.type !== c.type) return false;
  if (o.type === 'scalar') return (!o.precise && !range) || (rangeWithin(o, c) && tnumIn(o.var, c.var) && ids.check(o.id, c.id));
  if (o.maybeNull !== c.maybeNull || o.rdonly !== c.rdonly || o.ringbuf !== c.ringbuf) return false;
  switch (o.type) {
    case 'pkt':
    case 'pkt_meta':
      if (o.range > c.range || (o.range < 0 && o.range !== c.range)) return false;
      if (o.off !== c.off) return false;
      if (!ids.check(o.id, c.id)) return false;
      return rangeWithin(o, c) && tnumIn(o.var, c.var);
    case 'fp':
      return o.frameno === c.frameno && o.off === c.off && rangeWithin(o, c) && tnumIn(o.var, c.var);
    default:
      return (
        o.off === c.off &&
        o.map === c.map &&
        o.memSize === c.memSize &&
        o.subprog === c.subprog &&
        rangeWithin(o, c) &&
        tnumIn(o.var, c.var) &&
        ids.check(o.id, c.id) &&
        ids.check(o.refObjId, c.refObjId)
      );
  }
}

function allMisc(types: number[]): boolean {
  return types.every((t) => t === STACK_MISC);
}

function stacksafe(o: Frame, c: Frame, ids: IdMap, exact: boolean, range = false): boolean {
  for (let spi = 0; spi < o.stack.length; spi++) {
    const os = o.stack[spi]!;
    const cs = c.stack[spi];
    if (!exact && isSpilledReg(os) && os.spilled.type === 'scalar' && cs) {
      // A spilled scalar against a spilled scalar or eight misc bytes compares as registers (scalar_reg_for_stack).
      if (isSpilledReg(cs) && cs.spilled.type === 'scalar') {
        if (!regsafe(os.spilled, cs.spilled, ids, exact, range)) return false;
        continue;
      }
      if (allMisc(cs.types)) {
        if ((os.spilled.precise || range) && !(os.spilled.umin === 0n && os.spilled.umax === U64 && os.spilled.smin === S64_MIN)) return false;
        continue;
      }
    }
    for (let k = 0; k < BPF_REG_SIZE; k++) {
      const ot = os.types[k]!;
      const ct = cs ? cs.types[k]! : STACK_INVALID;
      if (exact) {
        if (ot !== ct) return false;
        continue;
      }
      if (ot === STACK_INVALID || ot === STACK_MISC) continue;
      if (!cs) return false;
      if (ot === STACK_ZERO && ct === STACK_ZERO) continue;
      if (ot !== ct) return false;
    }
    if (isSpilledReg(os)) {
      if (!cs || !isSpilledReg(cs)) return false;
      if (!regsafe(os.spilled, cs.spilled, ids, exact)) return false;
    } else if (exact && cs && isSpilledReg(cs)) return false;
  }
  if (exact && c.stack.length > o.stack.length) {
    for (let spi = o.stack.length; spi < c.stack.length; spi++) if (c.stack[spi]!.types.some((t) => t !== STACK_INVALID)) return false;
  }
  return true;
}

/** states_equal at instruction `pc`: registers live there (the caller frames' live after their call), the stack, references. */
export function statesEqual(v: Verifier, o: VState, c: VState, pc: number, exact: boolean, range = false): boolean {
  if (o.frames.length !== c.frames.length) return false;
  if (o.activeLock !== 0 !== (c.activeLock !== 0)) return false;
  if (o.refs.length !== c.refs.length) return false;
  const ids = new IdMap();
  for (let k = 0; k < o.refs.length; k++) if (!ids.check(o.refs[k]!.id, c.refs[k]!.id)) return false;
  for (let fi = 0; fi < o.frames.length; fi++) {
    const of = o.frames[fi]!;
    const cf = c.frames[fi]!;
    if (of.callsite !== cf.callsite || of.subprog !== cf.subprog) return false;
    const livePc = fi === o.frames.length - 1 ? pc : o.frames[fi + 1]!.callsite + 1;
    const live = v.live[livePc] ?? 0xffff;
    for (let r = 0; r < 10; r++) {
      if (!exact && !(live & (1 << r))) continue;
      if (!regsafe(of.regs[r]!, cf.regs[r]!, ids, exact, range)) return false;
    }
    if (!stacksafe(of, cf, ids, exact, range)) return false;
  }
  return true;
}

/** Ends the current path: every kept state above it has one fewer path to wait for (update_branch_counts). */
export function finishPath(st: VState | null): void {
  while (st) {
    st.branches--;
    if (st.branches > 0) break;
    st = st.parent;
  }
}

/**
 * is_state_visited: at a prune point, stop when a finished state covers the current one, fail on
 * an unchanged loop, else keep the current state as a new checkpoint. Returns true when pruned.
 */
export function isStateVisited(v: Verifier, pc: number): boolean {
  const list = v.explored.get(pc) ?? [];
  const cur = v.cur;
  // A new state is kept after at least 2 jumps and 8 instructions since the last one, or where forced.
  const force = (v.prune[pc]! & FORCE_CHECKPOINT) !== 0;
  let addNew = force || (v.jmpsProcessed - v.prevJmpsProcessed >= 2 && v.processed - v.prevInsnProcessed >= 8);
  let looping = 0;
  const mayGoto = v.insns[pc]!.opcode === 0xe5;
  for (let i = list.length - 1; i >= 0; i--) {
    const sl = list[i]!;
    if (mayGoto && sl.mayGotoDepth !== cur.mayGotoDepth && statesEqual(v, sl, cur, pc, false, true)) {
      propagatePrecision(v, sl, () => v.live[pc]!);
      finishPath(cur.parent);
      v.prunedBy = sl;
      return true;
    }
    if (sl.branches > 0) {
      // An unchanged loop repeats one of its latest states; older ones are not compared again.
      if (++looping <= 8 && mayBeExact(sl, cur) && statesEqual(v, sl, cur, pc, true)) {
        const li = v.lineInfo(pc);
        if (li && v.lastLine !== li.pc) v.verbose(`; ${li.text.trim()}`);
        v.verbose(`infinite loop detected at insn ${pc}`);
        v.verbose(`cur state: ${v.stateText()}`);
        throw new Reject(pc);
      }
      if (!force && v.jmpsProcessed - v.prevJmpsProcessed < 20 && v.processed - v.prevInsnProcessed < 100) addNew = false;
      continue;
    }
    if (statesEqual(v, sl, cur, pc, false)) {
      propagatePrecision(v, sl, (fi) => (fi === sl.frames.length - 1 ? v.live[pc]! : v.live[sl.frames[fi + 1]!.callsite + 1] ?? 0xffff));
      finishPath(cur.parent);
      v.prunedBy = sl;
      return true;
    }
  }
  if (!addNew) return false;
  v.prevJmpsProcessed = v.jmpsProcessed;
  v.prevInsnProcessed = v.processed;
  const saved = copyState(cur);
  saved.insn = pc;
  saved.branches = 1;
  saved.parent = cur.parent;
  cur.parent = saved;
  if (v.path) v.path.cp = saved;
  if (list.length >= MAX_STATES_PER_INSN) {
    const idx = list.findIndex((s) => s.branches === 0);
    list.splice(idx >= 0 ? idx : 0, 1);
  }
  list.push(saved);
  v.explored.set(pc, list);
  v.totalStates++;
  return false;
}

export { STACK_SPILL };

/** find_prev_entry: the state kept at `pc` on the current path, if any. */
export function findPrevEntry(v: Verifier, pc: number): VState | null {
  for (let st = v.cur.parent; st; st = st.parent) if (st.insn === pc) return st;
  return null;
}

/** widen_imprecise_scalars: imprecise scalars that changed since the last iteration become unknown, so the loop converges. */
export function widenImpreciseScalars(prev: VState, cur: VState): void {
  cur.frames.forEach((f, fi) => {
    const pf = prev.frames[fi];
    if (!pf) return;
    f.regs.forEach((r, k) => {
      const p = pf.regs[k]!;
      if (r.type === 'scalar' && !r.precise && p.type === 'scalar' && !regsExact(p, r)) markUnknown(r);
    });
    f.stack.forEach((s, spi) => {
      const ps = pf.stack[spi];
      if (!ps || !isSpilledReg(s) || !isSpilledReg(ps)) return;
      if (s.spilled.type === 'scalar' && !s.spilled.precise && ps.spilled.type === 'scalar' && !regsExact(ps.spilled, s.spilled)) markUnknown(slotForWrite(f, spi).spilled);
    });
  });
}
