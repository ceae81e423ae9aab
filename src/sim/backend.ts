import { resultEvents, type EventTypes } from './events.js';
import { BpfObject } from './object.js';
import { checkObject, checkOneOf, checkString, describe } from '../internal/args.js';
import { ArgumentError, CaseError } from '../internal/errors.js';
import type { CaseResult } from './result.js';
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
  /**
   * Record the instruction trace in the result's `execTrace`, or a VmFault's when the run faults
   * (`formatTrace` prints it; the run goes on the interpreter); default false. bpf_trace_printk
   * output is always in the result's `trace`.
   */
  trace?: boolean;
  /** Write lcov line coverage of the run to this path (forces the interpreter). */
  coverage?: string;
  /** Record types of ring buffers and perf event arrays by map name, to decode `events` through BTF; default none. */
  eventTypes?: EventTypes;
  /** Verify the program at load as the kernel would (LoadOptions.verify; vm backend); default true. */
  verify?: boolean;
}

/**
 * Runs a case on the chosen backend and returns what it did, bytes as bytes; `resultJson` gives
 * the design's JSON (`bpfsim run --json`).
 */
export async function runCase(c: Case, options: RunCaseOptions = {}): Promise<CaseResult> {
  if (typeof c !== 'object' || c === null || !(c.packet instanceof Uint8Array) || typeof c.objectPath !== 'string') {
    throw new ArgumentError('arg/type', `case: expected a case from readCase or parseCase, got ${describe(c)}`, 'case');
  }
  checkObject(options, 'options');
  if (options.backend !== undefined) checkOneOf(options.backend, 'options.backend', ['vm', 'kernel']);
  if (options.engine !== undefined) checkOneOf(options.engine, 'options.engine', ['wasm', 'interp']);
  if (options.trace !== undefined && typeof options.trace !== 'boolean') throw new ArgumentError('arg/type', `options.trace: expected a boolean, got ${describe(options.trace)}`, 'options.trace');
  if (options.coverage !== undefined) checkString(options.coverage, 'options.coverage');
  if (options.backend === 'kernel') {
    if (options.trace || options.coverage || options.verify === false) throw new CaseError('case/vm-only', '--trace, --coverage and --no-verify work on the vm backend only');
    const result = await runCaseOnKernel(c);
    if (options.eventTypes && result.events?.length) {
      const { btf } = await BpfObject.readSpec(c.objectPath, c.type, c.kernelBtfPath, c.kconfig);
      result.events = resultEvents(result.events, btf, options.eventTypes);
    }
    return result;
  }
  const coverage = options.coverage ? new LineCoverage() : undefined;
  try {
    return await runCaseOnVm(c, { engine: options.engine, trace: options.trace, onInsn: coverage?.hook, eventTypes: options.eventTypes, verify: options.verify });
  } finally {
    if (coverage && options.coverage) await coverage.write(options.coverage);
  }
}
