import type { RunResult } from '../internal/contract.js';
import { CaseError } from '../internal/errors.js';
import { formatTrace, TraceRecorder, type TraceHook } from '../vm/trace.js';
import type { Case } from './case.js';
import { LineCoverage } from './coverage.js';
import { runCaseOnKernel } from './kernel-run.js';
import { runCaseOnVm } from './run-case.js';

/** Options of {@link runCase}. */
export interface RunCaseOptions {
  /** `vm` (default) or `kernel` (BPF_PROG_TEST_RUN through libbpf; needs root). */
  backend?: 'vm' | 'kernel';
  /** VM engine: `wasm` (default) or `interp`. */
  engine?: 'wasm' | 'interp';
  /** Called with each line of the run's execution trace (formatTrace), after the run or its fault (forces the interpreter). */
  trace?: (line: string) => void;
  /** Write lcov line coverage of the run to this path (forces the interpreter). */
  coverage?: string;
}

/** Runs a case on the chosen backend and returns the design's result object. */
export async function runCase(c: Case, options: RunCaseOptions = {}): Promise<RunResult> {
  if (options.backend === 'kernel') {
    if (options.trace || options.coverage) throw new CaseError('case/vm-only', '--trace and --coverage work on the vm backend only');
    return runCaseOnKernel(c);
  }
  const coverage = options.coverage ? new LineCoverage() : undefined;
  const recorder = options.trace ? new TraceRecorder() : undefined;
  const hooks = [recorder?.hook, coverage?.hook].filter((h): h is TraceHook => h !== undefined);
  const trace: TraceHook | undefined = hooks.length ? (pc, insn, regs, program) => hooks.forEach((h) => h(pc, insn, regs, program)) : undefined;
  try {
    return await runCaseOnVm(c, { engine: options.engine, trace });
  } finally {
    if (recorder && options.trace) formatTrace(recorder.result()).forEach(options.trace);
    if (coverage && options.coverage) await coverage.write(options.coverage);
  }
}
