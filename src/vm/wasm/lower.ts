import type { Insn } from '../../isa/insn.js';
import { CTRL, FRAME_SIZE, LAYOUT, STACK_END } from '../layout.js';
import { hasTarget, jumpTarget, plan, type BasicBlock, type Plan } from './cfg.js';
import { F64, FuncBody, I32, I64, Op } from './encoder.js';
import { L_BUDGET, L_D, L_F, L_PLEN, L_PLO, L_R0, L_R10, L_SLIM, L_SLO, L_STATE, L_T, L_T32, L_T32B, P_FP, packetLimit, regLocal, stackLow, type LowerImports } from './locals.js';
import { lowerAlu } from './lower-alu.js';
import { accessCheck, checkedAddress, lowerMemory, mapValueSites } from './lower-mem.js';
import { stillFill } from './builtins.js';
import { BPF_FUNC_tail_call } from '../../uapi/helper-names.js';
import type { InlineForm, InlineSite } from './inline-api.js';
import type { ProvenAccesses } from '../env.js';

/** Fault kinds the generated code reports through the `fault` import; runtime.ts turns them into VmFaults. */
export const FaultKind = {
  CALL_DEPTH: 1,
  FELL_OFF: 2,
  LDDW_TAIL: 3,
} as const;

/** What the lowering needs about the program besides its instructions. */
export interface LowerProgram {
  insns: readonly Insn[];
  /** lddw value at `pc` after resolving pseudo sources, as an unsigned 64-bit bigint. */
  lddwValue(pc: number): bigint;
  /** Basic block starting at each leader pc. */
  blockAt: ReadonlyMap<number, BasicBlock>;
  /** 1 at the second slot of each lddw. */
  lddwTail: Uint8Array;
  /** What the verifier proved of the program's loads and stores (lower-mem.ts accessCheck), when it was verified. */
  proven?: ProvenAccesses;
}

/** The basic blocks reachable from `entry` by jumps and fall-through, in program order. */
export function functionBlocks(prog: LowerProgram, entry: number): BasicBlock[] {
  const seen = new Set<number>();
  const work = [entry];
  while (work.length > 0) {
    const pc = work.pop()!;
    if (seen.has(pc)) continue;
    const bb = prog.blockAt.get(pc);
    if (!bb) continue;
    seen.add(pc);
    if (prog.lddwTail[pc]) continue;
    const last = lastPc(prog.insns, bb);
    const insn = prog.insns[last]!;
    if (hasTarget(insn)) work.push(jumpTarget(insn, last));
    if (!endsFlow(insn)) work.push(fallPc(prog.insns, bb));
  }
  return [...seen].sort((a, b) => a - b).map((pc) => prog.blockAt.get(pc)!);
}

/** The pc of a block's last instruction (the first slot of a trailing lddw). */
function lastPc(insns: readonly Insn[], bb: BasicBlock): number {
  let pc = bb.start;
  let last = pc;
  while (pc < bb.end) {
    last = pc;
    pc += insns[pc]!.opcode === 0x18 ? 2 : 1;
  }
  return last;
}

/** Where control goes when it runs off the end of `bb` (past a trailing lddw's second slot). */
function fallPc(insns: readonly Insn[], bb: BasicBlock): number {
  const last = lastPc(insns, bb);
  return last + (insns[last]!.opcode === 0x18 ? 2 : 1);
}

/** Whether control never falls through `insn` (exit, ja, gotol). */
function endsFlow(insn: Insn): boolean {
  return insn.opcode === 0x95 || insn.opcode === 0x05 || insn.opcode === 0x06;
}

/** A branch's destination in the current control stack: a depth, or a back edge through dispatch. */
type Dest = { depth: number; back: boolean; index: number };

/**
 * Lowers one BPF function (the blocks reachable from `entry`) to a WebAssembly function
 * `(r1..r5 i64, fp i32) → r0 i64`. Instruction budget (the rule of src/vm/protocol.ts): each
 * straight-line segment (a block, split after every call and legacy packet load) is charged and
 * checked on entry; when it cannot be paid for in full, none of it runs here and the `budgetOut`
 * import runs the part the budget pays for on the interpreter's steps and faults on the first
 * instruction that could not run, exactly as the interpreter does.
 *
 * A function with a {@link budgetBound} checks the budget once, on entry: when it covers the
 * bound, no segment can fail its check, so the segments are only charged; otherwise the call is
 * run by the `interpret` import, on the interpreter's steps, which fault where the budget runs out.
 */
export function lowerFunction(prog: LowerProgram, imports: LowerImports, entry: number): FuncBody {
  const insns = prog.insns;
  const mapSites = mapValueSites(insns, imports.shape);
  const arranged = arrange(prog, functionBlocks(prog, entry));
  const { blocks, index, layout } = arranged;
  const bound = budgetBound(prog, imports, arranged);
  const checkBudget = bound === undefined;
  const f = new FuncBody(6);
  for (let i = 0; i < 6; i++) f.local(I64); // r0, r6..r9, r10
  f.local(I64); // addr
  f.local(I64); // d
  f.local(I64); // plo
  f.local(I64); // plen
  f.local(I64); // t
  f.local(I64); // t2
  f.local(I32); // budget
  f.local(I32); // state
  f.local(I32); // t32
  f.local(I64); // slo: this frame's start, the lowest live stack address
  f.local(I64); // slim: STACK_END - slo
  f.local(F64); // f: a fast helper's result
  f.local(I32); // t32b
  for (let i = 0; i < 4; i++) f.local(I64); // packet limits for 1, 2, 4, 8-byte accesses

  // Prologue.
  f.get(P_FP).op(Op.i64_extend_i32_u).tee(L_R10).i64(FRAME_SIZE).op(Op.i64_sub).tee(L_SLO);
  f.i64(STACK_END).op(Op.i64_sub).set(L_SLIM);
  f.i64(0).get(L_SLIM).op(Op.i64_sub).set(L_SLIM);
  f.gget(imports.budget).set(L_BUDGET);
  if (bound !== undefined) {
    f.get(L_BUDGET).i32(bound).op(Op.i32_lt_s).if();
    f.i32(entry).get(P_FP);
    for (let p = 0; p < P_FP; p++) f.get(p);
    f.call(imports.interpret).op(Op.return);
    f.end();
  }
  reloadPacket(f);

  const n = blocks.length;
  // Structured: a stack of open constructs. Dispatch: blocks $b(n-1)..$b0 inside one loop.
  const stack: { kind: 'block' | 'loop'; pos: number }[] = [];
  let extra = 0; // constructs opened inside the current instruction (if/else), added to depths
  let cur = 0;
  const dest = (t: number): Dest => {
    if (layout.kind === 'dispatch') {
      if (t > cur) return { depth: t - (cur + 1) + extra, back: false, index: t };
      return { depth: n - 1 - cur + extra, back: true, index: t };
    }
    for (let i = stack.length - 1; i >= 0; i--) {
      const c = stack[i]!;
      if (t > cur ? c.kind === 'block' && c.pos === t : c.kind === 'loop' && c.pos === t) {
        return { depth: stack.length - 1 - i + extra, back: t <= cur, index: t };
      }
    }
    throw new RangeError(`wasm lowering: no construct for a branch to block ${t}`);
  };

  let openAt: Map<number, { kind: 'block' | 'loop'; pos: number }[]> | undefined;
  let closeAt: Map<number, number> | undefined;
  if (layout.kind === 'structured') {
    openAt = new Map();
    closeAt = new Map();
    for (const c of layout.constructs) {
      const list = openAt.get(c.start) ?? [];
      list.push({ kind: c.kind, pos: c.kind === 'loop' ? c.start : c.end });
      openAt.set(c.start, list);
      closeAt.set(c.end, (closeAt.get(c.end) ?? 0) + 1);
    }
  } else {
    f.loop();
    for (let i = n - 1; i >= 0; i--) f.block();
    f.get(L_STATE).brTable(Array.from({ length: n }, (_, i) => i), n - 1);
  }

  /** Emits a jump to block `t`; inside an `if`, the caller has already counted it in `extra`. */
  const jump = (t: number): void => {
    const d = dest(t);
    if (d.back && layout.kind === 'dispatch') f.i32(d.index).set(L_STATE);
    f.br(d.depth);
  };

  for (cur = 0; cur < n; cur++) {
    const bb = blocks[cur]!;
    if (layout.kind === 'structured') {
      for (let k = closeAt!.get(cur) ?? 0; k > 0; k--) {
        stack.pop();
        f.end();
      }
      for (const c of openAt!.get(cur) ?? []) {
        stack.push(c);
        if (c.kind === 'loop') f.loop();
        else f.block();
      }
    } else if (cur > 0) {
      f.end(); // closes $b(cur): its code follows
    }
    if (cur === 0 && layout.kind === 'dispatch') f.end();
    // Fall-through into a block that is not the next in program order (reachability may skip blocks).
    let segment = true;
    for (let pc = bb.start; pc < bb.end; pc++) {
      const insn = insns[pc]!;
      if (segment) {
        const count = segmentLength(insns, pc, bb.end);
        if (checkBudget) {
          f.get(L_BUDGET).i32(count).op(Op.i32_sub).tee(L_BUDGET).i32(0).op(Op.i32_lt_s).if();
          budgetOut(f, imports, pc, count);
          f.end();
        } else {
          f.get(L_BUDGET).i32(count).op(Op.i32_sub).set(L_BUDGET);
        }
        segment = false;
      }
      const cls = insn.opcode & 7;
      if (prog.lddwTail[pc]) {
        f.i32(FaultKind.LDDW_TAIL).i32(pc).call(imports.fault).op(Op.unreachable);
        break;
      }
      if (cls === 5 || cls === 6) {
        const op = insn.opcode & 0xf0;
        if (op === 0x80) {
          lowerCall(f, imports, insn, pc);
          segment = true;
          if (insn.opcode === 0x85 && insn.src === 0 && insn.imm === BPF_FUNC_tail_call) {
            // A taken tail call ends this function with the tail-called program's r0.
            f.if();
            f.get(L_BUDGET).gset(imports.budget);
            f.gget(imports.tailR0).op(Op.return);
            f.end();
          }
          continue;
        }
        if (op === 0x90) {
          f.get(L_BUDGET).gset(imports.budget);
          f.get(L_R0).op(Op.return);
          continue;
        }
        const t = index.get(jumpTarget(insn, pc))!;
        if (op === 0x00) {
          jump(t);
          continue;
        }
        condition(f, insn);
        const d = dest(t);
        if (d.back) {
          f.if();
          extra++;
          jump(t);
          extra--;
          f.end();
        } else {
          f.brIf(d.depth);
        }
        continue;
      }
      if (insn.opcode === 0x18) {
        f.i64(prog.lddwValue(pc)).set(regLocal(insn.dst));
        pc++;
        continue;
      }
      if (cls === 0) {
        lowerLegacyLoad(f, imports, insn, pc);
        segment = true;
        continue;
      }
      if (cls === 4 || cls === 7) {
        lowerAlu(f, insn);
        continue;
      }
      lowerMemory(f, imports, insn, pc, (d) => (extra += d), mapSites.has(pc), accessCheck(prog.proven, insn, pc));
    }
    // A block whose successor in program order is not next in this function's layout.
    const lastInsn = insns[lastPc(insns, bb)]!;
    if (!endsFlow(lastInsn) && !prog.lddwTail[bb.start]) {
      const fall = fallPc(insns, bb);
      const next = index.get(fall);
      if (next === undefined) {
        // As the interpreter: the pc past the end is charged like an instruction before it faults.
        if (checkBudget) {
          f.get(L_BUDGET).i32(1).op(Op.i32_lt_s).if();
          budgetOut(f, imports, fall, 0);
          f.end();
        }
        f.i32(FaultKind.FELL_OFF).i32(fall).call(imports.fault).op(Op.unreachable);
      } else if (next !== cur + 1) {
        jump(next);
      }
    }
  }
  if (layout.kind === 'structured') {
    while (stack.length > 0) {
      stack.pop();
      f.end();
    }
  } else {
    f.end(); // the dispatch loop
  }
  f.op(Op.unreachable);
  return f;
}

/**
 * The most instructions one call of a function (its blocks as `arranged`) can execute (its longest path,
 * counting the pc past the end where control falls off it, as the interpreter charges it), when
 * nothing else can spend budget during the call: no back edge, no BPF-to-BPF call, callx, kfunc,
 * tail call or may_goto, and only helpers that never call back into the program. Undefined for
 * any other function.
 */
function budgetBound(prog: LowerProgram, imports: LowerImports, arranged: Arrangement): number | undefined {
  const insns = prog.insns;
  const { blocks, index, layout } = arranged;
  if (layout.kind !== 'structured' || layout.constructs.some((c) => c.kind === 'loop')) return undefined;
  // No loop constructs: every edge goes forward in `blocks`, so a backward pass sees successors first.
  const longest = new Array<number>(blocks.length).fill(0);
  for (let i = blocks.length - 1; i >= 0; i--) {
    const bb = blocks[i]!;
    let count = 0;
    for (let pc = bb.start; pc < bb.end; pc++) {
      const insn = insns[pc]!;
      count++;
      if (prog.lddwTail[pc]) break;
      if ((insn.opcode & 0x07) === 5 || (insn.opcode & 0x07) === 6) {
        // callx, BPF-to-BPF calls and kfuncs, and may_goto (its count lives in the interpreter).
        if (insn.opcode === 0x8d || (insn.opcode === 0x85 && insn.src !== 0) || (insn.opcode & 0xf0) === 0xe0) return undefined;
        if (insn.opcode === 0x85 && (insn.imm === BPF_FUNC_tail_call || imports.shape(insn.imm).callsBack)) return undefined;
      }
      if (insn.opcode === 0x18) pc++;
    }
    let after = 0;
    if (!prog.lddwTail[bb.start]) {
      const last = lastPc(insns, bb);
      const insn = insns[last]!;
      if (hasTarget(insn)) after = longest[index.get(jumpTarget(insn, last))!]!;
      if (!endsFlow(insn)) {
        const next = index.get(fallPc(insns, bb));
        after = Math.max(after, next === undefined ? 1 : longest[next]!);
      }
    }
    longest[i] = count + after;
  }
  return longest[0];
}

/** The blocks of a function in the order they are emitted, each block's position in it, and the plan of their nesting. */
interface Arrangement {
  blocks: BasicBlock[];
  index: Map<number, number>;
  layout: Plan;
}

/**
 * Orders a function's blocks (`inPcOrder`, entry first) for emission: in program order when that
 * plans as structured code, else in reverse postorder (a jump back to a shared `return` block
 * is no loop, and once its predecessors come first it needs no dispatch), else in program order
 * with the dispatch loop.
 */
function arrange(prog: LowerProgram, inPcOrder: BasicBlock[]): Arrangement {
  const first = arrangeIn(prog, inPcOrder);
  if (first.layout.kind === 'structured') return first;
  const rpo = arrangeIn(prog, reversePostorder(prog, inPcOrder));
  return rpo.layout.kind === 'structured' ? rpo : first;
}

function arrangeIn(prog: LowerProgram, blocks: BasicBlock[]): Arrangement {
  const insns = prog.insns;
  const index = new Map<number, number>();
  blocks.forEach((bb, i) => index.set(bb.start, i));
  const edges: [number, number][] = [];
  blocks.forEach((bb, i) => {
    if (prog.lddwTail[bb.start]) return;
    const last = lastPc(insns, bb);
    const insn = insns[last]!;
    if (hasTarget(insn)) edges.push([i, index.get(jumpTarget(insn, last))!]);
    if (!endsFlow(insn)) {
      const next = index.get(fallPc(insns, bb));
      if (next !== undefined && next !== i + 1) edges.push([i, next]);
    }
  });
  return { blocks, index, layout: plan(blocks.length, edges) };
}

/**
 * The blocks in reverse postorder of a depth-first walk from the entry that takes a block's
 * jump target before its fall-through, so that the fall-through successor, where it has no
 * other reason to move, comes right after its block.
 */
function reversePostorder(prog: LowerProgram, blocks: BasicBlock[]): BasicBlock[] {
  const insns = prog.insns;
  const successors = (bb: BasicBlock): number[] => {
    if (prog.lddwTail[bb.start]) return [];
    const last = lastPc(insns, bb);
    const insn = insns[last]!;
    const out: number[] = [];
    if (hasTarget(insn)) out.push(jumpTarget(insn, last));
    if (!endsFlow(insn)) out.push(fallPc(insns, bb));
    return out.filter((pc) => prog.blockAt.has(pc));
  };
  const post: BasicBlock[] = [];
  const seen = new Set<number>([blocks[0]!.start]);
  const stack: { bb: BasicBlock; next: number[] }[] = [{ bb: blocks[0]!, next: successors(blocks[0]!) }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const pc = top.next.shift();
    if (pc === undefined) {
      post.push(top.bb);
      stack.pop();
      continue;
    }
    if (seen.has(pc)) continue;
    seen.add(pc);
    const bb = prog.blockAt.get(pc)!;
    stack.push({ bb, next: successors(bb) });
  }
  return post.reverse();
}

/**
 * Instructions from `pc` to the end of its segment: the block's end or just after the next call
 * or legacy packet load (which may end the function), counting lddw once.
 */
function segmentLength(insns: readonly Insn[], pc: number, end: number): number {
  let count = 0;
  while (pc < end) {
    const insn = insns[pc]!;
    count++;
    if ((insn.opcode & 0xf7) === 0x85 || ((insn.opcode & 7) === 0 && insn.opcode !== 0x18)) break;
    pc += insn.opcode === 0x18 ? 2 : 1;
  }
  return count;
}

/**
 * Calls the `budgetOut` import for a segment of `count` instructions from `pc` that the budget
 * (L_BUDGET, already charged) cannot pay for: it gets what was left before the charge, the live
 * frame's start and every register, and never returns.
 */
function budgetOut(f: FuncBody, imports: LowerImports, pc: number, count: number): void {
  f.i32(pc).get(L_BUDGET).i32(count).op(Op.i32_add);
  stackLow(f);
  for (let r = 0; r <= 10; r++) f.get(regLocal(r));
  f.call(imports.budgetOut).op(Op.unreachable);
}

/**
 * BPF_LD | BPF_ABS / BPF_IND (W, H, B) as the kernel rewrites them (net/core/filter.c,
 * bpf_gen_ld_abs; the interpreter's ldStep): r2 = imm or src + imm, r1 = r6, r0 = the `ldAbs`
 * import (src/vm/ld-abs.ts skbLoad), and on its -1 the function returns 0.
 */
function lowerLegacyLoad(f: FuncBody, imports: LowerImports, insn: Insn, pc: number): void {
  const size = [4, 2, 1][(insn.opcode & 0x18) >> 3]!;
  if ((insn.opcode & 0xe0) === 0x20) f.i64(BigInt(insn.imm)).set(regLocal(2));
  else f.get(regLocal(insn.src)).i64(BigInt(insn.imm)).op(Op.i64_add).set(regLocal(2));
  f.get(regLocal(6)).set(regLocal(1));
  // r6 as an i32 address, 0 (never the context) when it does not fit.
  f.i32(pc).i32(size).get(regLocal(2)).op(Op.i32_wrap_i64);
  f.get(regLocal(6)).op(Op.i32_wrap_i64).i32(0).get(regLocal(6)).i64(32).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.select);
  f.call(imports.ldAbs).op(Op.i64_trunc_f64_s).tee(L_R0).i64(0).op(Op.i64_lt_s).if();
  f.get(L_BUDGET).gset(imports.budget);
  f.i64(0).op(Op.return);
  f.end();
}

/** Re-reads the packet bounds from the control block (helpers may move them). */
function reloadPacket(f: FuncBody): void {
  f.i32(LAYOUT.CTRL).mem(Op.i64_load32_u, CTRL.PKT_START).set(L_PLO);
  f.i32(LAYOUT.CTRL).mem(Op.i64_load32_u, CTRL.PKT_END).get(L_PLO).op(Op.i64_sub).set(L_PLEN);
  for (const size of [1, 2, 4, 8]) {
    // max(plen - size + 1, 0): plen is below 2^32, so the difference is exact as a signed i64.
    f.get(L_PLEN).i64(size - 1).op(Op.i64_sub).i64(0).get(L_PLEN).i64(size - 1).op(Op.i64_ge_s).op(Op.select).set(packetLimit(size));
  }
}

/**
 * A call: the budget is flushed to its global first (helpers see and may change it
 * through RunEnv.budget, callbacks and tail calls spend it), and reloaded after, with the packet
 * bounds, which helpers may move.
 */
function lowerCall(f: FuncBody, imports: LowerImports, insn: Insn, pc: number): void {
  f.get(L_BUDGET).gset(imports.budget);
  const head = (): void => {
    f.i32(pc);
    stackLow(f);
    f.get(L_BUDGET);
  };
  const args = (): void => {
    for (let r = 1; r <= 5; r++) f.get(regLocal(r));
  };
  let tail = false;
  if (insn.opcode === 0x8d) {
    head();
    f.get(regLocal(insn.dst));
    args();
    f.call(imports.callx).set(L_R0);
  } else if (insn.src === 1) {
    // BPF-to-BPF call: a new 512-byte frame below this one; depth 8 is the limit.
    f.get(P_FP).i32(2 * FRAME_SIZE).op(Op.i32_sub).i32(LAYOUT.STACK).op(Op.i32_lt_s).if();
    f.i32(FaultKind.CALL_DEPTH).i32(pc).call(imports.fault).op(Op.unreachable);
    f.end();
    args();
    stackLow(f);
    f.call(imports.funcAt(pc + insn.imm + 1)).set(L_R0);
  } else if (insn.src === 2) {
    f.i32(pc);
    stackLow(f);
    f.i32(insn.imm);
    args();
    f.call(imports.kfunc).set(L_R0);
  } else if (insn.imm === BPF_FUNC_tail_call) {
    head();
    args();
    f.call(imports.tailCall).set(L_T32);
    tail = true;
  } else {
    const shape = imports.shape(insn.imm);
    // An inline form (HelperShape.inline) opens `if`s whose innermost `else` is the call below.
    const shift = imports.inlineShift(insn.imm);
    const open = shape.inline !== undefined && shift >= 0 ? shape.inline.emit(inlineSite(f, imports, pc, shape.inline, shift)) : 0;
    // A helper constant for the run (HelperDef.constant): its value, read once as the run began.
    const constant = imports.constant(insn.imm);
    if (constant >= 0) {
      f.gget(imports.constMask).i32(imports.fastBit(insn.imm)).op(Op.i32_and).if(I64);
      f.gget(constant);
      f.op(Op.else);
    }
    // Arguments that all fit in 32 bits (pointers, sizes, flags) take the BigInt-free import.
    // With a fast form (its bit in the fastMask global), registers past the helper's arguments
    // do not count: they hold whatever was left there.
    const all = (n: number): void => {
      f.get(regLocal(1));
      for (let r = 2; r <= n; r++) f.get(regLocal(r)).op(Op.i64_or);
      f.i64(32).op(Op.i64_shr_u).op(Op.i64_eqz);
    };
    all(5);
    const argc = shape.argCount;
    const bit = imports.fastBit(insn.imm);
    if (argc < 5 && bit !== 0) {
      if (argc === 0) f.i32(1);
      else all(argc);
      f.gget(imports.fastMask).i32(bit).op(Op.i32_and).i32(0).op(Op.i32_ne).op(Op.i32_and).op(Op.i32_or);
    }
    f.if(I64);
    head();
    for (let r = 1; r <= 5; r++) f.get(regLocal(r)).op(Op.i32_wrap_i64);
    // An f64 result crosses without a BigInt; NaN says r0 is in the bigR0 global instead.
    f.call(imports.fastHelper(insn.imm)).tee(L_F).get(L_F).op(Op.f64_eq).if(I64);
    f.get(L_F).op(Op.i64_trunc_f64_s);
    f.op(Op.else);
    f.gget(imports.bigR0);
    f.end();
    f.op(Op.else);
    head();
    args();
    f.call(imports.helper(insn.imm));
    f.end();
    if (constant >= 0) f.end();
    for (let k = 0; k < open; k++) f.end();
    f.set(L_R0);
  }
  f.gget(imports.budget).set(L_BUDGET);
  // Helpers that never move data_meta, data or data_end leave the packet locals valid.
  if (!(insn.opcode === 0x85 && insn.src === 0 && !imports.shape(insn.imm).movesPacket)) reloadPacket(f);
  // bpf_tail_call leaves its "taken" flag for the caller's `if`.
  if (tail) f.get(L_T32);
}

/**
 * The InlineSite (inline-api.ts) of the call at `pc`: the form's `allowed` bits are the `inl`
 * global's from `shift` (compiler.ts gives each inlined helper its own).
 */
function inlineSite(f: FuncBody, imports: LowerImports, pc: number, form: InlineForm, shift: number): InlineSite {
  return {
    f,
    pc,
    reg: regLocal,
    t64: L_T,
    d64: L_D,
    t32: L_T32,
    t32b: L_T32B,
    stackStart: L_SLO,
    stackSpan: L_SLIM,
    packetStart: L_PLO,
    packetLen: L_PLEN,
    allowed(variant?: number) {
      f.gget(imports.inl);
      if (shift > 0) f.i32(shift).op(Op.i32_shr_u);
      if (variant !== undefined) {
        if (variant > 0) f.i32(variant).op(Op.i32_shr_u);
        f.i32(1).op(Op.i32_and);
      } else {
        f.i32((1 << form.variants) - 1).op(Op.i32_and).i32(0).op(Op.i32_ne);
      }
    },
    func: (fn) => imports.inlineFunc(fn),
    checkedRead: (reg, off, size) => checkedAddress(f, imports, reg, off, size, false, pc, false, true),
    readable: (addr, len) => rangeOk(f, imports, addr, len),
    noteKey(mapReg: number, keyReg: number, len: number) {
      f.i32(LAYOUT.CTRL).mem(Op.i32_load, CTRL.KEY_FILL).if();
      f.i32(LAYOUT.CTRL).mem(Op.i32_load, CTRL.KEY_FILL).get(regLocal(keyReg)).op(Op.i32_wrap_i64).get(len).op(Op.i32_wrap_i64).call(imports.inlineFunc(stillFill)).if();
      f.i32(pc).get(regLocal(mapReg)).op(Op.i32_wrap_i64).get(regLocal(keyReg)).op(Op.i32_wrap_i64).call(imports.mapKey);
      f.end();
      f.end();
    },
  };
}

/**
 * Pushes 1 when `len` (an i64 local) bytes at `addr` (an i64 local below 2^32, `len` below 2^16)
 * lie on the live stack, in the packet or inside one map value as a read (or `len` is 0), so
 * VmMemory.check would accept them; 0 says nothing (the helper then checks them itself).
 */
function rangeOk(f: FuncBody, imports: LowerImports, addr: number, len: number): void {
  f.get(len).op(Op.i64_eqz);
  f.get(addr).get(L_SLO).op(Op.i64_sub).tee(L_T).get(L_SLIM).op(Op.i64_le_u);
  f.get(L_T).get(len).op(Op.i64_add).get(L_SLIM).op(Op.i64_le_u).op(Op.i32_and).op(Op.i32_or);
  f.get(addr).get(L_PLO).op(Op.i64_sub).tee(L_T).get(L_PLEN).op(Op.i64_lt_u);
  f.get(L_T).get(len).op(Op.i64_add).get(L_PLEN).op(Op.i64_le_u).op(Op.i32_and).op(Op.i32_or);
  // The slab search only when the cheap tests said no.
  f.if(I32);
  f.i32(1);
  f.op(Op.else);
  f.get(addr).get(len).op(Op.i32_wrap_i64).i32(0).call(imports.slabOk);
  f.end();
}

const CMP32: Record<number, number> = {
  0x10: Op.i32_eq, 0x20: Op.i32_gt_u, 0x30: Op.i32_ge_u, 0x50: Op.i32_ne, 0x60: Op.i32_gt_s,
  0x70: Op.i32_ge_s, 0xa0: Op.i32_lt_u, 0xb0: Op.i32_le_u, 0xc0: Op.i32_lt_s, 0xd0: Op.i32_le_s,
};
const CMP64: Record<number, number> = {
  0x10: Op.i64_eq, 0x20: Op.i64_gt_u, 0x30: Op.i64_ge_u, 0x50: Op.i64_ne, 0x60: Op.i64_gt_s,
  0x70: Op.i64_ge_s, 0xa0: Op.i64_lt_u, 0xb0: Op.i64_le_u, 0xc0: Op.i64_lt_s, 0xd0: Op.i64_le_s,
};

/** Pushes the i32 condition of a conditional jump (RFC 9669 §4.3). */
function condition(f: FuncBody, insn: Insn): void {
  const is32 = (insn.opcode & 7) === 6;
  const op = insn.opcode & 0xf0;
  const x = (insn.opcode & 8) !== 0;
  f.get(regLocal(insn.dst));
  if (is32) f.op(Op.i32_wrap_i64);
  if (x) {
    f.get(regLocal(insn.src));
    if (is32) f.op(Op.i32_wrap_i64);
  } else if (is32) f.i32(insn.imm);
  else f.i64(insn.imm);
  if (op === 0x40) {
    if (is32) f.op(Op.i32_and);
    else f.op(Op.i64_and).i64(0).op(Op.i64_ne);
    return;
  }
  f.op(is32 ? CMP32[op]! : CMP64[op]!);
}

