import type { Insn } from '../isa/insn.js';
import { BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_EXIT, BPF_FETCH, BPF_JA, BPF_JCOND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_LD, BPF_LDX, BPF_MEMSX, BPF_ST, BPF_STX, BPF_X, SIZE_BYTES } from '../isa/opcodes.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE } from '../uapi/bpf.js';
import { checkAlu, checkRegRead, checkRegWrite } from './alu.js';
import { checkHelperCall, clearPacketPointers } from './calls.js';
import { checkKfuncCall } from './kfunc.js';
import { Reject, type Verifier } from './env.js';
import { kernelInsnText } from './kdisasm.js';
import { checkHelperMem, checkMemAccess2 } from './memory.js';
import { findPrevEntry, finishPath, isStateVisited, statesEqual, widenImpreciseScalars } from './prune.js';
import { markPrecise } from './precision.js';
import { AT_PKT_END, BEYOND_PKT_END, S64_MAX, S64_MIN, copyReg, isNull, isPointer, markKnownZero, markNotInit, markUnknown, regTypeStr, scalarConst, type Reg } from './reg.js';
import { flipOpcode, regSetMinMax, scalarBranchTaken } from './scalar.js';
import { MAX_CALL_FRAMES, copyState, curFrame, newFrame, updateRegs, type VState } from './state.js';
import { U64, tnumIsConst, tnumSubregIsConst } from './tnum.js';
import { helperId } from '../uapi/helper-names.js';

/** bpf_spin_unlock, the one call allowed while a lock is held. */
const BPF_FUNC_spin_unlock = helperId('spin_unlock')!;

/** do_check: every path from the entry, instruction by instruction. */

export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;
const BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192;
const MAX_PACKET_OFF = 0xffff;

export interface EntrySetup {
  /** Registers of the entry frame, r1..r5 (missing ones not initialised). */
  args: Reg[];
  subprog: number;
  isMain: boolean;
}

/** Explores every path from `entry`; throws Reject on the first error, as the kernel stops at it. */
export function doCheck(v: Verifier, entry: EntrySetup, gpl: boolean): void {
  const frame = newFrame(0, entry.subprog, -1);
  entry.args.forEach((r, k) => {
    frame.regs[k + 1] = copyReg(r);
  });
  frame.regs[10]!.type = 'fp';
  frame.regs[10]!.frameno = 0;
  markKnownZeroFp(frame.regs[10]!);
  v.cur = { frames: [frame], refs: [], activeLock: 0, parent: null, branches: 0, insn: entry.subprog, mayGotoDepth: 0 };
  v.insnIdx = entry.subprog;
  v.path = null;
  for (;;) {
    const pc = v.insnIdx;
    if (++v.processed > BPF_COMPLEXITY_LIMIT_INSNS) v.fail(`BPF program is too large. Processed ${v.processed} insn`);
    v.path = { insn: pc, prev: v.path, frames: v.cur.frames.length };
    v.facts.visit(pc, v.regs(), v.live[pc]!);
    if (v.prune[pc] && isStateVisited(v, pc)) {
      // Constants learned past here hold for this path only if the kept state covers all it holds.
      v.facts.pruned(pc, v.cur, statesEqual(v, v.prunedBy!, v.cur, pc, false, true));
      if (!popBranch(v)) return;
      continue;
    }
    const insn = v.insns[pc]!;
    if (v.logLevel >= 1) logInsn(v, pc);
    const next = step(v, insn, pc, gpl);
    if (next < 0) {
      if (!popBranch(v)) return;
      continue;
    }
    v.prevInsnIdx = pc;
    v.insnIdx = next;
  }
}

function markKnownZeroFp(r: Reg): void {
  const t = r.type;
  markKnownZero(r);
  r.type = t;
}

function logInsn(v: Verifier, pc: number): void {
  const li = v.lineInfo(pc);
  if (li && li.pc !== v.lastLine) {
    v.lastLine = li.pc;
    v.verbose(`; ${li.text.trim()} @ ${li.file.split('/').pop()}:${li.line}`);
  }
  v.verbose(`${pc}: ${kernelInsnText(v.insns, pc)}`);
  if (v.logLevel >= 2) v.verbose(`${pc}: ${v.stateText()}`);
}

/** Takes the next branch left to explore; false when none is left. */
function popBranch(v: Verifier): boolean {
  const b = v.pending.pop();
  if (!b) return false;
  v.cur = b.state;
  v.insnIdx = b.insn;
  v.prevInsnIdx = b.prev;
  v.path = b.path;
  if (v.logLevel >= 1) v.verbose(`from ${b.prev} to ${b.insn}: ${v.stateText()}`);
  return true;
}

function pushBranch(v: Verifier, target: number, prev: number): VState {
  const st = copyState(v.cur);
  st.parent = v.cur.parent;
  if (st.parent) st.parent.branches++;
  v.pending.push({ state: st, insn: target, prev, path: v.path });
  if (v.pending.length > BPF_COMPLEXITY_LIMIT_JMP_SEQ) v.fail(`The sequence of ${v.pending.length} jumps is too complex.`);
  return st;
}

/** Processes one instruction; returns the next pc, or -1 when the path ends. */
function step(v: Verifier, insn: Insn, pc: number, gpl: boolean): number {
  const cls = insn.opcode & 7;
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
      checkAlu(v, insn);
      return pc + 1;
    case BPF_LDX: {
      checkRegRead(v, insn.src);
      checkRegWrite(v, insn.dst);
      const size = SIZE_BYTES[(insn.opcode >> 3) & 3]!;
      checkMemAccess2(v, insn.src, insn.off, size, false, insn.dst, null, (insn.opcode & 0xe0) === BPF_MEMSX);
      return pc + 1;
    }
    case BPF_STX: {
      const size = SIZE_BYTES[(insn.opcode >> 3) & 3]!;
      if ((insn.opcode & 0xe0) === BPF_ATOMIC) {
        checkAtomic(v, insn, size);
        return pc + 1;
      }
      checkRegRead(v, insn.src);
      checkRegRead(v, insn.dst);
      checkMemAccess2(v, insn.dst, insn.off, size, true, insn.src, null, false);
      return pc + 1;
    }
    case BPF_ST: {
      const size = SIZE_BYTES[(insn.opcode >> 3) & 3]!;
      const dst = checkRegRead(v, insn.dst);
      if (dst.type === 'ctx') v.fail(`BPF_ST stores into R${insn.dst} ${regTypeStr(dst)} is not allowed`);
      checkMemAccess2(v, insn.dst, insn.off, size, true, -1, BigInt(insn.imm) & U64, false);
      return pc + 1;
    }
    case BPF_LD:
      if (insn.opcode === 0x18) {
        checkLdImm(v, insn, pc);
        return pc + 2;
      }
      checkLdAbs(v, insn);
      return pc + 1;
    default:
      return stepJump(v, insn, pc, gpl);
  }
}

function checkAtomic(v: Verifier, insn: Insn, size: number): void {
  if (size !== 4 && size !== 8) v.fail('invalid atomic operand size');
  checkRegRead(v, insn.src);
  const dst = checkRegRead(v, insn.dst);
  if (insn.imm === BPF_CMPXCHG) checkRegRead(v, 0);
  if (dst.type === 'ctx' || dst.type === 'pkt' || dst.type === 'pkt_meta' || dst.type === 'pkt_end' || dst.type === 'flow_keys' || dst.type === 'sock' || dst.type === 'sock_common' || dst.type === 'tcp_sock') {
    v.fail(`BPF_ATOMIC stores into R${insn.dst} ${regTypeStr(dst)} is not allowed`);
  }
  let loadReg = -1;
  if (insn.imm & BPF_FETCH) {
    loadReg = insn.imm === BPF_CMPXCHG ? 0 : insn.src;
    checkRegWrite(v, loadReg);
  }
  checkMemAccess2(v, insn.dst, insn.off, size, false, -1, null, false);
  if (loadReg >= 0) checkMemAccess2(v, insn.dst, insn.off, size, false, loadReg, null, false);
  checkMemAccess2(v, insn.dst, insn.off, size, true, -1, null, false);
}

/** check_ld_imm: constants, map pointers, map values, function pointers. */
function checkLdImm(v: Verifier, insn: Insn, pc: number): void {
  checkRegWrite(v, insn.dst);
  const next = v.insns[pc + 1]!;
  const regs = v.regs();
  const r = regs[insn.dst]!;
  markUnknown(r);
  switch (insn.src) {
    case 0: {
      regs[insn.dst] = scalarConst(((BigInt(next.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0)) & U64);
      return;
    }
    case BPF_PSEUDO_MAP_IDX:
    case BPF_PSEUDO_MAP_FD:
      markKnownZero(r);
      r.type = 'map_ptr';
      r.map = insn.imm;
      return;
    case BPF_PSEUDO_MAP_IDX_VALUE:
    case BPF_PSEUDO_MAP_VALUE:
      markKnownZero(r);
      r.type = 'map_value';
      r.map = insn.imm;
      r.off = next.imm;
      return;
    case BPF_PSEUDO_FUNC:
      markKnownZero(r);
      r.type = 'func';
      r.subprog = pc + insn.imm + 1;
      return;
    default:
      return;
  }
}

/** check_ld_abs. */
function checkLdAbs(v: Verifier, insn: Insn): void {
  const t = v.progType;
  if (t !== BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER && t !== BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS && t !== BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT) {
    v.fail('BPF_LD_[ABS|IND] instructions not allowed for this program type');
  }
  if (v.cur.refs.length) v.fail('BPF_LD_[ABS|IND] would lead to reference leak');
  const r6 = checkRegRead(v, 6);
  if ((insn.opcode & 0xe0) === 0x40) checkRegRead(v, insn.src);
  if (r6.type !== 'ctx') v.fail('at the time of BPF_LD_ABS|IND R6 != pointer to skb');
  const regs = v.regs();
  for (let r = 1; r <= 5; r++) markNotInit(regs[r]!);
  markUnknown(regs[0]!);
}

function stepJump(v: Verifier, insn: Insn, pc: number, gpl: boolean): number {
  const op = insn.opcode & 0xf0;
  const jmp32 = (insn.opcode & 7) === BPF_JMP32;
  v.jmpsProcessed++;
  if (op === BPF_CALL) {
    if (v.cur.activeLock && (insn.src !== 0 || insn.imm !== BPF_FUNC_spin_unlock)) v.fail('function calls are not allowed while holding a lock');
    if (insn.src === BPF_PSEUDO_CALL) return checkFuncCall(v, insn, pc);
    if (insn.src === BPF_PSEUDO_KFUNC_CALL) {
      checkKfuncCall(v, insn);
      return pc + 1;
    }
    const res = checkHelperCall(v, insn, gpl);
    if (res.callback) pushCallback(v, pc, res.callback.subprog, res.callback.args);
    return pc + 1;
  }
  if (op === BPF_EXIT) return checkExit(v, pc);
  if (op === BPF_JA) return pc + (jmp32 ? insn.imm : insn.off) + 1;
  if (op === BPF_JCOND) {
    if (insn.opcode !== (BPF_JMP | BPF_JCOND) || insn.src !== 0 || insn.dst || insn.imm) v.fail(`invalid may_goto imm ${insn.imm}`);
    // may_goto: this path leaves the loop; the loop body is explored with one more iteration counted.
    const prev = findPrevEntry(v, pc);
    const body = pushBranch(v, pc + 1, pc);
    body.mayGotoDepth++;
    if (prev) widenImpreciseScalars(prev, body);
    return pc + insn.off + 1;
  }
  return checkCondJmp(v, insn, pc, op, jmp32);
}

/** check_func_call for a static (or global) BPF-to-BPF call. */
function checkFuncCall(v: Verifier, insn: Insn, pc: number): number {
  const target = pc + insn.imm + 1;
  const sp = v.subprogs.find((s) => s.start === target);
  if (!sp) v.fail(`call to invalid destination`);
  const caller = v.frame();
  if (sp.global) {
    const idx = v.subprogs.indexOf(sp);
    (sp.args ?? []).forEach((a, k) => {
      const regno = k + 1;
      const reg = caller.regs[regno]!;
      const bad = (line: string): never => {
        v.verbose(line);
        return v.fail(`Caller passes invalid args into func#${idx} ('${sp.name}')`);
      };
      if (a.kind === 'scalar') {
        if (reg.type !== 'scalar') bad(`R${regno} is not a scalar`);
      } else if (a.kind === 'ctx') {
        if (reg.type !== 'ctx') bad(`arg#${k} expects pointer to ctx`);
      } else if (!isNull(reg)) {
        if (reg.type === 'scalar' || reg.type === 'not_init') bad(`R${regno} type=${regTypeStr(reg)} expected=fp`);
        try {
          checkHelperMem(v, regno, a.size, false, false, false);
        } catch (e) {
          if (e instanceof Reject) bad(v.log.pop()!);
          throw e;
        }
      }
    });
    if (sp.changesPktData) clearPacketPointers(v);
    for (let r = 1; r <= 5; r++) markNotInit(caller.regs[r]!);
    markUnknown(caller.regs[0]!);
    if (v.logLevel >= 1) v.verbose(`Func#${v.subprogs.indexOf(sp)} ('${sp.name}') is global and assumed valid.`);
    return pc + 1;
  }
  if (v.cur.frames.length >= MAX_CALL_FRAMES) v.fail(`the call stack of ${v.cur.frames.length + 1} frames is too deep`);
  const callee = newFrame(v.cur.frames.length, target, pc);
  for (let r = 1; r <= 5; r++) callee.regs[r] = copyReg(caller.regs[r]!);
  callee.regs[10]!.type = 'fp';
  callee.regs[10]!.frameno = callee.frameno;
  markKnownZeroFp(callee.regs[10]!);
  for (let r = 1; r <= 5; r++) markNotInit(caller.regs[r]!);
  v.cur.frames.push(callee);
  return target;
}

/** A callback (bpf_loop, bpf_for_each_map_elem): explored once in a frame of its own, returning after the helper call. */
function pushCallback(v: Verifier, callPc: number, subprog: number, args: Reg[]): void {
  const st = pushBranch(v, subprog, callPc);
  const callee = newFrame(st.frames.length, subprog, callPc);
  args.forEach((r, k) => {
    callee.regs[k + 1] = copyReg(r);
  });
  callee.regs[10]!.type = 'fp';
  callee.regs[10]!.frameno = callee.frameno;
  markKnownZeroFp(callee.regs[10]!);
  callee.callbackRet = { min: 0n, max: 1n };
  callee.callbackOf = callPc;
  st.frames.push(callee);
}

function checkExit(v: Verifier, pc: number): number {
  const st = v.cur;
  const main = st.frames.length === 1;
  if (main) {
    if (st.activeLock) v.fail('BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region');
    const leaked = st.refs.filter((r) => r.kind === 'ptr');
    if (leaked.length) {
      for (const r of leaked) v.verbose(`Unreleased reference id=${r.id} alloc_insn=${r.insn}`);
      v.fail('BPF_EXIT instruction in main prog would lead to reference leak');
    }
    checkRegRead(v, 0);
    const r0 = v.regs()[0]!;
    if (v.subprogs[0]!.start !== curFrame(st).subprog && r0.type !== 'scalar') {
      v.fail(`At subprogram exit the register R0 is not a scalar value (${regTypeStr(r0)})`);
    }
    finishPath(st.parent);
    return -1;
  }
  const callee = st.frames[st.frames.length - 1]!;
  const r0 = callee.regs[0]!;
  if (r0.type === 'fp') v.fail('cannot return stack pointer to the caller');
  st.frames.pop();
  const caller = curFrame(st);
  if (callee.callbackRet) {
    if (r0.type !== 'scalar') v.fail('R0 not a scalar value');
    st.frames.push(callee);
    markPrecise(v, [0]);
    st.frames.pop();
    if (v.path) v.path.cbExit = true;
    const { min, max } = callee.callbackRet;
    if (r0.smin < min || r0.smax > max) {
      let has = '';
      if (r0.smin > S64_MIN) has += ` smin=${r0.smin}`;
      if (r0.smax < S64_MAX) has += ` smax=${r0.smax}`;
      v.fail(`At callback return the register R0 has${has || ' unknown scalar value'} should have been in [${min}, ${max}]`);
    }
    markUnknown(caller.regs[0]!);
    for (let r = 1; r <= 5; r++) markNotInit(caller.regs[r]!);
    return callee.callbackOf! + 1;
  }
  caller.regs[0] = copyReg(r0);
  for (let r = 1; r <= 5; r++) markNotInit(caller.regs[r]!);
  void pc;
  return callee.callsite + 1;
}

/** is_pkt_ptr_branch_taken. */
function pktBranchTaken(dst: Reg, src: Reg, opIn: number): number {
  let pkt: Reg;
  let op = opIn;
  if (src.type === 'pkt_end') pkt = dst;
  else if (dst.type === 'pkt_end') {
    pkt = src;
    op = flipOpcode(op);
  } else return -1;
  if (pkt.range >= 0) return -1;
  switch (op) {
    case BPF_JLE:
    case BPF_JGT:
      if (pkt.range === BEYOND_PKT_END) return op === BPF_JGT ? 1 : 0;
      break;
    case BPF_JLT:
    case BPF_JGE:
      if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return op === BPF_JGE ? 1 : 0;
      break;
  }
  return -1;
}

const isPkt = (r: Reg): boolean => r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end';

/** reg_not_null. */
function regNotNull(r: Reg): boolean {
  if (r.maybeNull) return false;
  return r.type === 'sock' || r.type === 'tcp_sock' || r.type === 'map_value' || r.type === 'map_key' || r.type === 'sock_common' || r.type === 'mem';
}

function branchTaken(dst: Reg, src: Reg, op: number, jmp32: boolean): number {
  if (isPkt(dst) && isPkt(src) && !jmp32) return pktBranchTaken(dst, src, op);
  if (isPointer(dst) || isPointer(src)) {
    let r1 = dst;
    let r2 = src;
    let o = op;
    const isC = (r: Reg): boolean => r.type === 'scalar' && (jmp32 ? tnumSubregIsConst(r.var) : tnumIsConst(r.var));
    if (!isC(r2)) {
      o = flipOpcode(o);
      [r1, r2] = [r2, r1];
    }
    if (!isC(r2)) return -1;
    if (!regNotNull(r1)) return -1;
    const val = jmp32 ? r2.var.value & 0xffff_ffffn : r2.var.value;
    if (val !== 0n) return -1;
    if (o === BPF_JEQ) return 0;
    if (o === BPF_JNE) return 1;
    return -1;
  }
  return scalarBranchTaken(dst, src, op, jmp32);
}

/** find_good_pkt_pointers: after `pkt + off` is proven within data_end, every pointer with its id gets the range. */
function findGoodPktPointers(st: VState, dst: Reg, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  if (dst.umax > BigInt(MAX_PACKET_OFF) || dst.umax + BigInt(dst.off) > BigInt(MAX_PACKET_OFF)) return;
  const newRange = dst.off + (rightOpen ? 1 : 0);
  const type = dst.type;
  const id = dst.id;
  updateRegs(
    st,
    (r) => r.type === type && r.id === id && r.range < newRange,
    (r) => {
      r.range = newRange;
    },
  );
}

function markPktEnd(st: VState, regno: number, rangeOpen: boolean): void {
  const r = curFrame(st).regs[regno]!;
  if (r.type !== 'pkt') return;
  r.range = rangeOpen ? BEYOND_PKT_END : AT_PKT_END;
}

const isInitPkt = (r: Reg, type: string): boolean => r.type === type && r.off === 0 && tnumIsConst(r.var) && r.var.value === 0n;

/** try_match_pkt_pointers: `pkt' op pkt_end` (either way round) proves a range on one branch. */
function matchPktPointers(insn: Insn, dst: Reg, src: Reg, thisSt: VState, other: VState, jmp32: boolean): boolean {
  if (!(insn.opcode & BPF_X) || jmp32) return false;
  const op = insn.opcode & 0xf0;
  const fwd = (dst.type === 'pkt' && src.type === 'pkt_end') || (dst.type === 'pkt_meta' && isInitPkt(src, 'pkt'));
  const rev = (dst.type === 'pkt_end' && src.type === 'pkt') || (isInitPkt(dst, 'pkt') && src.type === 'pkt_meta');
  if (!fwd && !rev) return false;
  const pktReg = fwd ? dst : src;
  const pktRegno = fwd ? insn.dst : insn.src;
  const otherPkt = (st: VState): Reg => curFrame(st).regs[pktRegno]!;
  switch (op) {
    case BPF_JGT:
      if (fwd) {
        findGoodPktPointers(thisSt, pktReg, false);
        markPktEnd(other, pktRegno, true);
      } else {
        findGoodPktPointers(other, otherPkt(other), true);
        markPktEnd(thisSt, pktRegno, false);
      }
      return true;
    case BPF_JLT:
      if (fwd) {
        findGoodPktPointers(other, otherPkt(other), true);
        markPktEnd(thisSt, pktRegno, false);
      } else {
        findGoodPktPointers(thisSt, pktReg, false);
        markPktEnd(other, pktRegno, true);
      }
      return true;
    case BPF_JGE:
      if (fwd) {
        findGoodPktPointers(thisSt, pktReg, true);
        markPktEnd(other, pktRegno, false);
      } else {
        findGoodPktPointers(other, otherPkt(other), false);
        markPktEnd(thisSt, pktRegno, true);
      }
      return true;
    case BPF_JLE:
      if (fwd) {
        findGoodPktPointers(other, otherPkt(other), false);
        markPktEnd(thisSt, pktRegno, true);
      } else {
        findGoodPktPointers(thisSt, pktReg, true);
        markPktEnd(other, pktRegno, false);
      }
      return true;
  }
  return false;
}

/** mark_ptr_or_null_regs: on one branch the pointer is NULL (a scalar 0), on the other it is valid. */
function markPtrOrNull(v: Verifier, st: VState, regno: number, isNullBranch: boolean): void {
  const reg = curFrame(st).regs[regno]!;
  const id = reg.id;
  const refObjId = reg.refObjId;
  if (isNullBranch && refObjId) {
    const i = st.refs.findIndex((r) => r.id === id);
    if (i >= 0) st.refs.splice(i, 1);
  }
  updateRegs(st, (r) => r.maybeNull && r.id === id, (r) => {
    if (isNullBranch) {
      r.type = 'scalar';
      r.maybeNull = false;
      r.id = 0;
      r.refObjId = 0;
      r.rdonly = false;
      r.ringbuf = false;
      return;
    }
    r.maybeNull = false;
    if (r.type === 'map_value' && r.map >= 0 && isMapOfMaps(v, r.map)) {
      r.type = 'map_ptr';
      r.map = innerMapIndex(v, r.map);
    } else if (r.type === 'map_value' && r.map >= 0) {
      const t = v.map(r.map).type;
      if (t === BPF_MAP_TYPE.BPF_MAP_TYPE_XSKMAP) r.type = 'xdp_sock';
      else if (t === BPF_MAP_TYPE.BPF_MAP_TYPE_SOCKMAP || t === BPF_MAP_TYPE.BPF_MAP_TYPE_SOCKHASH) r.type = 'sock';
    }
    if (!r.refObjId) r.id = 0;
  });
}

function isMapOfMaps(v: Verifier, i: number): boolean {
  const t = v.map(i).type;
  return t === 12 || t === 13;
}

function innerMapIndex(v: Verifier, outer: number): number {
  const m = v.map(outer);
  if (!m.innerMap) return outer;
  const at = v.spec.maps.indexOf(m.innerMap);
  if (at >= 0) return at;
  v.spec.maps.push(m.innerMap);
  return v.spec.maps.length - 1;
}

function syncLinkedRegs(st: VState, known: Reg): void {
  if (known.type !== 'scalar' || !known.id) return;
  updateRegs(
    st,
    (r) => r !== known && r.type === 'scalar' && r.id === known.id,
    (r) => Object.assign(r, known),
  );
}

/** check_cond_jmp_op. */
function checkCondJmp(v: Verifier, insn: Insn, pc: number, op: number, jmp32: boolean): number {
  if (op > 0xe0) v.fail(`invalid BPF_JMP/JMP32 opcode ${(op >> 4).toString(16)}`);
  const regs = v.regs();
  const dst = checkRegRead(v, insn.dst);
  let src: Reg;
  const srcX = (insn.opcode & BPF_X) !== 0;
  if (srcX) {
    src = checkRegRead(v, insn.src);
  } else {
    src = scalarConst(jmp32 ? BigInt(insn.imm >>> 0) : BigInt(insn.imm) & U64);
  }
  const target = pc + insn.off + 1;
  const pred = branchTaken(dst, src, op, jmp32);
  if (pred >= 0) {
    const marks: number[] = [];
    if (dst.type === 'scalar') marks.push(insn.dst);
    if (srcX && src.type === 'scalar') marks.push(insn.src);
    markPrecise(v, marks);
  }
  if (pred === 1) return target;
  if (pred === 0) return pc + 1;
  const other = pushBranch(v, target, pc);
  const otherRegs = curFrame(other).regs;
  if (srcX) {
    regSetMinMax(otherRegs[insn.dst]!, otherRegs[insn.src]!, regs[insn.dst]!, regs[insn.src]!, op, jmp32);
    if (src.type === 'scalar' && src.id) {
      syncLinkedRegs(v.cur, regs[insn.src]!);
      syncLinkedRegs(other, otherRegs[insn.src]!);
    }
  } else {
    const fakeFalse = copyReg(src);
    const fakeTrue = copyReg(src);
    regSetMinMax(otherRegs[insn.dst]!, fakeTrue, regs[insn.dst]!, fakeFalse, op, jmp32);
  }
  if (dst.type === 'scalar' && dst.id) {
    syncLinkedRegs(v.cur, regs[insn.dst]!);
    syncLinkedRegs(other, otherRegs[insn.dst]!);
  }
  if (!jmp32 && !srcX && insn.imm === 0 && (op === BPF_JEQ || op === BPF_JNE) && dst.maybeNull) {
    markPtrOrNull(v, v.cur, insn.dst, op === BPF_JEQ ? false : true);
    markPtrOrNull(v, other, insn.dst, op === BPF_JEQ);
  } else if (srcX && !jmp32 && (op === BPF_JEQ || op === BPF_JNE) && isNull(src) && dst.maybeNull) {
    markPtrOrNull(v, v.cur, insn.dst, op !== BPF_JEQ);
    markPtrOrNull(v, other, insn.dst, op === BPF_JEQ);
  } else {
    matchPktPointers(insn, regs[insn.dst]!, regs[srcX ? insn.src : 0]!, v.cur, other, jmp32);
  }
  return pc + 1;
}

export { Reject, clearPacketPointers };
