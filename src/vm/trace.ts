import { formatInsn } from '../isa/disasm.js';
import type { Insn } from '../isa/insn.js';
import type { ProgramSpec } from '../loader/spec.js';

/**
 * Called by the interpreter after each instruction it executes (not after one that faults), with
 * the instruction's pc and slot, the registers r0–r10 as they are afterwards (unsigned; the array
 * is reused, copy what you keep) and the program it belongs to (tail calls change it).
 */
export type TraceHook = (pc: number, insn: Insn, regs: BigUint64Array, program: ProgramSpec) => void;

/** A C source line from BTF line_info: `file` as BTF names it, `line` 1-based, `text` the line itself. */
export interface TraceSource {
  file: string;
  line: number;
  text: string;
}

/** One executed instruction: its pc, its text as llvm-objdump prints it, and the registers it changed (values after it). */
export interface TraceInsn {
  pc: number;
  text: string;
  changed: { reg: number; value: bigint }[];
}

/** Instructions executed one after another under one C source line of one program. */
export interface TraceLine {
  kind: 'line';
  /** The program the instructions belong to (tail calls change it). */
  program: string;
  /** Null where BTF has no line for these instructions (an object built without `-g`). */
  source: TraceSource | null;
  insns: TraceInsn[];
}

/**
 * Loop iterations collapsed: the `lines` entries just before this one ran `times` more times in
 * a row, the same instructions in the same order (registers may differ), `insns` instructions in
 * all. Only the first iteration's registers are kept.
 */
export interface TraceRepeat {
  kind: 'repeat';
  lines: number;
  times: number;
  insns: number;
}

/** An entry of {@link ExecTrace.entries}. */
export type TraceEntry = TraceLine | TraceRepeat;

/**
 * The execution trace of one run, as data: what `bpfsim run --trace` prints (through
 * {@link formatTrace}) and what the API returns. Bounded: at most `limit` instructions are kept
 * (collapsed iterations do not count against it); past that `truncated` is true and only
 * `executed` keeps counting.
 */
export interface ExecTrace {
  entries: TraceEntry[];
  /** Instructions executed in the run (including collapsed and untraced ones). */
  executed: number;
  /** Instructions kept in `entries`, at most `limit`. */
  kept: number;
  limit: number;
  truncated: boolean;
}

declare module '../internal/errors.js' {
  interface VmFault {
    /**
     * The execution trace of a traced run (`prog.run(packet, { trace: true })`, `bpfsim run
     * --trace`) up to the instruction that faulted, which it does not hold: the message names that one.
     */
    execTrace?: ExecTrace;
  }
}

/** Options of {@link TraceRecorder}. */
export interface TraceRecorderOptions {
  /** Instructions kept at most, see {@link ExecTrace}. Default {@link DEFAULT_TRACE_LIMIT}. */
  limit?: number;
}

/** Default bound of a trace: 4,096 instructions kept (a screenful of source lines per loop). */
export const DEFAULT_TRACE_LIMIT = 4096;

/** Lines of a loop body the collapsing looks back for: an iteration of up to 16 source-line groups. */
const MAX_PERIOD = 16;

interface OpenLine {
  program: ProgramSpec;
  lineIndex: number;
  pcs: number[];
  changed: { reg: number; value: bigint }[][];
}

interface Closed extends OpenLine {
  kind: 'closed';
  sig: string;
}

/**
 * Records a run's {@link ExecTrace} through its {@link hook} (pass it as the interpreter's
 * trace). Groups instructions by C source line, and collapses a loop's iterations once the
 * same sequence of line groups (by pc) repeats back to back.
 */
export class TraceRecorder {
  private readonly limit: number;
  private readonly out: (Closed | TraceRepeat)[] = [];
  private open: OpenLine | undefined;
  private prev: BigUint64Array | undefined;
  private executed = 0;
  private kept = 0;
  private truncated = false;
  /** Index in `out` of the first line a repeat may start at (after the last repeat marker). */
  private eligibleFrom = 0;
  /** While collapsing: the loop body, the marker counting it, and the lines of the iteration in progress. */
  private loop: { body: string[]; marker: TraceRepeat; pending: Closed[] } | undefined;

  constructor(options: TraceRecorderOptions = {}) {
    this.limit = options.limit ?? DEFAULT_TRACE_LIMIT;
  }

  /** The hook to hand the interpreter. */
  readonly hook: TraceHook = (pc, _insn, regs, program) => {
    this.executed++;
    const changed: { reg: number; value: bigint }[] = [];
    const prev = this.prev;
    for (let i = 0; i < regs.length; i++) {
      if (prev === undefined ? regs[i] !== 0n : prev[i] !== regs[i]) changed.push({ reg: i, value: regs[i]! });
    }
    if (prev === undefined) this.prev = new BigUint64Array(regs);
    else prev.set(regs);
    if (this.truncated) return;
    const lineIndex = lineIndexAt(program, pc);
    const open = this.open;
    if (open === undefined || open.program !== program || !sameLine(program, open.lineIndex, lineIndex)) {
      if (open !== undefined) this.close(open);
      this.open = { program, lineIndex, pcs: [pc], changed: [changed] };
    } else {
      open.pcs.push(pc);
      open.changed.push(changed);
    }
  };

  private close(line: OpenLine): void {
    const closed: Closed = { ...line, kind: 'closed', sig: `${line.program.name}:${line.pcs.join(',')}` };
    const loop = this.loop;
    if (loop !== undefined) {
      if (loop.body[loop.pending.length] === closed.sig) {
        loop.pending.push(closed);
        if (loop.pending.length === loop.body.length) {
          loop.marker.times++;
          loop.marker.insns += loop.pending.reduce((n, l) => n + l.pcs.length, 0);
          loop.pending = [];
        }
        return;
      }
      // The loop ended mid-iteration: what ran of that iteration is shown as it is.
      this.loop = undefined;
      this.eligibleFrom = this.out.length;
      for (const l of loop.pending) this.keep(l);
    }
    this.keep(closed);
    this.collapse();
  }

  private keep(line: Closed): void {
    if (this.truncated) return;
    if (this.kept + line.pcs.length > this.limit) {
      const room = this.limit - this.kept;
      if (room > 0) this.out.push({ ...line, pcs: line.pcs.slice(0, room), changed: line.changed.slice(0, room) });
      this.kept = this.limit;
      this.truncated = true;
      this.loop = undefined;
      return;
    }
    this.kept += line.pcs.length;
    this.out.push(line);
  }

  /** When the last p lines repeat the p before them, folds the later p into a repeat marker. */
  private collapse(): void {
    const out = this.out;
    const n = out.length;
    for (let p = 1; p <= MAX_PERIOD && n - 2 * p >= this.eligibleFrom; p++) {
      let same = true;
      for (let i = 0; i < p && same; i++) same = (out[n - 1 - i] as Closed).sig === (out[n - 1 - p - i] as Closed).sig;
      if (!same) continue;
      const iteration = out.splice(n - p, p) as Closed[];
      const insns = iteration.reduce((k, l) => k + l.pcs.length, 0);
      this.kept -= insns;
      const marker: TraceRepeat = { kind: 'repeat', lines: p, times: 1, insns };
      out.push(marker);
      this.eligibleFrom = out.length;
      this.loop = { body: iteration.map((l) => l.sig), marker, pending: [] };
      return;
    }
  }

  /** The trace so far (the line in progress and a partial iteration included). Call after the run, or after it faulted. */
  result(): ExecTrace {
    const open = this.open;
    this.open = undefined;
    if (open !== undefined) this.close(open);
    const loop = this.loop;
    if (loop !== undefined && loop.pending.length > 0) {
      this.loop = undefined;
      for (const l of loop.pending) this.keep(l);
    }
    const entries: TraceEntry[] = this.out.map((e) => (e.kind === 'repeat' ? { ...e } : toLine(e)));
    return { entries, executed: this.executed, kept: this.kept, limit: this.limit, truncated: this.truncated };
  }
}

function toLine(l: Closed): TraceLine {
  const src = l.lineIndex >= 0 ? l.program.lines[l.lineIndex]! : undefined;
  return {
    kind: 'line',
    program: l.program.name,
    source: src ? { file: src.file, line: src.line, text: src.text } : null,
    insns: l.pcs.map((pc, i) => ({ pc, text: formatInsn(l.program.insns, pc), changed: l.changed[i]! })),
  };
}

const lineTables = new WeakMap<ProgramSpec, Int32Array>();

/** Index into `program.lines` of the line instruction `pc` belongs to, -1 for none. */
function lineIndexAt(program: ProgramSpec, pc: number): number {
  let table = lineTables.get(program);
  if (table === undefined) {
    table = new Int32Array(program.insns.length).fill(-1);
    const lines = program.lines;
    for (let i = 0; i < lines.length; i++) {
      const end = i + 1 < lines.length ? lines[i + 1]!.pc : program.insns.length;
      table.fill(i, Math.max(0, lines[i]!.pc), Math.min(end, table.length));
    }
    lineTables.set(program, table);
  }
  return table[pc] ?? -1;
}

function sameLine(program: ProgramSpec, a: number, b: number): boolean {
  if (a === b) return true;
  if (a < 0 || b < 0) return false;
  const x = program.lines[a]!;
  const y = program.lines[b]!;
  return x.line === y.line && x.file === y.file;
}

/** Options of {@link formatTrace}. */
export interface FormatTraceOptions {
  /** Wraps a source-line header, e.g. in a colour. Default: as is. */
  emphasize?: (text: string) => string;
}

/**
 * The trace as text, one string per line: `file.c:42: <source text>` whenever the source line
 * changes, then each instruction as `   12: r0 = *(u32 *)(r1 + 0x4)  ; r0=0x2` (llvm-objdump's
 * syntax and the registers it changed), `   ... 41 more iterations of the 3 lines above (123
 * instructions)` for collapsed loops, and a last line saying how much was left out when the trace
 * hit its bound. This is what `bpfsim run --trace` prints on stderr.
 */
export function formatTrace(trace: ExecTrace, options: FormatTraceOptions = {}): string[] {
  const emphasize = options.emphasize ?? ((s: string) => s);
  const lines: string[] = [];
  let program: string | undefined;
  for (const e of trace.entries) {
    if (e.kind === 'repeat') {
      const what = e.lines === 1 ? 'the line above' : `the ${e.lines} lines above`;
      lines.push(`      ... ${e.times} more ${e.times === 1 ? 'iteration' : 'iterations'} of ${what} (${e.insns} instructions)`);
      continue;
    }
    if (program !== undefined && e.program !== program) lines.push(`; program '${e.program}'`);
    program = e.program;
    if (e.source) lines.push(emphasize(`${baseName(e.source.file)}:${e.source.line}: ${e.source.text.trim()}`));
    for (const i of e.insns) {
      const regs = i.changed.map((c) => `r${c.reg}=0x${c.value.toString(16)}`).join(' ');
      lines.push(`${String(i.pc).padStart(5)}: ${i.text}${regs ? `\t; ${regs}` : ''}`);
    }
  }
  if (trace.truncated) {
    lines.push(`... trace stopped after ${trace.kept} instructions shown (the limit); ${trace.executed} executed in all`);
  }
  return lines;
}

function baseName(file: string): string {
  return file.split('/').pop() ?? file;
}
