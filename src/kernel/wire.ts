/**
 * The JSON the kernel backend's parent and child processes exchange: the request on the child's
 * stdin, one answer on its stdout. Bytes travel as hex. Errors travel as `{ class, code, message,
 * log? }` so the parent can rethrow the same typed error; the child never prints a stack trace.
 */
import { CaseError, KernelError, SimError, VerifierError } from '../internal/errors.js';
import type { FibSpec, ProgTypeName } from '../internal/contract.js';
import type { ProgramVerdict } from '../verifier/types.js';

/** A case as the child receives it. */
export interface WireRequest {
  objectPath: string;
  program: string;
  progType?: ProgTypeName;
  /** The frame in hex, metadata first when `ctx.data` says there is some. */
  packet: string;
  ctx?: Record<string, number | number[]>;
  maps?: Record<string, { key: string; value?: string; program?: string }[]>;
  fib?: FibSpec;
  repeat?: number;
  /** Kconfig lines for libbpf's open opts `kconfig`. */
  kconfig?: string;
  /** libbpf's open opts `btf_custom_path`. */
  btfPath?: string;
}

/** A run's result as the child sends it. */
export interface WireResult {
  retval: number;
  progType: number;
  /** The program's ELF section, which names its attach type (`tcx/ingress`). */
  section?: string;
  packet: string;
  meta?: string;
  ctx?: Record<string, number | number[]>;
  /** `program`: a prog-array slot's program, by name (values then empty). */
  maps: Record<string, { key: string; values: string[]; program?: string }[]>;
  /** Records read from ring buffers and perf event arrays after the run: map name, CPU, bytes in hex. */
  events?: { map: string; cpu: number; data: string }[];
  durationNs?: number;
}

/** A typed error as the child sends it. */
export interface WireError {
  class: string;
  code: string;
  message: string;
  log?: string;
}

/** The child's one line of output. */
export type WireAnswer = { result: WireResult } | { error: WireError };

/** Serializes any thrown value; anything but a SimError becomes `kernel/internal` with its message only. */
export function encodeWireError(err: unknown): WireError {
  if (err instanceof VerifierError) return { class: 'VerifierError', code: err.code, message: err.message, log: err.log };
  if (err instanceof SimError) return { class: err.name, code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { class: 'KernelError', code: 'kernel/internal', message: `kernel backend: ${message.split('\n')[0]}` };
}

/** The typed error a child reported: VerifierError, CaseError or KernelError (every other class). */
export function decodeWireError(e: WireError): SimError {
  if (e.class === 'VerifierError') return new VerifierError(e.message, e.log ?? '');
  if (e.class === 'CaseError') return new CaseError(e.code, e.message);
  return new KernelError(e.code, e.message);
}

/** A request for the kernel's verdicts on the programs of one or more objects (see verifyInProcess). */
export interface WireVerifyRequest {
  verify: true;
  objectPaths: string[];
  /** One program by function or section name; every XDP, TC and socket program when absent. */
  program?: string;
  /** Load as this type instead of the section's. */
  type?: 'xdp' | 'tc' | 'socket';
}

/** One object's verdicts, or why it could not be verified. */
export type WireVerifyReport = { programs: ProgramVerdict[] } | { error: WireError };

/** The child's answer to a {@link WireVerifyRequest}: one report per object, in order. */
export type WireVerifyAnswer = { reports: WireVerifyReport[] } | { error: WireError };
