import { equalBytes } from '../internal/bytes.js';
import { CaseError, withContext } from '../internal/errors.js';
import { toHex } from '../internal/hex.js';
import { dumpMap } from '../maps/index.js';
import { BPF_ANY, BPF_MAP_TYPE } from '../uapi/index.js';
import { checkEntryKind } from '../maps/check.js';
import type { ObjectSpec } from '../loader/spec.js';
import { resultEvents, type EventTypes } from './events.js';
import { formatErrno } from '../uapi/errno.js';
import type { Case, CaseEntry } from './case.js';
import { BpfObject, type InternalOptions } from './object.js';
import { rodataImage } from './rodata.js';
import type { CaseMapEntry, CaseResult } from './result.js';
import { commonWarnings, defaultStackFill } from './uninit.js';
import { LAYOUT } from '../vm/layout.js';

/** Options of {@link runCaseOnVm}. */
export type VmRunOptions = Omit<InternalOptions, 'fib' | 'sockets' | 'conntrack' | 'type' | 'rodata' | 'beforeFreeze'> & {
  /** Record the run's instruction trace in the result's `execTrace` (and a fault's); runs on the interpreter. Default false. */
  trace?: boolean;
  /** The object's spec when the caller has read it already (BpfObject.readSpec); default read from the case's object. */
  spec?: ObjectSpec;
  /** Record types of ring buffers and perf event arrays, for decoding `events` through BTF; default none. */
  eventTypes?: EventTypes;
};

const isRodata = (name: string) => name === '.rodata' || name.startsWith('.rodata.');

/**
 * The case's map entries with its `rodata` variables folded into entries of the read-only
 * sections they live in (the section's value starting from the case's own entry, else the
 * object's initial data): what both backends write, `.rodata` before load and the rest after.
 */
export function caseMapEntries(c: Case, spec: ObjectSpec): Record<string, CaseEntry[]> {
  if (c.rodata === undefined) return c.maps;
  const given = (section: string) => c.maps[section]?.findLast((e) => e.value !== undefined)?.value;
  const images = withContext(c.path, () => rodataImage(spec, c.rodata!, given));
  const maps: Record<string, CaseEntry[]> = { ...c.maps };
  for (const [section, image] of images) maps[section] = [{ key: new Uint8Array(4), value: image }];
  return maps;
}

/** Writes map entries in order (as `bpftool map update` would): `.rodata` ones when `rodata`, the others otherwise. */
function writeEntries(obj: BpfObject, maps: Record<string, CaseEntry[]>, rodata: boolean): void {
  for (const [name, entries] of Object.entries(maps)) {
    if (isRodata(name) !== rodata) continue;
    const index = withContext(`maps.${name}`, () => {
      obj.map(name);
      return obj.spec.maps.findIndex((m) => m.name === name);
    });
    const map = obj.maps[index]!;
    entries.forEach((entry, i) => {
      checkEntryKind(map.spec.type, entry, `maps.${name}[${i}]`);
      let value = entry.value;
      if (entry.program !== undefined) {
        const program = obj.spec.programs.findIndex((p) => p.name === entry.program);
        if (program < 0) throw new CaseError('case/unknown-program', `maps.${name}[${i}]: no program '${entry.program}' in the object`);
        value = new Uint8Array(new Uint32Array([program]).buffer);
      }
      const rc = withContext(`maps.${name}[${i}]`, () => map.write(entry.key, [value!], BPF_ANY));
      if (rc < 0) throw new CaseError('case/map-update', `maps.${name}[${i}]: update failed with ${formatErrno(rc)}`);
    });
  }
}

/**
 * A live object for a case: its fib and type, its `.rodata` entries and `rodata` variables set
 * before load, then its other map entries written in order.
 */
export function objectForCase(c: Case, spec: ObjectSpec, options: InternalOptions = {}): BpfObject {
  const maps = caseMapEntries(c, spec);
  const deviceBound = c.deviceBound === undefined ? {} : { deviceBound: c.deviceBound === true ? [boundProgramName(c, spec)] : c.deviceBound };
  const obj = BpfObject.create(spec, { ...options, ...deviceBound, fib: c.fib, sockets: c.sockets, conntrack: c.conntrack, type: c.type, beforeFreeze: (o) => writeEntries(o, maps, true) }, c.objectPath);
  writeEntries(obj, maps, false);
  return obj;
}

/** The function name of the case's program (a case may name it by its section), for LoadOptions.deviceBound. */
function boundProgramName(c: Case, spec: ObjectSpec): string {
  if (spec.programs.some((p) => p.name === c.program)) return c.program;
  const bySection = spec.programs.filter((p) => p.sectionName === c.program);
  return bySection.length === 1 ? bySection[0]!.name : c.program;
}

/** The result's `maps`: every map of the object, as the design's JSON lists them (`cpu`: the CPU the run happened on). */
export function dumpMaps(obj: BpfObject, cpu = 0): Record<string, CaseMapEntry[]> {
  const maps: Record<string, CaseMapEntry[]> = {};
  obj.maps.forEach((map, i) => {
    const spec = obj.spec.maps[i]!;
    if (spec.type === BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY) {
      // A slot holds a program's index in the object; results name the program, as the kernel backend does.
      maps[spec.name] = dumpMap(map).map(({ key, values }) => ({ key, program: obj.spec.programs[new DataView(values[0]!.buffer, values[0]!.byteOffset).getUint32(0, true)]?.name ?? 'unknown' }));
      return;
    }
    maps[spec.name] = dumpMap(map).map(({ key, values }) => {
      const entry: CaseMapEntry = { key, value: values[values.length > 1 ? cpu : 0]! };
      if (values.length > 1) entry.values = values;
      return entry;
    });
  });
  return maps;
}

/** The stack fill of the second run of a case: the default fill with every bit flipped, so no byte is the same. */
const SECOND_FILL = defaultStackFill(LAYOUT.STACK_SIZE).map((b) => b ^ 0xff);

/**
 * Runs a case on the VM and returns the design's result object. The case runs twice, on fresh
 * objects whose stacks start with two fills that differ in every byte, and warns about map keys
 * whose bytes held the fill in both runs (never written); the result is the first run's.
 */
export async function runCaseOnVm(c: Case, options: VmRunOptions = {}): Promise<CaseResult> {
  const { spec: given, eventTypes, trace, ...objectOptions } = options;
  const spec = given ?? (await BpfObject.readSpec(c.objectPath, c.type, c.kernelBtfPath, c.kconfig));
  const obj = objectForCase(c, spec, objectOptions);
  const out = obj.program(c.program).run(c.packet, { ctx: c.ctx ?? {}, trace, ...(c.tunnel && { tunnel: c.tunnel }), ...(c.rxMetadata && { rxMetadata: c.rxMetadata }) });
  let warnings = out.warnings;
  if (warnings.length > 0) {
    const second = objectForCase(c, spec, { ...objectOptions, onInsn: undefined });
    warnings = commonWarnings(warnings, second.program(c.program).run(c.packet, { ctx: c.ctx ?? {}, stackFill: SECOND_FILL, ...(c.tunnel && { tunnel: c.tunnel }), ...(c.rxMetadata && { rxMetadata: c.rxMetadata }) }).warnings);
  }
  const result: CaseResult = {
    retval: out.retval,
    action: out.action,
    packet: out.packet,
    redirect: out.redirect,
    ...(out.tunnel && { tunnel: out.tunnel }),
    clones: out.clones,
    maps: dumpMaps(obj),
    checksums: out.checksums,
    warnings,
    trace: out.trace,
    events: resultEvents(out.events, spec.btf, eventTypes),
  };
  if (c.ctx) result.ctx = out.ctx;
  if (out.execTrace) result.execTrace = out.execTrace;
  return result;
}

/** The ways a result misses the case's `expect`, one line each; empty when it meets them. */
export function unmetExpectations(c: Case, result: CaseResult): string[] {
  const misses: string[] = [];
  if (c.expect?.load !== undefined) misses.push(`expected the load to fail with '${c.expect.load}', but the program loaded (${result.action}, retval ${result.retval})`);
  if (c.expect?.retval !== undefined && c.expect.retval !== result.retval) {
    misses.push(`expected retval ${c.expect.retval}, got ${result.retval} (${result.action})`);
  }
  if (c.expect?.action !== undefined && c.expect.action !== result.action) {
    misses.push(`expected action ${c.expect.action}, got ${result.action} (retval ${result.retval})`);
  }
  if (c.expect?.packet !== undefined && !equalBytes(c.expect.packet, result.packet)) {
    misses.push(`expected packet ${toHex(c.expect.packet)}, got ${toHex(result.packet)}`);
  }
  return misses;
}

