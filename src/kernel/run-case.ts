/**
 * One case through libbpf and BPF_PROG_TEST_RUN, in the calling process: open and load the
 * object, fill its maps, run the program once (or `repeat` times) and read everything back.
 * The kernel backend's child calls this inside its private namespaces; nothing else should.
 */
import type { ProgTypeName } from '../internal/contract.js';
import { CaseError, KernelError, VerifierError } from '../internal/errors.js';
import { findSectionDef } from '../loader/section-defs.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '../uapi/bpf.js';
import { decodeCtx, decodeTestRunOpts, encodeCtx, encodeTestRunOpts, OPEN_OPTS, OPEN_OPTS_SIZE, SKB_CTX_IN_FIELDS, XDP_CTX_IN_FIELDS, type CtxKind } from './ctx.js';
import { errnoLabel as errnoName } from '../uapi/errno.js';
import { loadLibbpf, type EventReaders, type Libbpf, type Ptr } from './libbpf.js';
import { dumpMap, mapSectionName, openMaps, updateMap, type OpenMap } from './maps.js';
import { summarizeVerifierLog } from './verifier-log.js';
import type { KernelCase, KernelResult } from './run-on-kernel.js';

/** Verifier log buffer size: level-1 logs of big programs run to megabytes. */
const LOG_SIZE = 16 << 20;
/** Room for a packet that grows (bpf_xdp_adjust_head/tail, bpf_skb_change_tail). */
const DATA_OUT_SLACK = 65536;
const LIBBPF_WARN = 0;

function libbpfMessages(msgs: { level: number; text: string }[]): string {
  return msgs
    .filter((m) => m.level === LIBBPF_WARN)
    .map((m) => m.text.trim().replace(/^libbpf: /, ''))
    .filter((t) => t !== '' && !t.startsWith('-- '))
    .join('; ');
}

function findProgram(lib: Libbpf, obj: Ptr, name: string): Ptr {
  const byName = lib.bpf_object__find_program_by_name(obj, name);
  if (byName) return byName;
  const bySection: Ptr[] = [];
  for (let p = lib.bpf_object__next_program(obj, null); p; p = lib.bpf_object__next_program(obj, p)) {
    if (lib.bpf_program__section_name(p) === name) bySection.push(p);
  }
  if (bySection.length === 1) return bySection[0];
  const why = bySection.length > 1 ? `section '${name}' holds ${bySection.length} programs` : 'no such program or section';
  throw new CaseError('case/unknown-program', `program '${name}': ${why}`);
}

/** The BPF_PROG_TYPE_* of a case's `type`. */
const PROG_TYPE_OF: Record<ProgTypeName, number> = {
  xdp: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP,
  tc: BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS,
  socket: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER,
};

/**
 * The program type of a section libbpf does not type (libbpf 1.1 predates `tc/ingress`; libbpf 1.x
 * dropped the bare prefixes `xdp_foo`, `classifier_bar` of 0.x): the VM's loader's section table
 * decides, so both backends type a section alike. Undefined for a section that is not XDP, TC
 * or a socket filter, which the kernel backend does not load.
 */
export function sectionProgType(section: string): number | undefined {
  const progType = findSectionDef(section)?.progType;
  return progType !== undefined && ctxKindOrUndefined(progType) !== undefined ? progType : undefined;
}

function ctxKindOrUndefined(progType: number): CtxKind | undefined {
  if (progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP) return 'xdp';
  if (progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS || progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT || progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER) return 'skb';
  return undefined;
}

function ctxKind(progType: number): CtxKind {
  const kind = ctxKindOrUndefined(progType);
  if (kind) return kind;
  throw new CaseError('case/unsupported-program-type', `program type ${progType}: expected XDP, TC or a socket filter (give the case a 'type')`);
}

/**
 * Runs `req` in this process and returns its result. Throws VerifierError when the verifier
 * rejects a program, CaseError for a case that does not fit the object, and KernelError
 * (`kernel/open`, `kernel/load`, `kernel/map-update`, `kernel/test-run`, `kernel/no-privileges`)
 * with libbpf's message and the errno name otherwise.
 */
export function runCaseInProcess(req: KernelCase): KernelResult {
  const lib = loadLibbpf();
  const msgs: { level: number; text: string }[] = [];
  lib.capturePrint((level, text) => msgs.push({ level, text }));

  const logBuf = Buffer.alloc(LOG_SIZE);
  const openOpts = Buffer.alloc(OPEN_OPTS_SIZE);
  openOpts.writeBigUInt64LE(BigInt(OPEN_OPTS_SIZE), OPEN_OPTS.sz);
  openOpts.writeBigUInt64LE(lib.address(logBuf), OPEN_OPTS.kernel_log_buf);
  openOpts.writeBigUInt64LE(BigInt(LOG_SIZE), OPEN_OPTS.kernel_log_size);
  // libbpf reads both strings during open; they stay referenced until it returns.
  const kconfig = req.kconfig === undefined ? undefined : Buffer.from(req.kconfig + '\0', 'utf8');
  const btfPath = req.btfPath === undefined ? undefined : Buffer.from(req.btfPath + '\0', 'utf8');
  if (kconfig) openOpts.writeBigUInt64LE(lib.address(kconfig), OPEN_OPTS.kconfig);
  if (btfPath) openOpts.writeBigUInt64LE(lib.address(btfPath), OPEN_OPTS.btf_custom_path);

  const obj = lib.bpf_object__open_file(req.objectPath, openOpts);
  keepUntilHere(kconfig, btfPath);
  // For a NULL object libbpf_get_error gives -errno, the reason libbpf failed.
  const openErr = lib.libbpf_get_error(obj);
  if (!obj || openErr) {
    const errno = openErr || -22;
    throw new KernelError('kernel/open', `open object '${req.objectPath}': ${libbpfMessages(msgs) || 'libbpf failed'} (${errnoName(errno)})`);
  }
  try {
    return runLoaded(lib, obj, req, logBuf, msgs);
  } finally {
    lib.bpf_object__close(obj);
  }
}

const isReadOnlyData = (name: string) => name === '.rodata' || name.startsWith('.rodata.');

/**
 * The case's `.rodata` entries as the sections' initial values (bpf_map__set_initial_value, as a
 * skeleton sets `rodata` before load): the kernel freezes these maps at load, so later updates fail.
 */
function setReadOnlyData(lib: Libbpf, obj: Ptr, req: KernelCase): void {
  for (const [name, entries] of Object.entries(req.maps ?? {})) {
    if (!isReadOnlyData(name)) continue;
    let map: Ptr = null;
    for (let m = lib.bpf_object__next_map(obj, null); m; m = lib.bpf_object__next_map(obj, m)) {
      if (mapSectionName(lib.bpf_map__name(m), lib.bpf_map__is_internal(m)) === name) map = m;
    }
    if (!map) throw new CaseError('case/unknown-map', `maps: map '${name}': no such section in the object`);
    for (const [i, e] of entries.entries()) {
      const value = Buffer.from(e.value ?? new Uint8Array(0));
      if (value.length !== lib.bpf_map__value_size(map)) {
        throw new CaseError('case/map-update', `maps: map '${name}': entry ${i}: expected ${lib.bpf_map__value_size(map)} bytes, got ${value.length}`);
      }
      const rc = lib.bpf_map__set_initial_value(map, value, value.length);
      if (rc < 0) throw new KernelError('kernel/map-update', `maps: map '${name}': entry ${i}: bpf_map__set_initial_value failed (${errnoName(rc)})`);
    }
  }
}

function runLoaded(lib: Libbpf, obj: Ptr, req: KernelCase, logBuf: Buffer, msgs: { level: number; text: string }[]): KernelResult {
  const prog = findProgram(lib, obj, req.program);
  if (req.progType) {
    lib.bpf_program__set_type(prog, PROG_TYPE_OF[req.progType]);
  }
  // libbpf 1.1 predates sections like `tc/ingress` and `tcx/egress`: type those as the VM does,
  // and skip programs nobody can type, as they would fail the whole object.
  // Programs of other types (kprobe, cgroup, tracing) stay unloaded, as bpfsim does not run them.
  for (let p = lib.bpf_object__next_program(obj, null); p; p = lib.bpf_object__next_program(obj, p)) {
    const other = lib.bpf_program__name(p) !== lib.bpf_program__name(prog);
    const type = lib.bpf_program__type(p);
    if (type !== 0) {
      if (other && ctxKindOrUndefined(type) === undefined) lib.bpf_program__set_autoload(p, false);
      continue;
    }
    const inferred = sectionProgType(lib.bpf_program__section_name(p));
    if (inferred !== undefined) lib.bpf_program__set_type(p, inferred);
    else if (other) lib.bpf_program__set_autoload(p, false);
  }
  const progType = lib.bpf_program__type(prog);
  const kind = ctxKind(progType);
  setReadOnlyData(lib, obj, req);

  const rc = lib.bpf_object__load(obj);
  if (rc < 0) {
    const text = libbpfMessages(msgs);
    const failed = /prog '([^']+)': BPF program load failed/.exec(text);
    const log = logBuf.toString('utf8', 0, Math.max(0, logBuf.indexOf(0)));
    if (failed && log.trim() !== '') {
      const summary = summarizeVerifierLog(log);
      throw new VerifierError(`program '${failed[1]}': ${summary || errnoName(rc)}`, log);
    }
    if (rc === -1) {
      throw new KernelError('kernel/no-privileges', 'kernel backend needs root: CAP_BPF and CAP_NET_ADMIN');
    }
    throw new KernelError('kernel/load', `load object '${req.objectPath}': ${text || 'libbpf failed'} (${errnoName(rc)})`);
  }

  const maps = openMaps(lib, obj);
  const programFd = (name: string): number => {
    const p = lib.bpf_object__find_program_by_name(obj, name);
    const fd = p ? lib.bpf_program__fd(p) : -1;
    if (fd < 0) throw new CaseError('case/unknown-program', `prog-array slot: program '${name}' is not a loaded program of the object`);
    return fd;
  };
  for (const [name, entries] of Object.entries(req.maps ?? {})) {
    if (isReadOnlyData(name)) continue;
    const m = maps.find((x) => x.name === name || x.libbpfName === name);
    if (!m) throw new CaseError('case/unknown-map', `maps: map '${name}': no such map in the object (have ${maps.map((x) => x.name).join(', ')})`);
    entries.forEach((e, i) => updateMap(lib, m, e, `maps: map '${name}': entry ${i}`, programFd));
  }

  // Readers exist before the run, as an application's would: a perf event array slot without one is -ENOENT.
  const eventMaps = maps.filter((m) => m.type === BPF_MAP_TYPE.BPF_MAP_TYPE_RINGBUF || m.type === BPF_MAP_TYPE.BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  const readers = eventMaps.length > 0 ? lib.openEventReaders(eventMaps.map((m) => ({ fd: m.fd, perf: m.type === BPF_MAP_TYPE.BPF_MAP_TYPE_PERF_EVENT_ARRAY }))) : undefined;
  try {
    return testRun(lib, prog, progType, req, kind, maps, eventMaps, readers, programIdsOf(lib, obj));
  } finally {
    readers?.close();
  }
}

/** The loaded programs of `obj` by kernel program id (what a prog-array slot reads back as). */
function programIdsOf(lib: Libbpf, obj: Ptr): Map<number, string> {
  const programIds = new Map<number, string>();
  for (let p = lib.bpf_object__next_program(obj, null); p; p = lib.bpf_object__next_program(obj, p)) {
    const fd = lib.bpf_program__fd(p);
    if (fd < 0) continue;
    const info = Buffer.alloc(256);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(info.length);
    if (lib.bpf_obj_get_info_by_fd(fd, info, len) === 0) programIds.set(info.readUInt32LE(4), lib.bpf_program__name(p));
  }
  return programIds;
}

function testRun(lib: Libbpf, prog: Ptr, progType: number, req: KernelCase, kind: CtxKind, maps: OpenMap[], eventMaps: OpenMap[], readers: EventReaders | undefined, programIds: Map<number, string>): KernelResult {
  const packet = Buffer.from(req.packet);
  const ctxGiven = req.ctx !== undefined;
  // XDP always gets a ctx_in so ctx_out tells where data starts after metadata (data_out has both).
  const ctxIn = kind === 'xdp' || ctxGiven ? encodeCtx(kind, req.ctx ?? {}, packet.length) : undefined;
  const ctxOut = ctxIn ? Buffer.alloc(ctxIn.length) : undefined;
  const dataOut = Buffer.alloc(packet.length + DATA_OUT_SLACK);
  const repeat = req.repeat ?? 1;
  const opts = encodeTestRunOpts({ dataIn: packet, dataOut, ctxIn, ctxOut, repeat }, lib.address);
  const runRc = lib.bpf_prog_test_run_opts(lib.bpf_program__fd(prog), opts);
  if (runRc < 0) {
    throw new KernelError('kernel/test-run', `test run of '${req.program}': BPF_PROG_TEST_RUN failed (${errnoName(runRc)})`, { errno: errnoName(runRc) });
  }
  const out = decodeTestRunOpts(opts);
  const data = dataOut.subarray(0, out.dataSizeOut);
  let metaLen = 0;
  if (kind === 'xdp' && ctxOut && out.ctxSizeOut >= 4) metaLen = Math.min(ctxOut.readUInt32LE(0), data.length);

  const result: KernelResult = {
    retval: out.retval,
    progType,
    section: lib.bpf_program__section_name(prog),
    packet: new Uint8Array(data.subarray(metaLen)),
    maps: {},
  };
  if (metaLen > 0) result.meta = new Uint8Array(data.subarray(0, metaLen));
  if (ctxGiven && ctxOut) result.ctx = decodeCtx(kind, ctxOut, [...(kind === 'xdp' ? XDP_CTX_IN_FIELDS : SKB_CTX_IN_FIELDS)]);
  if (req.repeat !== undefined) result.durationNs = out.duration;
  for (const m of maps) {
    const entries = dumpMap(lib, m, (id) => programIds.get(id));
    if (entries) result.maps[m.name] = entries;
  }
  if (readers) {
    // A ring buffer record does not say its CPU: the run's, CPU 0 (run-on-kernel.ts pins the child there).
    result.events = readers.consume().flatMap((records, i) => records.map((r) => ({ map: eventMaps[i]!.name, cpu: Math.max(r.cpu, 0), data: r.data })));
  }
  return result;
}

/** Keeps buffers whose addresses libbpf was given referenced until this call. */
function keepUntilHere(...buffers: (Buffer | undefined)[]): number {
  return buffers.reduce((n, b) => n + (b?.length ?? 0), 0);
}
