import type { Insn } from '../isa/insn.js';
import { BPF_CALL, BPF_EXIT, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32 } from '../isa/opcodes.js';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC } from '../uapi/bpf.js';
import type { Reg } from './reg.js';
import type { VState } from './state.js';
import { tnumIsConst } from './tnum.js';

/**
 * What the verifier proved for the engines (design.md: handed to `vm` as compile options, never
 * imported by it), merged over every verified path: a fact holds at an instruction only if it held
 * on every path that reached it.
 *
 * A path cut short by pruning never runs the instructions after the prune point, yet it would in
 * the program: the state it was pruned against stands in for it. For memory accesses that is sound
 * as the kernel's own safety argument is (regsafe compares pointers by type, offset and range). For
 * constants it is not, since an imprecise scalar matches any value; so when the pruned state holds
 * a value the kept one did not cover, every instruction the path could still reach loses its
 * constants.
 */

/** Where a load or store lands, as proven on every path that reached it. */
export interface AccessFact {
  /**
   * `stack` (a frame's 512 bytes), `packet` (from `data`, within the range proven against
   * `data_end`), `packet_meta` (from `data_meta`, within `data`), `map_value` / `map_key`
   * (within value_size / key_size), `ctx` (a context field the program type may access), `mem`
   * (a helper-returned buffer such as a ringbuf record, within its size).
   */
  region: 'stack' | 'packet' | 'packet_meta' | 'map_value' | 'map_key' | 'ctx' | 'mem';
  /** Bytes accessed. */
  size: number;
  /** The instruction stores (an atomic both loads and stores). */
  write: boolean;
  /**
   * Lowest and highest offset of the first byte accessed from the region's start, over every
   * path: for `stack` from the frame pointer (negative); equal when the offset is constant.
   */
  offMin: number;
  offMax: number;
  /** `stack`: frames up from the one executing (0 its own, 1 its caller's...). */
  frame?: number;
  /** `map_value`, `map_key`: the map's name. */
  map?: string;
}

/** A register holding the same value at the start of an instruction on every path. */
export interface ConstantFact {
  reg: number;
  /** The value as an unsigned 64-bit number. */
  value: bigint;
}

/** The facts of an accepted program, indexed by instruction. */
export interface VerifierFacts {
  /** `accesses[insn]`: how the load or store at `insn` is in bounds, or null (not proven the same way on every path, not an access, never reached). */
  accesses: (AccessFact | null)[];
  /** `constants[insn]`: registers r0–r9 that `insn` or a later instruction reads, known constant when `insn` starts, on every path that reached it (empty when none or never reached). */
  constants: ConstantFact[][];
}

const MIXED = null;

/** Collects facts while the verifier explores paths. */
export class FactsRecorder {
  private readonly access: (AccessFact | null | undefined)[];
  private readonly constMask: Uint16Array;
  private readonly constValues: (bigint[] | undefined)[];
  private readonly visited: Uint8Array;
  private readonly tainted: Uint8Array;

  constructor(private readonly insns: Insn[]) {
    const n = insns.length;
    this.access = new Array(n);
    this.constMask = new Uint16Array(n);
    this.constValues = new Array(n);
    this.visited = new Uint8Array(n);
    this.tainted = new Uint8Array(n);
  }

  /**
   * A path reaches `pc` with registers `regs` (the executing frame's). Only registers in `live`
   * (those read before being written from here) count: a dead register's value is never used, and
   * the pruning check compares only live ones.
   */
  visit(pc: number, regs: Reg[], live: number): void {
    if (this.tainted[pc]) return;
    if (!this.visited[pc]) {
      this.visited[pc] = 1;
      let mask = 0;
      const values: bigint[] = [];
      for (let r = 0; r < 10; r++) {
        if (!(live & (1 << r))) continue;
        const reg = regs[r]!;
        if (reg.type === 'scalar' && tnumIsConst(reg.var)) {
          mask |= 1 << r;
          values[r] = reg.var.value;
        }
      }
      this.constMask[pc] = mask;
      if (mask) this.constValues[pc] = values;
      return;
    }
    let mask = this.constMask[pc]!;
    if (!mask) return;
    const values = this.constValues[pc]!;
    for (let r = 0; r < 10; r++) {
      if (!(mask & (1 << r))) continue;
      const reg = regs[r]!;
      if (reg.type !== 'scalar' || !tnumIsConst(reg.var) || reg.var.value !== values[r]) mask &= ~(1 << r);
    }
    this.constMask[pc] = mask;
  }

  /** The access at `pc` on this path. */
  noteAccess(pc: number, fact: AccessFact): void {
    const prev = this.access[pc];
    if (prev === undefined) this.access[pc] = fact;
    else if (prev === MIXED) return;
    else if (prev.region !== fact.region || prev.size !== fact.size || prev.frame !== fact.frame || prev.map !== fact.map) this.access[pc] = MIXED;
    else this.access[pc] = { ...prev, write: prev.write || fact.write, offMin: Math.min(prev.offMin, fact.offMin), offMax: Math.max(prev.offMax, fact.offMax) };
  }

  /**
   * The path in `cur` was pruned at `pc`; `covered` tells whether the kept state covers every
   * value it holds. If not, constants are no longer known anywhere the path could go: from `pc`,
   * and after each call it is inside returns.
   */
  pruned(pc: number, cur: VState, covered: boolean): void {
    if (covered) return;
    this.taintFrom(pc);
    for (let fi = 1; fi < cur.frames.length; fi++) this.taintFrom(cur.frames[fi]!.callsite + 1);
  }

  private taintFrom(start: number): void {
    const work = [start];
    while (work.length) {
      const pc = work.pop()!;
      if (pc < 0 || pc >= this.insns.length || this.tainted[pc]) continue;
      this.tainted[pc] = 1;
      this.constMask[pc] = 0;
      work.push(...successors(this.insns, pc));
    }
  }

  result(): VerifierFacts {
    const n = this.insns.length;
    const accesses: (AccessFact | null)[] = [];
    const constants: ConstantFact[][] = [];
    for (let pc = 0; pc < n; pc++) {
      accesses.push(this.access[pc] ?? null);
      const mask = this.constMask[pc]!;
      const list: ConstantFact[] = [];
      for (let r = 0; r < 10; r++) if (mask & (1 << r)) list.push({ reg: r, value: this.constValues[pc]![r]! });
      constants.push(list);
    }
    return { accesses, constants };
  }
}

/** The instructions control may reach next from `pc`, callees and callbacks included. */
function successors(insns: Insn[], pc: number): number[] {
  const insn = insns[pc]!;
  const cls = insn.opcode & 7;
  if (insn.opcode === 0x18) return insn.src === BPF_PSEUDO_FUNC ? [pc + 2, pc + insn.imm + 1] : [pc + 2];
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return [pc + 1];
  const op = insn.opcode & 0xf0;
  if (op === BPF_EXIT) return [];
  if (op === BPF_CALL) return insn.src === BPF_PSEUDO_CALL ? [pc + 1, pc + insn.imm + 1] : [pc + 1];
  if (op === BPF_JA) return [pc + (cls === BPF_JMP32 ? insn.imm : insn.off) + 1];
  if (op === BPF_JCOND) return [pc + 1, pc + insn.off + 1];
  return [pc + 1, pc + insn.off + 1];
}

/** Facts of a rejected program: nothing proven. */
export function noFacts(insnCount: number): VerifierFacts {
  return { accesses: new Array<AccessFact | null>(insnCount).fill(null), constants: Array.from({ length: insnCount }, () => []) };
}
