/**
 * The JSON the kernel backend's parent and child processes exchange: the request on the child's
 * stdin, one answer on its stdout. Bytes travel as hex, converted here and nowhere else: each
 * side works on bytes and encodes or decodes once ({@link encodeRequest} and
 * {@link decodeRequest}, {@link encodeResult} and {@link decodeResult}). Errors travel as
 * `{ class, code, message, log? }` so the parent can rethrow the same typed error; the child
 * never prints a stack trace.
 */
import { CaseError, KernelError, LoadError, SimError, VerifierError } from '../internal/errors.js';
import type { ConntrackSpec, FibSpec, ProgTypeName, SocketSpec } from '../internal/contract.js';
import { fromHex, toHex } from '../internal/hex.js';
import type { ProgramVerdict } from '../verifier/types.js';
import type { KernelCase, KernelResult } from './run-on-kernel.js';

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
  sockets?: SocketSpec[];
  conntrack?: ConntrackSpec[];
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

/** A case as it travels to the child: bytes in hex. */
export function encodeRequest(c: KernelCase): WireRequest {
  const req: WireRequest = { objectPath: c.objectPath, program: c.program, packet: toHex(c.packet) };
  if (c.progType) req.progType = c.progType;
  if (c.ctx) req.ctx = c.ctx;
  if (c.fib) req.fib = c.fib;
  if (c.sockets) req.sockets = c.sockets;
  if (c.conntrack) req.conntrack = c.conntrack;
  if (c.repeat !== undefined) req.repeat = c.repeat;
  if (c.kconfig !== undefined) req.kconfig = c.kconfig;
  if (c.btfPath !== undefined) req.btfPath = c.btfPath;
  if (c.maps) {
    req.maps = {};
    for (const [name, entries] of Object.entries(c.maps)) {
      req.maps[name] = entries.map((e) => ({
        key: toHex(e.key),
        ...(e.value ? { value: toHex(e.value) } : {}),
        ...(e.program !== undefined ? { program: e.program } : {}),
      }));
    }
  }
  return req;
}

/** The child's case from the request it read; CaseError `case/bad-hex` names a field that is not hex. */
export function decodeRequest(req: WireRequest): KernelCase {
  const c: KernelCase = { objectPath: req.objectPath, program: req.program, packet: fromHex(req.packet, 'packet') };
  if (req.progType) c.progType = req.progType;
  if (req.ctx) c.ctx = req.ctx;
  if (req.fib) c.fib = req.fib;
  if (req.sockets) c.sockets = req.sockets;
  if (req.conntrack) c.conntrack = req.conntrack;
  if (req.repeat !== undefined) c.repeat = req.repeat;
  if (req.kconfig !== undefined) c.kconfig = req.kconfig;
  if (req.btfPath !== undefined) c.btfPath = req.btfPath;
  if (req.maps) {
    c.maps = {};
    for (const [name, entries] of Object.entries(req.maps)) {
      c.maps[name] = entries.map((e, i) => ({
        key: fromHex(e.key, `maps: map '${name}': entry ${i}: key`),
        ...(e.value !== undefined ? { value: fromHex(e.value, `maps: map '${name}': entry ${i}: value`) } : {}),
        ...(e.program !== undefined ? { program: e.program } : {}),
      }));
    }
  }
  return c;
}

/** A result as the child sends it: bytes in hex. */
export function encodeResult(r: KernelResult): WireResult {
  const out: WireResult = { retval: r.retval, progType: r.progType, packet: toHex(r.packet), maps: {} };
  if (r.section !== undefined) out.section = r.section;
  if (r.meta) out.meta = toHex(r.meta);
  if (r.ctx) out.ctx = r.ctx;
  for (const [name, entries] of Object.entries(r.maps)) {
    out.maps[name] = entries.map((e) => ({ key: toHex(e.key), values: e.values.map(toHex), ...(e.program !== undefined ? { program: e.program } : {}) }));
  }
  if (r.events) out.events = r.events.map((e) => ({ map: e.map, cpu: e.cpu, data: toHex(e.data) }));
  if (r.durationNs !== undefined) out.durationNs = r.durationNs;
  return out;
}

/** The parent's result from the child's answer. */
export function decodeResult(r: WireResult): KernelResult {
  const maps: KernelResult['maps'] = {};
  for (const [name, entries] of Object.entries(r.maps)) {
    maps[name] = entries.map((e) => ({ key: fromHex(e.key), values: e.values.map((v) => fromHex(v)), ...(e.program !== undefined ? { program: e.program } : {}) }));
  }
  const out: KernelResult = { retval: r.retval, progType: r.progType, packet: fromHex(r.packet), maps };
  if (r.section !== undefined) out.section = r.section;
  if (r.meta) out.meta = fromHex(r.meta);
  if (r.ctx) out.ctx = r.ctx;
  if (r.durationNs !== undefined) out.durationNs = r.durationNs;
  if (r.events) out.events = r.events.map((e) => ({ map: e.map, cpu: e.cpu, data: fromHex(e.data) }));
  return out;
}

/** A typed error as the child sends it. */
export interface WireError {
  class: string;
  code: string;
  message: string;
  log?: string;
  /** SimError.errno, when the error has one. */
  errno?: string;
}

/** The child's one line of output. */
export type WireAnswer = { result: WireResult } | { error: WireError };

/** Serializes any thrown value; anything but a SimError becomes `kernel/internal` with its message only. */
export function encodeWireError(err: unknown): WireError {
  if (err instanceof VerifierError) return { class: 'VerifierError', code: err.code, message: err.message, log: err.log };
  if (err instanceof SimError) return { class: err.name, code: err.code, message: err.message, ...(err.errno === undefined ? {} : { errno: err.errno }) };
  const message = err instanceof Error ? err.message : String(err);
  return { class: 'KernelError', code: 'kernel/internal', message: `kernel backend: ${message.split('\n')[0]}` };
}

/** The typed error a child reported: VerifierError, CaseError, LoadError or KernelError (every other class). */
export function decodeWireError(e: WireError): SimError {
  if (e.class === 'VerifierError') return new VerifierError(e.message, e.log ?? '');
  const options = e.errno === undefined ? undefined : { errno: e.errno };
  if (e.class === 'CaseError') return new CaseError(e.code, e.message, options);
  if (e.class === 'LoadError') return new LoadError(e.code, e.message, options);
  return new KernelError(e.code, e.message, options);
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
