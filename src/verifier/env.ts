import type { Insn } from '../isa/insn.js';
import type { MapSpec, ObjectSpec, ProgramSpec } from '../loader/spec.js';
import type { Subprog } from './cfg.js';
import { FactsRecorder } from './facts.js';
import { regStr, type Reg } from './reg.js';
import { curFrame, type Frame, type VState } from './state.js';

/**
 * What one verification carries (the kernel's `struct bpf_verifier_env`): the program, the
 * current path's state, the stack of paths still to explore, the states kept for pruning, the
 * log, and the facts proven for the engines.
 */

/** A rejection: the kernel's log already holds its message. */
export class Reject extends Error {
  constructor(readonly insn: number) {
    super('rejected');
  }
}

/** One step of a path, linked to the step before it. */
export interface PathNode {
  insn: number;
  prev: PathNode | null;
  /** The state kept for pruning at this instruction, when one was. */
  cp?: VState;
  /** Frames active when the instruction ran. */
  frames: number;
  /** The instruction returned from a callback. */
  cbExit?: boolean;
  /** A register spill to, or fill from, this stack slot of this frame. */
  stack?: { frame: number; spi: number };
}

export interface PendingBranch {
  state: VState;
  insn: number;
  prev: number;
  path: PathNode | null;
}


export class Verifier {
  readonly log: string[] = [];
  idGen = 0;
  processed = 0;
  insnIdx = 0;
  prevInsnIdx = -1;
  cur!: VState;
  path: PathNode | null = null;
  readonly pending: PendingBranch[] = [];
  readonly explored = new Map<number, VState[]>();
  jmpsProcessed = 0;
  prevJmpsProcessed = 0;
  prevInsnProcessed = 0;
  totalStates = 0;
  peakStates = 0;
  /** The facts proven for the engines so far. */
  readonly facts: FactsRecorder;
  /** The kept state the last pruned path was found equal to. */
  prunedBy: VState | null = null;
  /** Per map-helper call site: the map used there. */
  readonly callMaps = new Map<number, number>();
  /** The first reached kfunc call left with BTF id 0 (a weak kfunc the kernel lacks), which fixup_kfunc_call refuses after the walk. */
  unresolvedKfuncCall: number | null = null;
  /** The first load convert_ctx_accesses has no rewrite for (a tcp_sock u64 counter's upper half), refused after the walk. */
  unconvertibleLoad: number | null = null;
  lastLine = -1;
  /** The program is bound to a device at load (BPF_F_XDP_DEV_BOUND_ONLY with prog_ifindex): the XDP metadata kfuncs are callable. */
  devBound = false;

  constructor(
    readonly spec: ObjectSpec,
    readonly prog: ProgramSpec,
    readonly progType: number,
    readonly insns: Insn[],
    readonly subprogs: Subprog[],
    readonly prune: Uint8Array,
    readonly live: Uint16Array,
    readonly logLevel: number,
  ) {
    this.facts = new FactsRecorder(insns);
  }

  verbose(line: string): void {
    this.log.push(line);
  }

  /** Logs `line` and rejects the program at the current instruction. */
  fail(line: string): never {
    this.log.push(line);
    throw new Reject(this.insnIdx);
  }

  map(i: number): MapSpec {
    return this.spec.maps[i]!;
  }

  frame(): Frame {
    return curFrame(this.cur);
  }

  regs(): Reg[] {
    return curFrame(this.cur).regs;
  }

  newId(): number {
    return ++this.idGen;
  }

  /** The source line of `pc` as `file.c:42` (the file's base name, as design.md's contract and the kernel backend give it), or null. */
  sourceOf(pc: number): string | null {
    const li = this.lineInfo(pc);
    return li ? `${li.file.split('/').pop() ?? li.file}:${li.line}` : null;
  }

  lineInfo(pc: number): ProgramSpec['lines'][number] | undefined {
    const lines = this.prog.lines;
    let lo = 0;
    let hi = lines.length - 1;
    let best: ProgramSpec['lines'][number] | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (lines[mid]!.pc <= pc) {
        best = lines[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  regText(r: Reg): string {
    return regStr(r, (i) => this.spec.maps[i]?.name ?? `#${i}`);
  }

  /** print_verifier_state for the current frame: `R1=ctx() R10=fp0`. */
  stateText(): string {
    const f = this.frame();
    const parts: string[] = [];
    f.regs.forEach((r, k) => {
      if (r.type === 'not_init') return;
      parts.push(k === 10 ? `R10=fp${f.frameno}` : `R${k}=${this.regText(r)}`);
    });
    f.stack.forEach((slot, spi) => {
      const off = -(spi + 1) * 8;
      if (slot.types[7] === 1) parts.push(`fp${off}=${this.regText(slot.spilled)}`);
      else if (slot.types.some((t) => t !== 0)) parts.push(`fp${off}=${slot.types.map((t) => '?rmz'[t]).reverse().join('')}`);
    });
    return parts.join(' ');
  }
}
