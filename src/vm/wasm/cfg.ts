import type { Insn } from '../../isa/insn.js';

/** BPF_CALL with src BPF_PSEUDO_CALL, and helper 12 (bpf_tail_call), which the engine handles. */
const PSEUDO_CALL = 1;
const PSEUDO_FUNC = 4;
const TAIL_CALL = 12;

/** A basic block of one function: instruction slots [start, end). */
export interface BasicBlock {
  start: number;
  end: number;
}

/**
 * How a function's blocks are laid out in WebAssembly. `structured`: nested `block`s end right
 * before each forward-jump target and a `loop` starts at each back-edge target (the
 * "stackifier" shape; it needs a reducible graph whose loops are contiguous in program order).
 * `dispatch`: the fallback for any other graph, `loop { block* br_table(state) }`, where forward
 * jumps still branch directly and only back edges go through the state variable.
 */
export type Plan =
  | { kind: 'structured'; constructs: Construct[] }
  | { kind: 'dispatch' };

/** A `block` (a branch to it jumps to `end`) or a `loop` (a branch to it jumps to `start`), over block indices [start, end). */
export interface Construct {
  kind: 'block' | 'loop';
  start: number;
  end: number;
}

/** Whether `insn` ends a basic block after itself (jumps, exit, tail calls). */
function isJump(insn: Insn): boolean {
  const cls = insn.opcode & 7;
  if (cls !== 5 && cls !== 6) return false;
  const op = insn.opcode & 0xf0;
  if (op === 0x80) return insn.src === 0 && insn.imm === TAIL_CALL && (insn.opcode & 8) === 0;
  return true;
}

/** The jump target of a jump at `pc` (JA of class JMP32 takes its offset from imm: `gotol`). */
export function jumpTarget(insn: Insn, pc: number): number {
  if ((insn.opcode & 7) === 6 && (insn.opcode & 0xf0) === 0) return pc + insn.imm + 1;
  return pc + insn.off + 1;
}

/** Whether the jump at `insn` has a target (conditional jumps and `ja`; not exit or call). */
export function hasTarget(insn: Insn): boolean {
  const cls = insn.opcode & 7;
  if (cls !== 5 && cls !== 6) return false;
  const op = insn.opcode & 0xf0;
  return op !== 0x80 && op !== 0x90;
}

/** Whether the slot at `pc` is the second half of an lddw (scanning from the start, as decoders do). */
export function isLddwTail(insns: readonly Insn[], pc: number): boolean {
  return lddwTails(insns)[pc] === 1;
}

const tailCache = new WeakMap<readonly Insn[], Uint8Array>();

/** 1 at the second slot of every lddw. */
export function lddwTails(insns: readonly Insn[]): Uint8Array {
  let tails = tailCache.get(insns);
  if (!tails) {
    tails = new Uint8Array(insns.length + 1);
    for (let pc = 0; pc < insns.length; pc++) {
      if (insns[pc]!.opcode === 0x18) tails[++pc] = 1;
    }
    tailCache.set(insns, tails);
  }
  return tails;
}

/** The entry pcs of every function: 0 and each BPF-to-BPF call target, sorted. */
export function functionEntries(insns: readonly Insn[], declared: readonly { pc: number }[]): number[] {
  const entries = new Set<number>([0]);
  for (const f of declared) entries.add(f.pc);
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc]!;
    if (insn.opcode === 0x85 && insn.src === PSEUDO_CALL) entries.add(pc + insn.imm + 1);
    // lddw rX, func (BPF_PSEUDO_FUNC): a callback for helpers such as bpf_loop.
    if (insn.opcode === 0x18 && insn.src === PSEUDO_FUNC) entries.add(pc + insn.imm + 1);
    if (insn.opcode === 0x18) pc++;
  }
  return [...entries].filter((pc) => pc >= 0 && pc < insns.length).sort((a, b) => a - b);
}

/**
 * Splits instructions [start, end) into basic blocks. A block starts at `start`, at each of
 * `extra` (function entries), at each jump target and after each jump. A jump into the second
 * slot of an lddw gets a one-slot block of its own (executing it is a fault), and the lddw's
 * fall-through continues after it.
 */
export function basicBlocks(insns: readonly Insn[], start: number, end: number, extra: readonly number[] = []): BasicBlock[] {
  const leaders = new Set<number>([start, ...extra]);
  for (let pc = start; pc < end; pc++) {
    const insn = insns[pc]!;
    if (insn.opcode === 0x18) {
      pc++;
      continue;
    }
    if (!isJump(insn)) continue;
    if (pc + 1 < end) leaders.add(pc + 1);
    if (hasTarget(insn)) {
      const t = jumpTarget(insn, pc);
      if (t >= start && t < end) leaders.add(t);
    }
  }
  for (const pc of [...leaders]) if (pc + 1 < end && isLddwTail(insns, pc)) leaders.add(pc + 1);
  const sorted = [...leaders].filter((pc) => pc >= start && pc < end).sort((a, b) => a - b);
  return sorted.map((s, i) => ({ start: s, end: sorted[i + 1] ?? end }));
}

/**
 * Plans the nesting of `n` blocks given the explicit branches between them (`[from, to]` block
 * indices; falling through to the next block needs none). Returns a structured plan when every
 * loop is single-entry and contiguous, else the dispatch plan.
 */
export function plan(n: number, edges: readonly (readonly [number, number])[]): Plan {
  // Loops: header → furthest back-edge source; then extend ends until loops nest.
  const loopEnd = new Map<number, number>();
  for (const [s, t] of edges) {
    if (t <= s) loopEnd.set(t, Math.max(loopEnd.get(t) ?? -1, s));
  }
  const loops = [...loopEnd].map(([start, last]) => ({ start, end: last + 1 })).sort((a, b) => a.start - b.start);
  for (let changed = true; changed; ) {
    changed = false;
    for (const a of loops) {
      for (const b of loops) {
        if (a.start < b.start && b.start < a.end && a.end < b.end) {
          a.end = b.end;
          changed = true;
        }
      }
    }
  }
  // Blocks: target → earliest source; each opens at the header of the innermost loop that holds
  // all its sources and its target, or at the function's start.
  const minSrc = new Map<number, number>();
  for (const [s, t] of edges) {
    if (t > s) minSrc.set(t, Math.min(minSrc.get(t) ?? s, s));
  }
  void n;
  const constructs: Construct[] = loops.map((l) => ({ kind: 'loop' as const, start: l.start, end: l.end }));
  for (const [target, src] of minSrc) {
    let owner = -1;
    for (const l of loops) if (l.start <= src && l.end >= target && l.start > owner) owner = l.start;
    constructs.push({ kind: 'block', start: Math.max(owner, 0), end: target });
  }
  // Opening order at one position: outer (later end) first; a loop encloses blocks of equal extent.
  constructs.sort((a, b) => a.start - b.start || b.end - a.end || (a.kind === 'loop' ? -1 : 1) - (b.kind === 'loop' ? -1 : 1));
  return nests(constructs) ? { kind: 'structured', constructs } : { kind: 'dispatch' };
}

/** Whether the constructs, opened in order, close in stack order (properly nested intervals). */
function nests(constructs: readonly Construct[]): boolean {
  const stack: Construct[] = [];
  for (const c of constructs) {
    while (stack.length > 0 && stack[stack.length - 1]!.end <= c.start) stack.pop();
    const top = stack[stack.length - 1];
    if (top && c.end > top.end) return false;
    stack.push(c);
  }
  return true;
}
