import { CaseError } from '../internal/errors.js';
import type { ObjectSpec, ProgramSpec } from '../loader/spec.js';
import { BPF_PROG_TYPE, progTypeName } from '../uapi/bpf.js';
import type { VerifierFacts } from './facts.js';
import type { ProgramVerdict, VerifyReport } from './types.js';
import { verifyProgramSpec, type ProgramResult } from './verify.js';

/**
 * The verifier: whether this machine's kernel (6.18) would load a program, for a loader with
 * CAP_BPF and CAP_PERFMON, and why not; modelled on kernel/bpf/verifier.c. Its result is plain
 * data: the verdict and the kernel's message, the path that led there, and the facts the engines
 * may use.
 */

export type { PathStep, ProgramVerdict, VerifyReport } from './types.js';
export type { AccessFact, ConstantFact, VerifierFacts } from './facts.js';
export type { ProgramResult } from './verify.js';
export { errorLine, isGplCompatible } from './verify.js';

/** Program types by the names `--type` and case files use. */
export const PROG_TYPE_BY_NAME: Readonly<Record<'xdp' | 'tc' | 'socket', number>> = {
  xdp: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP,
  tc: BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS,
  socket: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER,
};

export interface VerifyObjectOptions {
  /** Only this program (function name, or a section name one program has). */
  program?: string;
  /** Verify as this program type instead of the section's. */
  type?: 'xdp' | 'tc' | 'socket';
  /** Log detail: 0 none, 1 instructions and branches, 2 the state at every instruction. */
  logLevel?: 0 | 1 | 2;
}

/** A report with each program's log (kernel format, one string per program) and details. */
export interface VerifyObjectReport extends VerifyReport {
  logs: string[];
  details: ProgramResult[];
}

/** Verifies one program of the object. */
export function verifyProgram(spec: ObjectSpec, program: ProgramSpec | string, options: Omit<VerifyObjectOptions, 'program'> = {}): ProgramResult {
  const prog = typeof program === 'string' ? findProgram(spec, program) : program;
  const progType = options.type ? PROG_TYPE_BY_NAME[options.type] : undefined;
  return verifyProgramSpec(spec, prog, { progType, logLevel: options.logLevel ?? 0 });
}

function findProgram(spec: ObjectSpec, name: string): ProgramSpec {
  const byName = spec.programs.find((p) => p.name === name);
  if (byName) return byName;
  const bySection = spec.programs.filter((p) => p.sectionName === name);
  if (bySection.length === 1) return bySection[0]!;
  const names = spec.programs.map((p) => p.name).join(', ');
  throw new CaseError('case/unknown-program', `no program '${name}' in the object (it has: ${names || 'none'})`);
}

/** Program types whose rules the verifier models (untyped sections take the `type` option's). */
const MODELLED_TYPES: ReadonlySet<number> = new Set([
  BPF_PROG_TYPE.BPF_PROG_TYPE_UNSPEC,
  BPF_PROG_TYPE.BPF_PROG_TYPE_XDP,
  BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS,
  BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT,
  BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER,
]);

/**
 * Verifies every program of the object (or the one named), in program order. Without a name or a
 * `type`, programs of types bpfsim does not run (kprobe, cgroup, tracing next to TC) are left out;
 * naming one without a `type` is CaseError `case/unsupported-program-type`.
 */
export function verifyObject(spec: ObjectSpec, options: VerifyObjectOptions = {}): VerifyObjectReport {
  const progs = options.program ? [findProgram(spec, options.program)] : spec.programs.filter((p) => options.type !== undefined || MODELLED_TYPES.has(p.type));
  // A program named on its own is verified only when its rules are modelled: a kprobe or tracing
  // program checked against the networking helper table would get a verdict the kernel does not give.
  const unmodelled = options.type === undefined ? progs.find((p) => !MODELLED_TYPES.has(p.type)) : undefined;
  if (unmodelled) {
    throw new CaseError('case/unsupported-program-type', `program '${unmodelled.name}' is a ${progTypeName(unmodelled.type)} program (section '${unmodelled.sectionName}'): bpfsim verifies XDP, TC and socket filter programs`);
  }
  const details = progs.map((p) => verifyProgram(spec, p, options));
  return { programs: details.map(toVerdict), logs: details.map((d) => d.log.join('\n')), details };
}

/** The JSON shape of one verdict (design.md, `bpfsim verify --json`). */
export function toVerdict(d: ProgramResult): ProgramVerdict {
  return { program: d.program, type: d.type, accepted: d.accepted, error: d.error, insn: d.insn, source: d.source, insns_processed: d.insns_processed, path: d.path };
}

/** The engines' facts for an accepted program, or null when it was rejected. */
export function verifierFacts(d: ProgramResult): VerifierFacts | null {
  return d.accepted ? d.facts : null;
}
