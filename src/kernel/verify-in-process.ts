/**
 * The kernel's verdict on each program of an object, in the calling process: every XDP, TC and
 * socket-filter program is loaded alone (libbpf with every other program's autoload off), with a
 * level-1 verifier log from the first attempt, and the log is read into a {@link ProgramVerdict}.
 * The kernel backend's child calls this inside its private namespaces; nothing else should.
 */
import { CaseError, KernelError, LoadError } from '../internal/errors.js';
import { BPF_PROG_TYPE, progTypeName } from '../uapi/bpf.js';
import type { ProgramVerdict } from '../verifier/types.js';
import { OPEN_OPTS, OPEN_OPTS_SIZE } from './ctx.js';
import { errnoLabel as errnoName } from '../uapi/errno.js';
import { loadLibbpf, type Libbpf, type Ptr } from './libbpf.js';
import { sectionProgType } from './run-case.js';
import { verdictFromLog } from './verifier-log.js';
import { encodeWireError, type WireVerifyReport, type WireVerifyRequest } from './wire.js';

const LOG_SIZE = 16 << 20;
/** BPF_LOG_LEVEL1: the instructions of the failing path and the statistics, also on success. */
const LOG_LEVEL = 1;
const LIBBPF_WARN = 0;

/** Program types a verdict is given for, by the names of `bpfsim verify --type`. */
const TYPE_BY_NAME: Record<string, number> = {
  xdp: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP,
  tc: BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS,
  socket: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER,
};

function typeName(progType: number): string | undefined {
  if (progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP) return 'xdp';
  if (progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS || progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT) return 'tc';
  if (progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER) return 'socket';
  return undefined;
}

function programsOf(lib: Libbpf, obj: Ptr): Ptr[] {
  const all: Ptr[] = [];
  for (let p = lib.bpf_object__next_program(obj, null); p; p = lib.bpf_object__next_program(obj, p)) all.push(p);
  return all;
}

/** The type a program loads as: the requested one, else libbpf's from its section, else ours from the section's prefix. */
function progTypeOf(lib: Libbpf, p: Ptr, requested: string | undefined): number {
  if (requested !== undefined) return TYPE_BY_NAME[requested];
  const t = lib.bpf_program__type(p);
  return t !== 0 ? t : (sectionProgType(lib.bpf_program__section_name(p)) ?? 0);
}

function open(lib: Libbpf, path: string, logBuf: Buffer, msgs: { level: number; text: string }[]): Ptr {
  const opts = Buffer.alloc(OPEN_OPTS_SIZE);
  opts.writeBigUInt64LE(BigInt(OPEN_OPTS_SIZE), OPEN_OPTS.sz);
  opts.writeBigUInt64LE(lib.address(logBuf), OPEN_OPTS.kernel_log_buf);
  opts.writeBigUInt64LE(BigInt(LOG_SIZE), OPEN_OPTS.kernel_log_size);
  opts.writeUInt32LE(LOG_LEVEL, OPEN_OPTS.kernel_log_level);
  const obj = lib.bpf_object__open_file(path, opts);
  // For a NULL object libbpf_get_error gives -errno, the reason libbpf failed.
  const err = lib.libbpf_get_error(obj);
  if (!obj || err) {
    throw new KernelError('kernel/open', `open object '${path}': ${warnings(msgs) || 'libbpf failed'} (${errnoName(err || -22)})`);
  }
  return obj;
}

function warnings(msgs: { level: number; text: string }[]): string {
  return msgs
    .filter((m) => m.level === LIBBPF_WARN)
    .map((m) => m.text.trim().replace(/^libbpf: /, ''))
    .filter((t) => t !== '' && !t.startsWith('-- '))
    .join('; ');
}

/** Loads the program called `name` alone from a fresh open of the object and returns the kernel's verdict. */
function verifyOne(lib: Libbpf, path: string, req: WireVerifyRequest, name: string, logBuf: Buffer): ProgramVerdict {
  const msgs: { level: number; text: string }[] = [];
  lib.capturePrint((level, text) => msgs.push({ level, text }));
  logBuf.fill(0, 0, 64);
  const obj = open(lib, path, logBuf, msgs);
  try {
    let progType = 0;
    for (const p of programsOf(lib, obj)) {
      const mine = lib.bpf_program__name(p) === name;
      lib.bpf_program__set_autoload(p, mine);
      if (!mine) continue;
      progType = progTypeOf(lib, p, req.type);
      lib.bpf_program__set_type(p, progType);
    }
    const rc = lib.bpf_object__load(obj);
    const log = logBuf.toString('utf8', 0, Math.max(0, logBuf.indexOf(0)));
    const v = verdictFromLog(log);
    const verdict: ProgramVerdict = {
      program: name,
      type: typeName(progType) ?? String(progType),
      accepted: rc >= 0,
      error: null,
      insn: null,
      source: null,
      insns_processed: v.insnsProcessed,
      path: [],
    };
    if (rc >= 0) return verdict;
    if (!new RegExp(`prog '${name}': BPF program load failed`).test(warnings(msgs))) {
      throw new KernelError('kernel/load', `load object '${path}': ${warnings(msgs) || 'libbpf failed'} (${errnoName(rc)})`);
    }
    return { ...verdict, error: v.error ?? errnoName(rc), insn: v.insn, source: v.source };
  } finally {
    lib.bpf_object__close(obj);
  }
}

/**
 * The kernel's verdict on each XDP, TC and socket-filter program of one object (or on the one
 * `req.program` names, by function or section name), in the object's order. Throws KernelError
 * when libbpf cannot open the object or fails for a reason other than the verifier, CaseError
 * `case/unknown-program` when `req.program` names nothing or `case/unsupported-program-type` when
 * it names a program of another type, and LoadError `load/unknown-section` when, without
 * `req.type`, a chosen program's section has no program type.
 */
export function verifyObjectInProcess(path: string, req: WireVerifyRequest): ProgramVerdict[] {
  const lib = loadLibbpf();
  const logBuf = Buffer.alloc(LOG_SIZE);
  const msgs: { level: number; text: string }[] = [];
  lib.capturePrint((level, text) => msgs.push({ level, text }));
  const obj = open(lib, path, logBuf, msgs);
  let names: string[];
  try {
    const progs = programsOf(lib, obj);
    const named = req.program === undefined ? progs : progs.filter((p) => lib.bpf_program__name(p) === req.program);
    const chosen = named.length > 0 || req.program === undefined ? named : progs.filter((p) => lib.bpf_program__section_name(p) === req.program);
    if (req.program !== undefined && chosen.length !== 1) {
      const why = chosen.length > 1 ? `section '${req.program}' holds ${chosen.length} programs` : 'no such program or section';
      throw new CaseError('case/unknown-program', `program '${req.program}': ${why}`);
    }
    // A section neither libbpf nor the loader's table types fails the whole object for libbpf
    // (and for the VM's loader): say so, rather than verify nothing and pass.
    const untyped = chosen.find((p) => progTypeOf(lib, p, req.type) === 0);
    if (untyped) {
      const section = lib.bpf_program__section_name(untyped);
      throw new LoadError('load/unknown-section', `load programs: program '${lib.bpf_program__name(untyped)}': section '${section}' has no known program type (expected a libbpf section name such as xdp, tc or tcx/ingress)`);
    }
    // A kprobe, cgroup or tracing program named on its own is refused as the VM's verifier refuses it.
    const alone = req.program !== undefined && req.type === undefined ? chosen[0] : undefined;
    if (alone && typeName(progTypeOf(lib, alone, undefined)) === undefined) {
      const progType = progTypeOf(lib, alone, undefined);
      throw new CaseError('case/unsupported-program-type', `program '${lib.bpf_program__name(alone)}' is a ${progTypeName(progType)} program (section '${lib.bpf_program__section_name(alone)}'): bpfsim verifies XDP, TC and socket filter programs`);
    }
    names = chosen.filter((p) => typeName(progTypeOf(lib, p, req.type)) !== undefined).map((p) => lib.bpf_program__name(p));
  } finally {
    lib.bpf_object__close(obj);
  }
  return names.map((name) => verifyOne(lib, path, req, name, logBuf));
}

/** {@link verifyObjectInProcess} for each of `req.objectPaths`; an object that fails gets its error instead. */
export function verifyInProcess(req: WireVerifyRequest): WireVerifyReport[] {
  return req.objectPaths.map((path) => {
    try {
      return { programs: verifyObjectInProcess(path, req) };
    } catch (err) {
      return { error: encodeWireError(err) };
    }
  });
}
