import { fromHex } from '../internal/hex.js';
import { resultEvents, type EventTypes } from './events.js';
import { BpfObject } from './object.js';
import type { RunResult } from '../internal/contract.js';
import { checkObject, checkOneOf, checkString, describe } from '../internal/args.js';
import { ArgumentError, CaseError } from '../internal/errors.js';
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
  /** Record types of ring buffers and perf event arrays by map name, to decode `events` through BTF; default none. */
  eventTypes?: EventTypes;
  /** Verify the program at load as the kernel would (LoadOptions.verify; vm backend); default true. */
  verify?: boolean;
}

/** Runs a case on the chosen backend and returns the design's result object. */
export async function runCase(c: Case, options: RunCaseOptions = {}): Promise<RunResult> {
  if (typeof c !== 'object' || c === null || !(c.packet instanceof Uint8Array) || typeof c.objectPath !== 'string') {
    throw new ArgumentError('arg/type', `case: expected a case from readCase or parseCase, got ${describe(c)}`, 'case');
  }
  checkObject(options, 'options');
  if (options.backend !== undefined) checkOneOf(options.backend, 'options.backend', ['vm', 'kernel']);
  if (options.engine !== undefined) checkOneOf(options.engine, 'options.engine', ['wasm', 'interp']);
  if (options.trace !== undefined && typeof options.trace !== 'function') throw new ArgumentError('arg/type', `options.trace: expected a function, got ${describe(options.trace)}`, 'options.trace');
  if (options.coverage !== undefined) checkString(options.coverage, 'options.coverage');
  if (options.backend === 'kernel') {
    if (options.trace || options.coverage || options.verify === false) throw new CaseError('case/vm-only', '--trace, --coverage and --no-verify work on the vm backend only');
    const result = await runCaseOnKernel(c);
    if (options.eventTypes && result.events?.length) {
      const { btf } = await BpfObject.readSpec(c.objectPath, c.type, c.kernelBtfPath, c.kconfig);
      result.events = resultEvents(result.events.map((e) => ({ ...e, data: fromHex(e.data) })), btf, options.eventTypes);
    }
    return result;
  }
  const coverage = options.coverage ? new LineCoverage() : undefined;
  const recorder = options.trace ? new TraceRecorder() : undefined;
  const hooks = [recorder?.hook, coverage?.hook].filter((h): h is TraceHook => h !== undefined);
  const trace: TraceHook | undefined = hooks.length ? (pc, insn, regs, program) => hooks.forEach((h) => h(pc, insn, regs, program)) : undefined;
  try {
    return await runCaseOnVm(c, { engine: options.engine, trace, eventTypes: options.eventTypes, verify: options.verify });
  } finally {
    if (recorder && options.trace) formatTrace(recorder.result()).forEach(options.trace);
    if (coverage && options.coverage) await coverage.write(options.coverage);
  }
}
