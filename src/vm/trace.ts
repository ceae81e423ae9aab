import { formatInsn } from '../isa/disasm.js';
import type { Insn } from '../isa/insn.js';
import type { ProgramSpec } from '../loader/spec.js';

/**
 * Called by the interpreter after each instruction it executes (not after one that faults), with
 * the instruction's pc and slot, the registers r0–r10 as they are afterwards (unsigned; the array
 * is reused, copy what you keep) and the program it belongs to (tail calls change it).
 */
export type TraceHook = (pc: number, insn: Insn, regs: BigUint64Array, program: ProgramSpec) => void;

/** Options of {@link createTracer}. */
export interface TracerOptions {
  /** Print every register after each instruction instead of only the changed ones. Default false. */
  allRegs?: boolean;
}

/**
 * A trace hook that prints one line per executed instruction, `pc: text ; changed registers`, with
 * the instruction as llvm-objdump prints it (`formatInsn`) and the registers it changed in hex:
 * `   12: r0 = *(u32 *)(r1 + 0x4)  ; r0=0x2`. A line per tail call names the new program. This
 * is what `bpfsim run --trace` prints.
 */
export function createTracer(print: (line: string) => void, opts: TracerOptions = {}): TraceHook {
  let prev: BigUint64Array | undefined;
  let prevProgram: ProgramSpec | undefined;
  return (pc, _insn, regs, program) => {
    if (prevProgram !== undefined && program !== prevProgram) print(`; program '${program.name}'`);
    prevProgram = program;
    const changed: string[] = [];
    for (let i = 0; i < regs.length; i++) {
      if (opts.allRegs || prev === undefined || prev[i] !== regs[i]) changed.push(`r${i}=0x${regs[i]!.toString(16)}`);
    }
    if (prev === undefined) prev = new BigUint64Array(regs.length);
    prev.set(regs);
    const text = formatInsn(program.insns, pc);
    print(`${String(pc).padStart(5)}: ${text}${changed.length ? `\t; ${changed.join(' ')}` : ''}`);
  };
}
