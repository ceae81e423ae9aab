/**
 * bpfsim's public API: load a clang-compiled BPF object, read and write its maps through BTF,
 * run its XDP and TC programs on packets in a userspace VM, and run case files on the VM or the
 * kernel. Shaped after cilium/ebpf: `load` gives a live object, `program(name)` and `map(name)`
 * give handles.
 */
export { load, BpfObject, DEFAULT_CPUS, DEFAULT_BUDGET, DEFAULT_CLOCK_NS, DEFAULT_SEED, type LoadOptions, type RunEvent } from './sim/object.js';
export type { StreamedEvent } from './sim/event-stream.js';
export { Machine, type MachineOptions } from './sim/machine.js';
export { parseTopology, readTopology, DEFAULT_HOP_LIMIT, type TopologyFile, type TopologySpec, type TopologyInterface, type TopologyObject, type TopologyAttach } from './sim/topology.js';
export { TopologySim, simulateCapture, type Hop, type TopologyRun, type Delivery, type DeliveredPacket, type SimulateOptions } from './sim/topology-sim.js';
export { Program, type RunOptions, type RepeatOptions, type ProgramRun, type CtxInput } from './sim/program.js';
export { BpfMap, type MapInput, type SetOptions } from './sim/map-handle.js';
export type { CValue } from './sim/btf-values.js';
export type { RodataValues } from './sim/rodata.js';
export { defaultStackFill } from './sim/uninit.js';
export { formatTrace, type ExecTrace } from './vm/trace.js';
export { readCase, parseCase, type Case, type CaseEntry } from './sim/case.js';
export { runCase, type RunCaseOptions } from './sim/backend.js';
export { resultJson, type CaseResult, type CaseMapEntry, type CaseEvent } from './sim/result.js';
export { unmetExpectations } from './sim/run-case.js';
export { parity, type ParityReport } from './sim/parity-api.js';
export { kernelAvailable, possibleCpus } from './kernel/index.js';
export { loadObject, loadObjectFile } from './loader/load-object.js';
export type { ObjectSpec, ProgramSpec, MapSpec, SourceLine } from './loader/spec.js';
export type { CaseFile, RunResult, ResultMapEntry, FibSpec, SocketSpec, ConntrackSpec, Warning } from './internal/contract.js';
export type { ConntrackEntryView } from './helpers/conntrack-table.js';
export * from './internal/errors.js';
export { toHex, fromHex } from './internal/hex.js';
export * from './packet/index.js';
export { BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK, XDP_ACTION, TC_ACT, BPF_MAP_TYPE, BPF_PROG_TYPE, actionName, mapTypeName, progTypeName } from './uapi/index.js';
