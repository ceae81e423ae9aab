import { VmFault } from '../internal/errors.js';
import type { Insn } from '../isa/insn.js';
import { BPF_ATOMIC, BPF_LDX, BPF_ST, BPF_STX, Opcode } from '../isa/opcodes.js';
import type { ProgramSpec } from '../loader/spec.js';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, MAX_BPF_STACK } from '../uapi/bpf.js';

/**
 * What the kernel's verifier refuses about a program's stack that the engines would otherwise
 * run: an access through r10 outside its own frame (check_stack_access_within_bounds: a callee
 * reading its caller's frame through `r10 + 8`), and call chains whose frames together need more
 * than MAX_BPF_STACK bytes (check_max_stack_depth). Until `load()` verifies every program, the
 * engines throw this fault as a run of the program starts (protocol.ts), naming the instruction
 * and the kernel's message. Returns undefined for a program the checks accept.
 *
 * A function's stack depth is found as the verifier's update_stack_depth finds it, on a straight
 * scan: the lowest offset from r10 any access reaches, directly or through a register holding
 * r10 plus a constant (including pointers handed to a call). Frames count rounded up to 16 bytes,
 * as with the JIT on (round_up_stack_depth).
 */
export function stackFault(spec: ProgramSpec): (() => VmFault) | undefined {
  const found = findStackFault(spec);
  // A fresh fault per run: callers add context to the one they catch.
  return found && (() => new VmFault(found.code, found.message, found.pc));
}

function findStackFault(spec: ProgramSpec): VmFault | undefined {
  const insns = spec.insns;
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc]!;
    if (insn.opcode === 0x18) {
      pc++;
      continue;
    }
    const access = r10Access(insn);
    if (access && (access.off + access.size > 0 || access.off < -MAX_BPF_STACK)) {
      return new VmFault('vm/bad-stack-access', `insn ${pc}: invalid ${access.write ? 'write to' : 'read from'} stack R10 off=${access.off} size=${access.size}`, pc);
    }
  }
  return combinedStackFault(spec);
}

/** The offset and size of an access whose base register is r10, if `insn` is one. */
function r10Access(insn: Insn): { off: number; size: number; write: boolean } | undefined {
  const op = new Opcode(insn.opcode & 0xff);
  if (!op.isLoadStore || op.class === 0) return undefined;
  const base = op.class === BPF_LDX ? insn.src : insn.dst;
  if (base !== 10) return undefined;
  return { off: insn.off, size: op.sizeBytes, write: op.class === BPF_ST || op.class === BPF_STX || op.mode === BPF_ATOMIC };
}

interface Frame {
  start: number;
  end: number;
  depth: number;
  /** Call sites in this function: the pc of the call and the callee's start. */
  calls: { pc: number; callee: number }[];
}

function combinedStackFault(spec: ProgramSpec): VmFault | undefined {
  const insns = spec.insns;
  const starts = new Set<number>([0, ...spec.functions.map((f) => f.pc)]);
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc]!;
    if ((i.opcode === 0x85 && i.src === BPF_PSEUDO_CALL) || (i.opcode === 0x18 && i.src === BPF_PSEUDO_FUNC)) starts.add(pc + i.imm + 1);
    if (i.opcode === 0x18) pc++;
  }
  const sorted = [...starts].filter((s) => s >= 0 && s < insns.length).sort((a, b) => a - b);
  const frames = new Map<number, Frame>();
  sorted.forEach((start, k) => frames.set(start, scanFrame(insns, start, sorted[k + 1] ?? insns.length)));
  const round = (d: number): number => Math.ceil(d / 16) * 16;
  let fault: VmFault | undefined;
  const walk = (frame: Frame, below: number, count: number, atPc: number, seen: Set<number>): void => {
    const total = below + round(frame.depth);
    if (total > MAX_BPF_STACK) {
      fault ??= new VmFault('vm/stack-too-large', `insn ${atPc}: combined stack size of ${count} calls is ${total}. Too large`, atPc);
      return;
    }
    for (const call of frame.calls) {
      const callee = frames.get(call.callee);
      if (!callee || seen.has(call.callee)) continue;
      walk(callee, total, count + 1, call.pc, new Set([...seen, call.callee]));
    }
  };
  walk(frames.get(0)!, 0, 1, 0, new Set([0]));
  return fault;
}

/** One function's stack depth and call sites, from `start` up to `end`. */
function scanFrame(insns: readonly Insn[], start: number, end: number): Frame {
  // Registers known to hold r10 + offset.
  const fp = new Map<number, number>([[10, 0]]);
  let depth = 0;
  const reach = (off: number): void => {
    depth = Math.max(depth, -off);
  };
  const calls: Frame['calls'] = [];
  for (let pc = start; pc < end; pc++) {
    const i = insns[pc]!;
    const op = i.opcode & 0xff;
    if (op === 0x18) {
      if (i.src === BPF_PSEUDO_FUNC) calls.push({ pc, callee: pc + i.imm + 1 });
      fp.delete(i.dst);
      pc++;
      continue;
    }
    const opcode = new Opcode(op);
    if (opcode.isLoadStore) {
      const base = opcode.class === BPF_LDX ? i.src : i.dst;
      const o = fp.get(base);
      if (o !== undefined) reach(o + i.off);
      if (opcode.class === BPF_LDX) fp.delete(i.dst);
      continue;
    }
    if (op === 0xbf && i.off === 0) {
      const o = fp.get(i.src);
      if (o === undefined) fp.delete(i.dst);
      else fp.set(i.dst, o);
      continue;
    }
    if (op === 0x07 || op === 0x17) {
      const o = fp.get(i.dst);
      if (o !== undefined) fp.set(i.dst, o + (op === 0x07 ? i.imm : -i.imm));
      continue;
    }
    if (op === 0x85 || op === 0x8d) {
      // A pointer into the frame handed to a helper or function reaches at least where it points.
      for (let r = 1; r <= 5; r++) {
        const o = fp.get(r);
        if (o !== undefined) reach(o);
        fp.delete(r);
      }
      fp.delete(0);
      if (op === 0x85 && i.src === BPF_PSEUDO_CALL) calls.push({ pc, callee: pc + i.imm + 1 });
      continue;
    }
    if (opcode.isAlu) fp.delete(i.dst);
  }
  return { start, end, depth, calls };
}
