/**
 * bpfsim's public API: load a clang-compiled BPF object, read and write its maps, run its XDP
 * and TC programs on packets in a userspace VM, and run case files on the VM or the kernel.
 */
export { Machine, possibleCpus, type MachineOptions, type RunOutcome, type CtxInput } from './sim/machine.js';
export { readCase, parseCase, type Case, type CaseEntry } from './sim/case.js';
export { runCase, type RunCaseOptions } from './sim/backend.js';
export { unmetExpectations, dumpMaps } from './sim/run-case.js';
export { loadObject, loadObjectFile } from './loader/load-object.js';
export type { ObjectSpec, ProgramSpec, MapSpec, SourceLine } from './loader/spec.js';
export type { VmMap } from './vm/env.js';
export type { CaseFile, RunResult, ResultMapEntry, FibSpec, Warning } from './internal/contract.js';
export * from './internal/errors.js';
export { toHex, fromHex } from './internal/hex.js';
export * from './packet/index.js';
export { BPF_ANY, BPF_NOEXIST, BPF_EXIST, XDP_ACTION, TC_ACT, BPF_MAP_TYPE, BPF_PROG_TYPE, actionName, mapTypeName, progTypeName } from './uapi/index.js';

/** Loads an object file (or its bytes) into a live {@link Machine}; shorthand for `Machine.load`. */
export { load } from './sim/load.js';
