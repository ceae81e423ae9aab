/**
 * `bpfsim verify --backend kernel`: the real kernel's verifier verdicts on an object's programs,
 * from the kernel backend's child process in its private namespaces.
 */
import { resolve } from 'node:path';
import { KernelError } from '../internal/errors.js';
import type { VerifyReport } from '../verifier/types.js';
import { askKernelChild } from './child-process.js';
import { decodeWireError, type WireVerifyAnswer, type WireVerifyRequest } from './wire.js';

/** Options for {@link verifyOnKernel}. */
export interface VerifyOnKernelOptions {
  /** One program, by function name or by a section name only it has; default every XDP, TC and socket program. */
  program?: string;
  /** Load the programs as this type instead of their sections'. */
  type?: 'xdp' | 'tc' | 'socket';
  /** Milliseconds before the child is killed; default 300000 (a program at the 1M-instruction limit takes seconds). */
  timeoutMs?: number;
}

/**
 * Loads each program of `objectPath` alone in the real kernel (libbpf, BPF_PROG_LOAD) and reports
 * the verifier's verdict in the shape `bpfsim verify --json` prints: `error` is the last line of
 * the kernel's log without the `processed N insns` statistics, `insn` and `source` the last
 * instruction the log printed and its C line, `path` always empty (the kernel does not give one).
 * Throws KernelError (`kernel/no-privileges`, `kernel/unavailable`, `kernel/open`, `kernel/load`
 * for a failure that is not the verifier's, `kernel/timeout`) and CaseError `case/unknown-program`.
 */
export async function verifyOnKernel(objectPath: string, opts: VerifyOnKernelOptions = {}): Promise<VerifyReport> {
  const req: WireVerifyRequest = { verify: true, objectPath: resolve(objectPath) };
  if (opts.program !== undefined) req.program = opts.program;
  if (opts.type !== undefined) req.type = opts.type;
  const answer = await askKernelChild<WireVerifyAnswer | undefined>(req, opts.timeoutMs ?? 300_000, 'verification');
  if (answer && 'verdicts' in answer) return { programs: answer.verdicts };
  if (answer && 'error' in answer) throw decodeWireError(answer.error);
  throw new KernelError('kernel/child', 'kernel backend: child process gave no answer');
}
