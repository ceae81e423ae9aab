import type { RunResult } from '../internal/contract.js';
import type { Case } from './case.js';
import { runCaseOnKernel } from './kernel-run.js';
import { runCaseOnVm } from './run-case.js';

/** Options of {@link runCase}. */
export interface RunCaseOptions {
  /** `vm` (default) or `kernel` (BPF_PROG_TEST_RUN through libbpf; needs root). */
  backend?: 'vm' | 'kernel';
  /** VM engine: `wasm` (default) or `interp`. */
  engine?: 'wasm' | 'interp';
  /** Called with each executed instruction (forces the interpreter). */
  trace?: (line: string) => void;
  /** Write lcov line coverage of the run to this path (forces the interpreter). */
  coverage?: string;
}

/** Runs a case on the chosen backend and returns the design's result object. */
export async function runCase(c: Case, options: RunCaseOptions = {}): Promise<RunResult> {
  if (options.backend === 'kernel') return runCaseOnKernel(c);
  return runCaseOnVm(c, { engine: options.engine });
}
