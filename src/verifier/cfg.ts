import type { Insn } from '../isa/insn.js';
import { BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_EXIT, BPF_FETCH, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_MOV, BPF_ST, BPF_STX, BPF_X } from '../isa/opcodes.js';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC } from '../uapi/bpf.js';
import { helperId } from '../uapi/helper-names.js';

/**
 * The verifier's first pass over the instructions (check_subprogs, check_cfg): function
 * boundaries, jumps that stay inside their function, every instruction reachable, and the
 * places where states are kept for pruning; plus the registers live at each instruction
 * (compute_live_registers), which pruning compares.
 */

export interface Subprog {
  start: number;
  /** One past the last instruction. */
  end: number;
  name: string;
  /** BTF linkage: global functions are verified on their own. */
  global: boolean;
  /** Deepest stack byte used, as check_max_stack_depth reads it. */
  stackDepth: number;
  /** It (or a function it calls) calls a helper that changes packet data. */
  changesPktData?: boolean;
  /** For global functions: each argument's BTF kind, from the prototype. */
  args?: GlobalArg[];
}

/** A global function's argument as btf_prepare_func_args sees it. */
export type GlobalArg = { kind: 'scalar' } | { kind: 'ctx' } | { kind: 'mem'; size: number };

/** Marks every subprogram that calls, directly or through calls, a helper for which `changes(id)` holds. */
export function markChangesPktData(insns: Insn[], subprogs: Subprog[], changes: (id: number) => boolean): void {
  const callees = subprogs.map(() => [] as number[]);
  subprogs.forEach((sp, k) => {
    for (let pc = sp.start; pc < sp.end; pc++) {
      const i = insns[pc]!;
      if (i.opcode !== (BPF_JMP | BPF_CALL)) continue;
      if (i.src === 0 && changes(i.imm)) sp.changesPktData = true;
      if (i.src === BPF_PSEUDO_CALL) callees[k]!.push(subprogOf(subprogs, pc + i.imm + 1));
    }
  });
  let changed = true;
  while (changed) {
    changed = false;
    subprogs.forEach((sp, k) => {
      if (!sp.changesPktData && callees[k]!.some((c) => subprogs[c]!.changesPktData)) {
        sp.changesPktData = true;
        changed = true;
      }
    });
  }
}

export class CfgError extends Error {
  constructor(readonly lines: string[], readonly insn: number) {
    super(lines[lines.length - 1]);
  }
}

const isLddw = (i: Insn): boolean => i.opcode === 0x18;
const cls = (i: Insn): number => i.opcode & 7;

/** Whether slot `pc` is itself the second half of an lddw (counting from the start). */
function isLddwSecond(insns: Insn[], pc: number): boolean {
  let k = 0;
  while (k < pc) k += isLddw(insns[k]!) ? 2 : 1;
  return k !== pc;
}

export function isJump(i: Insn): boolean {
  const c = cls(i);
  return c === BPF_JMP || c === BPF_JMP32;
}

/** Subprograms: the program's functions plus every target of a pseudo call or function pointer (check_subprogs). */
export function findSubprogs(insns: Insn[], functions: { name: string; pc: number }[], globalNames: Set<string>): Subprog[] {
  const starts = new Map<number, string>();
  starts.set(0, functions[0]?.name ?? 'main');
  for (const f of functions) starts.set(f.pc, f.name);
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc]!;
    if (i.opcode === (BPF_JMP | BPF_CALL) && i.src === BPF_PSEUDO_CALL) {
      const t = pc + i.imm + 1;
      if (t < 0 || t >= insns.length) throw new CfgError([`call to invalid destination`], pc);
      if (!starts.has(t)) starts.set(t, `func#${t}`);
    }
    if (isLddw(i) && i.src === BPF_PSEUDO_FUNC) {
      const t = pc + i.imm + 1;
      if (t >= 0 && t < insns.length && !starts.has(t)) starts.set(t, `func#${t}`);
    }
  }
  const sorted = [...starts.keys()].sort((a, b) => a - b);
  return sorted.map((start, k) => {
    const name = starts.get(start)!;
    return { start, end: sorted[k + 1] ?? insns.length, name, global: k > 0 && globalNames.has(name), stackDepth: 0 };
  });
}

export function subprogOf(subprogs: Subprog[], pc: number): number {
  for (let k = subprogs.length - 1; k >= 0; k--) if (pc >= subprogs[k]!.start) return k;
  return 0;
}

/** Bits of checkCfg's array: is_prune_point, and is_force_checkpoint (a state is kept there whatever the heuristics say). */
export const PRUNE_POINT = 1;
export const FORCE_CHECKPOINT = 2;
/** is_sync_callback_calling_function: helpers that call a program callback before they return. */
const SYNC_CALLBACK_HELPERS: ReadonlySet<number> = new Set(['for_each_map_elem', 'find_vma', 'loop', 'user_ringbuf_drain'].map((n) => helperId(n)!));
const BPF_FUNC_timer_set_callback = helperId('timer_set_callback')!;

/** check_subprogs' jump checks, then check_cfg's reachability; marks prune points (visit_insn). */
export function checkCfg(insns: Insn[], subprogs: Subprog[]): Uint8Array {
  const n = insns.length;
  const prune = new Uint8Array(n);
  for (const sp of subprogs) {
    for (let pc = sp.start; pc < sp.end; pc++) {
      const i = insns[pc]!;
      if (isLddw(i)) {
        pc++;
        continue;
      }
      if (!isJump(i)) continue;
      const op = i.opcode & 0xf0;
      if (op === BPF_CALL || op === BPF_EXIT) continue;
      const off = i.opcode === (BPF_JMP32 | BPF_JA) ? i.imm : i.off;
      const t = pc + off + 1;
      if (t < sp.start || t >= sp.end) throw new CfgError([`jump out of range from insn ${pc} to ${t}`], pc);
      if (t > 0 && isLddw(insns[t - 1]!) && !isLddwSecond(insns, t - 1)) throw new CfgError([`jump into the middle of ldimm64 insn ${t - 1}`], pc);
    }
    const last = insns[sp.end - 1]!;
    const lastOp = last.opcode;
    if (lastOp !== (BPF_JMP | BPF_EXIT) && lastOp !== (BPF_JMP | BPF_JA) && lastOp !== (BPF_JMP32 | BPF_JA)) {
      throw new CfgError(['last insn is not an exit or jmp'], sp.end - 1);
    }
  }
  // check_cfg: a DFS from every function's entry; every instruction must be reached.
  const seen = new Uint8Array(n);
  {
    const stack = [0];
    while (stack.length) {
      const pc = stack.pop()!;
      if (pc >= n || seen[pc]) continue;
      seen[pc] = 1;
      const i = insns[pc]!;
      if (isLddw(i)) {
        if (pc + 1 >= n) throw new CfgError(['invalid BPF_LD_IMM insn'], pc);
        seen[pc + 1] = 1;
        stack.push(pc + 2);
        if (i.src === BPF_PSEUDO_FUNC) {
          if (pc + i.imm + 1 < n) prune[pc + i.imm + 1] |= PRUNE_POINT;
          stack.push(pc + i.imm + 1);
        }
        continue;
      }
      if (!isJump(i)) {
        stack.push(pc + 1);
        continue;
      }
      const op = i.opcode & 0xf0;
      if (op === BPF_EXIT) continue;
      if (op === BPF_CALL) {
        // visit_func_call_insn: after every call; a bpf2bpf call and a helper that calls back
        // into the program (a forced checkpoint, so the callback's iterations converge) at the call too.
        prune[pc + 1] |= PRUNE_POINT;
        if (i.src === BPF_PSEUDO_CALL) prune[pc] |= PRUNE_POINT;
        if (i.src === BPF_PSEUDO_CALL && pc + i.imm + 1 < n) prune[pc + i.imm + 1] |= PRUNE_POINT;
        if (i.src === 0 && SYNC_CALLBACK_HELPERS.has(i.imm)) prune[pc] |= PRUNE_POINT | FORCE_CHECKPOINT;
        if (i.src === 0 && i.imm === BPF_FUNC_timer_set_callback) prune[pc] |= PRUNE_POINT;
        stack.push(pc + 1);
        if (i.src === BPF_PSEUDO_CALL) stack.push(pc + i.imm + 1);
        continue;
      }
      const off = i.opcode === (BPF_JMP32 | BPF_JA) ? i.imm : i.off;
      if (op === BPF_JA) {
        prune[pc + off + 1] |= PRUNE_POINT;
        stack.push(pc + off + 1);
        continue;
      }
      // visit_insn: a conditional jump is itself the prune point; may_goto forces a checkpoint there.
      // push_insn marks the target of every BRANCH edge as well. The kernel also forces a
      // checkpoint at may_goto; ours is not forced there, since our may_goto state comparison
      // does not yet prune the second iteration as the kernel's does and the loop would not end.
      prune[pc] |= PRUNE_POINT;
      prune[pc + off + 1] |= PRUNE_POINT;
      stack.push(pc + off + 1, pc + 1);
    }
  }
  for (let pc = 0; pc < n; pc++) if (!seen[pc]) throw new CfgError([`unreachable insn ${pc}`], pc);
  return prune;
}

/** Registers an instruction reads and writes, as bit masks (bit k = rk); `callArgs` for helper calls. */
function useDef(i: Insn, callArgs: (imm: number) => number): [number, number] {
  const c = cls(i);
  const bit = (r: number): number => 1 << r;
  switch (c) {
    case BPF_ALU:
    case BPF_ALU64: {
      const op = i.opcode & 0xf0;
      let use = 0;
      if ((i.opcode & BPF_X) && op !== 0x80 && op !== 0xd0) use |= bit(i.src);
      if (op !== BPF_MOV) use |= bit(i.dst);
      return [use, bit(i.dst)];
    }
    case BPF_LDX:
      return [bit(i.src), bit(i.dst)];
    case BPF_ST:
      return [bit(i.dst), 0];
    case BPF_STX: {
      if ((i.opcode & 0xe0) === BPF_ATOMIC) {
        if (i.imm === BPF_CMPXCHG) return [bit(i.dst) | bit(i.src) | 1, 1];
        return [bit(i.dst) | bit(i.src), i.imm & BPF_FETCH ? bit(i.src) : 0];
      }
      return [bit(i.dst) | bit(i.src), 0];
    }
    case BPF_LD: {
      if (i.opcode === 0x18) return [0, bit(i.dst)];
      const mode = i.opcode & 0xe0;
      return [bit(6) | (mode === 0x40 ? bit(i.src) : 0), 0x3f];
    }
    default: {
      const op = i.opcode & 0xf0;
      if (op === BPF_CALL) {
        const args = i.src === BPF_PSEUDO_CALL ? 5 : callArgs(i.imm);
        return [((1 << (args + 1)) - 1) & ~1, 0x3f];
      }
      if (op === BPF_EXIT) return [1, 0];
      if (op === BPF_JA) return [0, 0];
      return [bit(i.dst) | (i.opcode & BPF_X ? bit(i.src) : 0), 0];
    }
  }
}

/** Registers live before each instruction, within its function (backward dataflow to a fixed point). */
export function liveRegisters(insns: Insn[], callArgs: (imm: number) => number): Uint16Array {
  const n = insns.length;
  const live = new Uint16Array(n);
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  const succ: number[][] = [];
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc]!;
    const [u, d] = useDef(i, callArgs);
    use[pc] = u;
    def[pc] = d;
    const s: number[] = [];
    if (isLddw(i)) s.push(pc + 2);
    else if (isJump(i)) {
      const op = i.opcode & 0xf0;
      const off = i.opcode === (BPF_JMP32 | BPF_JA) ? i.imm : i.off;
      if (op === BPF_EXIT) {
        /* none */
      } else if (op === BPF_CALL) s.push(pc + 1);
      else if (op === BPF_JA) s.push(pc + off + 1);
      else s.push(pc + 1, pc + off + 1);
    } else s.push(pc + 1);
    succ.push(s.filter((t) => t < n));
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      let out = 0;
      for (const t of succ[pc]!) out |= live[t]!;
      const inn = use[pc]! | (out & ~def[pc]!);
      if (inn !== live[pc]) {
        live[pc] = inn;
        changed = true;
      }
    }
  }
  return live;
}
