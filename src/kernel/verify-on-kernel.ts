/**
 * `bpfsim verify --backend kernel`: the real kernel's verifier verdicts on objects' programs,
 * from the kernel backend's child process in its private namespaces.
 */
import { resolve } from 'node:path';
import { KernelError, type SimError } from '../internal/errors.js';
import type { VerifyReport } from '../verifier/types.js';
import { askKernelChild } from './child-process.js';
import { decodeWireError, type WireVerifyAnswer, type WireVerifyRequest } from './wire.js';

/** Options for {@link verifyOnKernel}. */
export interface VerifyOnKernelOptions {
  /** One program, by function name or by a section name only it has; default every XDP, TC and socket program. */
  program?: string;
  /** Load the programs as this type instead of their sections'. */
  type?: 'xdp' | 'tc' | 'socket';
  /** Milliseconds before the child is killed; default 600000 (a program at the 1M-instruction limit takes seconds). */
  timeoutMs?: number;
}

/**
 * Loads each program of each object alone in the real kernel (libbpf, BPF_PROG_LOAD), all in one
 * child process, and gives per object either its report or the typed error that stopped it.
 * See {@link verifyOnKernel} for the fields. Throws KernelError when the child cannot run at all.
 */
export async function verifyObjectsOnKernel(objectPaths: string[], opts: VerifyOnKernelOptions = {}): Promise<(VerifyReport | SimError)[]> {
  const req: WireVerifyRequest = { verify: true, objectPaths: objectPaths.map((p) => resolve(p)) };
  if (opts.program !== undefined) req.program = opts.program;
  if (opts.type !== undefined) req.type = opts.type;
  const answer = await askKernelChild<WireVerifyAnswer | undefined>(req, opts.timeoutMs ?? 600_000, 'verification');
  if (answer && 'reports' in answer) return answer.reports.map((r) => ('programs' in r ? { programs: r.programs } : decodeWireError(r.error)));
  if (answer && 'error' in answer) throw decodeWireError(answer.error);
  throw new KernelError('kernel/child', 'kernel backend: child process gave no answer');
}

/**
 * Loads each program of `objectPath` alone in the real kernel and reports the verifier's verdict
 * in the shape `bpfsim verify --json` prints: `error` is the last line of the kernel's log without
 * the `processed N insns` statistics, `insn` and `source` the last instruction the log printed and
 * its C line, `path` always empty (the kernel does not give one). Throws KernelError
 * (`kernel/no-privileges`, `kernel/unavailable`, `kernel/open`, `kernel/load` for a failure that
 * is not the verifier's, `kernel/timeout`) and CaseError `case/unknown-program`.
 */
export async function verifyOnKernel(objectPath: string, opts: VerifyOnKernelOptions = {}): Promise<VerifyReport> {
  const [report] = await verifyObjectsOnKernel([objectPath], opts);
  if (report instanceof Error) throw report;
  return report;
}
