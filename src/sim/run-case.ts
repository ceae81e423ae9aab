import type { ResultMapEntry, RunResult } from '../internal/contract.js';
import { CaseError, withContext } from '../internal/errors.js';
import { toHex } from '../internal/hex.js';
import { dumpMap } from '../maps/index.js';
import { checkChecksums } from '../packet/checksum.js';
import { actionName, BPF_ANY, BPF_MAP_TYPE } from '../uapi/index.js';
import { checkEntryKind } from '../maps/check.js';
import type { ObjectSpec } from '../loader/spec.js';
import type { Case } from './case.js';
import { Machine, resolveProgType, type MachineOptions } from './machine.js';
import { resultEvents, type EventTypes } from './events.js';
import { recordingMapKeys, uninitKeyWarnings, type MapKeyUse } from './uninit.js';
import { formatErrno } from '../uapi/errno.js';

/** Options of {@link runCaseOnVm}. */
export type VmRunOptions = Omit<MachineOptions, 'fib' | 'type'> & {
  /** The object's spec when the caller has read it already (Machine.readSpec); default read from the case's object. */
  spec?: ObjectSpec;
  /** Record types of ring buffers and perf event arrays, for decoding `events` through BTF; default none. */
  eventTypes?: EventTypes;
};

/** Writes the case's map entries into a machine's maps, in order (as `bpftool map update` would). */
export function applyCaseMaps(machine: Machine, c: Case): void {
  for (const [name, entries] of Object.entries(c.maps)) {
    const map = withContext(`maps.${name}`, () => machine.map(name));
    entries.forEach((entry, i) => {
      checkEntryKind(map.spec.type, entry, `maps.${name}[${i}]`);
      let value = entry.value;
      if (entry.program !== undefined) {
        const index = machine.spec.programs.findIndex((p) => p.name === entry.program);
        if (index < 0) throw new CaseError('case/unknown-program', `maps.${name}[${i}]: no program '${entry.program}' in the object`);
        value = new Uint8Array(new Uint32Array([index]).buffer);
      }
      const rc = withContext(`maps.${name}[${i}]`, () => map.write(entry.key, [value!], BPF_ANY));
      if (rc < 0) throw new CaseError('case/map-update', `maps.${name}[${i}]: update failed with ${formatErrno(rc)}`);
    });
  }
}

/** The result's `maps`: every map of the machine, as the design's JSON gives them. */
export function dumpMaps(machine: Machine): Record<string, ResultMapEntry[]> {
  const maps: Record<string, ResultMapEntry[]> = {};
  machine.maps.forEach((map, i) => {
    const spec = machine.spec.maps[i]!;
    if (spec.type === BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY) {
      // A slot holds a program's index in the object; results name the program, as the kernel backend does.
      maps[spec.name] = dumpMap(map).map(({ key, values }) => ({ key: toHex(key), program: machine.spec.programs[new DataView(values[0]!.buffer, values[0]!.byteOffset).getUint32(0, true)]?.name ?? 'unknown' }));
      return;
    }
    maps[spec.name] = dumpMap(map).map(({ key, values }) => {
      const entry: ResultMapEntry = { key: toHex(key), value: toHex(values[values.length > 1 ? machine.cpu : 0]!) };
      if (values.length > 1) entry.values = values.map(toHex);
      return entry;
    });
  });
  return maps;
}

/** One run of a case on a fresh machine, recording the keys handed to map helpers. */
function runOnce(c: Case, spec: ObjectSpec, options: MachineOptions, stackFill: number) {
  const keys: MapKeyUse[] = [];
  const machine = Machine.create(spec, { ...options, fib: c.fib, type: c.type, stackFill, wrapHelpers: (r) => recordingMapKeys(r, keys) }, c.objectPath);
  applyCaseMaps(machine, c);
  const program = machine.program(c.program);
  const out = machine.run(program.name, c.packet, c.ctx ?? {}, c.type);
  return { machine, program, out, keys };
}

/**
 * Runs a case on the VM and returns the design's result object. The case runs twice, on stacks
 * filled with 0x00 and with 0xff, so that map keys with uninitialised bytes show as warnings;
 * the result is the first run's.
 */
export async function runCaseOnVm(c: Case, options: VmRunOptions = {}): Promise<RunResult> {
  const { spec: given, eventTypes, ...machineOptions } = options;
  const spec = given ?? (await Machine.readSpec(c.objectPath, c.type, c.kernelBtfPath));
  const { machine, program, out, keys } = runOnce(c, spec, machineOptions, 0x00);
  const second = runOnce(c, spec, { ...machineOptions, trace: undefined }, 0xff);
  const warnings = uninitKeyWarnings(keys, second.keys, program, (i) => machine.spec.maps[i]?.name ?? `#${i}`);
  const progType = resolveProgType(program, c.type);
  const result: RunResult = {
    retval: out.retval,
    action: actionName(progType, out.retval),
    packet: toHex(out.packet),
    redirect: out.redirect,
    clones: out.clones.map((clone) => ({ ...clone, packet: toHex(clone.packet) })),
    maps: dumpMaps(machine),
    checksums: checkChecksums(out.packet),
    warnings,
    trace: out.trace,
    events: resultEvents(out.events, spec.btf, eventTypes),
  };
  if (c.ctx) result.ctx = out.ctx;
  return result;
}

/** The ways a result misses the case's `expect`, one line each; empty when it meets them. */
export function unmetExpectations(c: Case, result: RunResult): string[] {
  const misses: string[] = [];
  if (c.expect?.retval !== undefined && c.expect.retval !== result.retval) {
    misses.push(`expected retval ${c.expect.retval}, got ${result.retval} (${result.action})`);
  }
  if (c.expect?.action !== undefined && c.expect.action !== result.action) {
    misses.push(`expected action ${c.expect.action}, got ${result.action} (retval ${result.retval})`);
  }
  if (c.expect?.packet !== undefined) {
    const want = toHex(c.expect.packet);
    if (want !== result.packet) misses.push(`expected packet ${want}, got ${result.packet}`);
  }
  return misses;
}
