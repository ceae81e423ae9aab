import { INPUT_LIMITS, readInputFile } from '../internal/input-file.js';
import { checkInt, checkObject, checkOneOf, describe } from '../internal/args.js';
import { ArgumentError, CaseError, LoadError, SimError, VmFault } from '../internal/errors.js';
import type { Btf } from '../btf/btf.js';
import type { KconfigValue } from '../loader/externs.js';
import { loadObject } from '../loader/load-object.js';
import type { ObjectSpec, ProgramSpec } from '../loader/spec.js';
import { createMap, isEventSource } from '../maps/index.js';
import { checkHelpers, createHelperRegistry, gplOnly, SimKernel } from '../helpers/index.js';
import { gplGuard } from '../vm/protocol.js';
import { isGplCompatible, PROG_TYPE_BY_NAME } from '../verifier/index.js';
import type { ConntrackSpec, FibSpec, ProgTypeName, SocketSpec } from '../internal/contract.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE, helperId, progTypeName } from '../uapi/index.js';
import { getEngine } from '../vm/engines.js';
import { Interpreter } from '../vm/interpreter.js';
import type { TraceHook } from '../vm/trace.js';
import type { Engine, Executable, HelperRegistry, VmMap } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { FRAME_SIZE, LAYOUT, STACK_END } from '../vm/layout.js';
import { EventStream, type StreamedEvent } from './event-stream.js';
import { decodeRecord, eventTypeId } from './events.js';
import { Machine } from './machine.js';
import type { ConntrackEntryView } from '../helpers/conntrack-table.js';
import { BpfMap } from './map-handle.js';
import { Program } from './program.js';
import { applyRodata, type RodataValues } from './rodata.js';
import { sourceOf } from '../loader/source-line.js';
import { recordingMapKeys, type MapKeyUse } from './uninit.js';
import { isNetworkingType, verifyAtLoad, type ProvenFacts } from './verify-load.js';

/** The number of CPUs an object has when `cpus` is not given: fixed, so per-CPU results are the same on every machine. */
export const DEFAULT_CPUS = 4;
/** The instruction budget of a run when `budget` is not given (the kernel's BPF_COMPLEXITY_LIMIT_INSNS). */
export const DEFAULT_BUDGET = 1_000_000;
/** The simulated clock when `clock` is not given: one second after boot, in ns. */
export const DEFAULT_CLOCK_NS = 1_000_000_000n;
/** The seed of bpf_get_prandom_u32 when `seed` is not given. */
export const DEFAULT_SEED = 1;

/** Options of {@link load}; every field is optional and its default documented. */
export interface LoadOptions {
  /** Execution engine: `wasm` (default, compiled) or `interp` (the reference interpreter). */
  engine?: 'wasm' | 'interp';
  /** Possible CPUs, for per-CPU maps: default {@link DEFAULT_CPUS} (4), whatever the host has. */
  cpus?: number;
  /** Instruction budget per run; default {@link DEFAULT_BUDGET} (1,000,000). */
  budget?: number;
  /** Simulated clock, ns since boot, as bpf_ktime_get_ns reads it; default 1,000,000,000. It moves only when a run's `clock` sets it. */
  clock?: bigint | number;
  /** Seed of bpf_get_prandom_u32; default 1. */
  seed?: number;
  /** Kernel network state bpf_fib_lookup and redirects see; default only loopback (ifindex 1). */
  fib?: FibSpec;
  /**
   * Sockets of the namespace bpf_sk_lookup_tcp, bpf_sk_lookup_udp and bpf_skc_lookup_tcp find:
   * `[{ proto: 'tcp', local: '10.0.0.1:80' }, { proto: 'tcp', local: '10.0.0.1:80', remote:
   * '10.0.0.2:40000', state: 'established' }, { proto: 'udp', local: '0.0.0.0:53' }]`; default none.
   */
  sockets?: readonly SocketSpec[];
  /**
   * Entries of the namespace's conntrack table the conntrack kfuncs find: `[{ proto: 'tcp', src:
   * '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80, status: 0x6, mark: 7, timeout: 30000 }]`
   * (ConntrackSpec); entries programs insert stay for later runs. Default none.
   */
  conntrack?: readonly ConntrackSpec[];
  /** The type of programs whose section name does not tell (`xdp`, `tc`, `socket`); without it such a section is a load error. */
  type?: ProgTypeName;
  /**
   * `const volatile` globals by BTF variable name, set before load as libbpf skeletons do:
   * `{ target_port: 8080, vip: '10.0.0.1', backends: [...] }`. Afterwards `.rodata` is read-only.
   */
  rodata?: RodataValues;
  /**
   * The kernel BTF CO-RE relocations resolve against: a vmlinux BTF file (/sys/kernel/btf/vmlinux)
   * or decoded BTF; default the types bpfsim models (defaultKernelBtf).
   */
  kernelBtf?: string | Btf;
  /** Values of `.kconfig` externs by name, over the defaults (the running kernel's version). */
  kconfig?: Record<string, KconfigValue>;
  /**
   * The simulated kernel to load into, shared with other objects loaded into it: their maps
   * pinned by name (LIBBPF_PIN_BY_NAME) are one map. `cpus`, `clock`, `seed`, `fib`, `sockets` and `conntrack` are then
   * the machine's, and may not be given here. Default: a machine of the object's own.
   */
  machine?: Machine;
  /**
   * Record the keys programs hand to the map helpers, for the `uninit-map-key` warning of every
   * run; default true. The wasm engine's inline lookups stay on either way and report only keys
   * that still hold stack fill bytes; false skips even that test (benchmarks, replay).
   */
  keyWarnings?: boolean;
  /**
   * Verify the programs as the kernel's verifier would before they run (src/verifier): a program
   * the kernel would refuse to load makes `load` throw LoadRejected (`verifier/rejected`) with the
   * kernel's message and the C line, as the kernel backend fails at load. Default true. False
   * runs what the kernel refuses, with the engines' run-time checks only (bad accesses fault,
   * GPL-only helpers fault at their call): for testing those checks, not programs.
   */
  verify?: boolean;
  /**
   * XDP programs, by function name, loaded bound to a device as libbpf's
   * bpf_program__set_ifindex with BPF_F_XDP_DEV_BOUND_ONLY makes them: only those may call the XDP
   * metadata kfuncs (bpf_xdp_metadata_rx_*), whose answers a run's `rxMetadata` gives. Default none.
   */
  deviceBound?: readonly string[];
}

/** A record sent to user space through a ring buffer or perf event array (bpf_ringbuf_*, bpf_perf_event_output). */
export interface RunEvent {
  /** The map's name. */
  map: string;
  /** The CPU that produced it. */
  cpu: number;
  /** The record's bytes as a reader gets them. */
  data: Uint8Array;
}

/** Options bpfsim's own harness adds to {@link LoadOptions}; not part of the public API. */
export interface InternalOptions extends LoadOptions {
  /** Called after every executed instruction (line coverage); forces the interpreter. */
  onInsn?: TraceHook;
  /** Wraps each program type's helper registry (instrumentation). */
  wrapHelpers?: (registry: HelperRegistry) => HelperRegistry;
  /** Called with the object after its maps exist and before `.rodata` freezes (a case's `.rodata` entries). */
  beforeFreeze?: (obj: BpfObject) => void;
  /** Stop after verification, preparing no program: for a load verdict alone (parity). */
  verifyOnly?: boolean;
}

const TAIL_CALL = helperId('tail_call');

/**
 * A loaded object made live, as cilium/ebpf's Collection: its maps hold values in one VM memory,
 * its programs are prepared on an engine, and a simulated kernel (clock, random numbers, FIB)
 * answers helper calls. `program(name)` and `map(name)` give handles to run programs and to read
 * and write maps. Made by {@link load}.
 */
export class BpfObject {
  readonly mem: VmMemory;
  /** The live maps, in ObjectSpec.maps order (the VM's view; use {@link map} for a handle). */
  readonly maps: VmMap[];
  readonly kernel: SimKernel;
  readonly cpus: number;
  budget: number;
  /** Keys handed to the map helpers in the run in progress, when recording. */
  keyLog: MapKeyUse[] | undefined;
  private readonly engine: Engine;
  /** Indices of the maps that hold records for user space (ring buffers, perf event arrays). */
  private readonly eventMaps: number[];
  private readonly frozen = new Set<number>();
  /** What the verifier proved of each program at load, by name (none with `verify: false`): the engine drops the checks it covers. */
  private proven = new Map<string, ProvenFacts>();
  private executables: (Executable | undefined)[] = [];
  /** Programs of a type bpfsim does not run, by index: an error only when one of them runs. */
  private unsupported = new Map<number, SimError>();
  private tracedExecutables: (Executable | undefined)[] | undefined;
  /** Where the interpreter of traced runs reports each instruction, during such a run. */
  traceSink: TraceHook | undefined;
  private preparedFor = -1;
  private readonly typeIndependent: boolean;
  private readonly registries = new Map<number, HelperRegistry>();
  private readonly programHandles = new Map<string, Program>();
  private readonly mapHandles = new Map<string, BpfMap>();
  /** Pinned maps this object reuses, by name: the object that created each (its BTF types the map). */
  private readonly sharedFrom = new Map<string, ObjectSpec>();

  constructor(
    readonly spec: ObjectSpec,
    readonly options: InternalOptions = {},
  ) {
    checkLoadOptions(options);
    const machine = options.machine ?? new Machine({ cpus: options.cpus, clock: options.clock, seed: options.seed, fib: options.fib, sockets: options.sockets, conntrack: options.conntrack });
    this.mem = machine.mem;
    this.cpus = machine.cpus;
    this.kernel = machine.kernel;
    this.budget = options.budget ?? DEFAULT_BUDGET;
    const indexOf = (list: { name: string }[]) => (name: string) => {
      const i = list.findIndex((item) => item.name === name);
      return i < 0 ? undefined : i;
    };
    const mapOptions = {
      cpus: this.cpus,
      programIndex: indexOf(spec.programs),
      programCount: spec.programs.length,
      mapIndex: indexOf(spec.maps),
      mapCount: spec.maps.length,
      ifindexExists: (ifindex: number) => this.kernel.network.interface(ifindex) !== undefined,
    };
    this.maps = spec.maps.map((m) => {
      const { map, owner } = machine.mapFor(m, spec, () => createMap(m, this.mem, mapOptions));
      if (owner !== spec) this.sharedFrom.set(m.name, owner);
      return map;
    });
    this.eventMaps = this.maps.flatMap((m, i) => (isEventSource(m) ? [i] : []));
    if (options.rodata !== undefined) applyRodata(this, options.rodata);
    options.beforeFreeze?.(this);
    // libbpf freezes read-only global data after creating it (bpf_map_freeze): writes from user space fail with EPERM.
    spec.maps.forEach((m, i) => {
      if (m.source === 'data' && (m.name === '.rodata' || m.name.startsWith('.rodata.'))) this.frozen.add(i);
    });
    if (options.verify !== false) this.verify();
    this.engine = options.onInsn ? new Interpreter() : getEngine(options.engine ?? 'wasm');
    // Objects whose programs all have their type from their section are checked and compiled now,
    // so that a load error shows at load; untyped ones wait for the run that names their type.
    this.typeIndependent = spec.programs.every((p) => p.type !== BPF_PROG_TYPE.BPF_PROG_TYPE_UNSPEC);
    if (this.typeIndependent && !options.verifyOnly) this.prepare(BPF_PROG_TYPE.BPF_PROG_TYPE_XDP);
  }

  /**
   * Reads an object's spec from a path or its bytes. With `type` (a case's), programs in sections
   * that do not tell their type load untyped; without it they are a load error.
   */
  static async readSpec(object: string | Uint8Array, type?: ProgTypeName, kernelBtf?: string | Btf, kconfig?: Record<string, KconfigValue>): Promise<ObjectSpec> {
    if (typeof object !== 'string' && !(object instanceof Uint8Array)) {
      throw new ArgumentError('arg/type', `object: expected a path or a Uint8Array, got ${describe(object)}`, 'object');
    }
    const bytes = typeof object === 'string' ? await readObjectFile(object) : object;
    return inObject(typeof object === 'string' ? object : undefined, () => loadObject(bytes, { programType: type ? BPF_PROG_TYPE.BPF_PROG_TYPE_UNSPEC : undefined, kernelBtf, kconfig }));
  }

  /** An object for an already read spec; `path` names the object in errors that come from it. */
  static create(spec: ObjectSpec, options: InternalOptions = {}, path?: string): BpfObject {
    return inObject(path, () => new BpfObject(spec, options));
  }

  /**
   * Has the verifier check every program that can load (verify-load.ts), seeing `.rodata` as the
   * kernel does after libbpf set it and froze it: with the values of `rodata` and the case's entries.
   */
  private verify(): void {
    const frozen = new Map<number, Uint8Array>();
    for (const i of this.frozen) {
      const value = this.maps[i]!.read(new Uint8Array(4))?.[0];
      if (value) frozen.set(i, value);
    }
    const type = this.options.type;
    const untypedAs = type === undefined ? undefined : PROG_TYPE_BY_NAME[type];
    this.proven = verifyAtLoad(this.spec, untypedAs, frozen, this.deviceBoundPrograms(untypedAs));
  }

  /** options.deviceBound checked against the programs: each names an XDP program (the kernel refuses BPF_F_XDP_DEV_BOUND_ONLY for other types with -EINVAL). */
  private deviceBoundPrograms(untypedAs: number | undefined): Set<string> {
    const names = new Set(this.options.deviceBound ?? []);
    for (const name of names) {
      const prog = this.spec.programs.find((p) => p.name === name);
      if (!prog) throw new ArgumentError('arg/range', `options.deviceBound: no program '${name}' in the object`, 'options.deviceBound');
      const progType = prog.type === BPF_PROG_TYPE.BPF_PROG_TYPE_UNSPEC ? untypedAs : prog.type;
      if (progType !== BPF_PROG_TYPE.BPF_PROG_TYPE_XDP) throw new ArgumentError('arg/range', `options.deviceBound: program '${name}' is not an XDP program: only XDP programs bind to a device`, 'options.deviceBound');
    }
    return names;
  }

  /** What loaded but may not behave as the object meant (a pinning value libbpf does not know), one line each. */
  get warnings(): string[] {
    return this.spec.warnings ?? [];
  }

  /** The names of the object's programs, in ELF order. */
  get programNames(): string[] {
    return this.spec.programs.map((p) => p.name);
  }

  /** The names of the object's maps (`.maps` first, then global data sections). */
  get mapNames(): string[] {
    return this.spec.maps.map((m) => m.name);
  }

  /** A handle on the program named `name` (its function name), or the only one in section `name`. */
  program(name: string): Program {
    const cached = this.programHandles.get(name);
    if (cached) return cached;
    if (typeof name !== 'string') throw new ArgumentError('arg/type', `program: expected a name, got ${describe(name)}`, 'name');
    const spec = this.findProgram(name);
    const handle = new Program(this, spec, this.spec.programs.indexOf(spec));
    this.programHandles.set(name, handle);
    return handle;
  }

  private findProgram(name: string): ProgramSpec {
    const byName = this.spec.programs.find((p) => p.name === name);
    if (byName) return byName;
    const bySection = this.spec.programs.filter((p) => p.sectionName === name);
    if (bySection.length === 1) return bySection[0]!;
    const known = this.programNames.join(', ') || 'none';
    if (bySection.length > 1) throw new CaseError('case/ambiguous-program', `section '${name}' has ${bySection.length} programs (${known}): name one`);
    throw new CaseError('case/unknown-program', `no program '${name}' in the object (programs: ${known})`);
  }

  /** Readers of the records runs send to ring buffers and perf event arrays ({@link events}). */
  readonly eventStream = new EventStream();

  /**
   * The records this object's runs send to ring buffers and perf event arrays, as an async
   * iterator a reader consumes while programs run (`for await (const e of obj.events())`): every
   * record of every run that finishes after the call, in the order a kernel reader reads them,
   * waiting while there is none. `maps` limits it to those maps (each a ring buffer or perf
   * event array of the object); `types` names the record type of a map (a BTF type of the
   * object, `struct flow_event`) so that each record comes with its decoded `value`; `signal`
   * ends it (records already queued come first). Leaving the loop ends it too.
   */
  events(options: { maps?: string[]; types?: Record<string, string>; signal?: AbortSignal } = {}): AsyncIterableIterator<StreamedEvent> {
    checkObject(options, 'options');
    const sources = this.eventMaps.map((i) => this.spec.maps[i]!.name);
    const wanted = options.maps ?? sources;
    if (!Array.isArray(wanted)) throw new ArgumentError('arg/type', `options.maps: expected an array of map names, got ${describe(wanted)}`, 'options.maps');
    for (const name of [...wanted, ...Object.keys(options.types ?? {})]) {
      if (!sources.includes(name)) throw new ArgumentError('arg/range', `options: '${name}' is not a ring buffer or perf event array of the object (${sources.join(', ') || 'none'})`, 'options.maps');
    }
    const btf = this.spec.btf;
    const ids = new Map(Object.entries(options.types ?? {}).map(([map, spelling]) => [map, eventTypeId(btf, map, spelling)]));
    const decode = (e: RunEvent): StreamedEvent => {
      const id = ids.get(e.map);
      return btf !== undefined && id !== undefined ? { ...e, value: decodeRecord(btf, id, e.data) } : { ...e };
    };
    return this.eventStream.subscribe((map) => wanted.includes(map), decode, options.signal);
  }

  /** A live handle on the map named `name` (`flows`, `.rodata`). */
  map(name: string): BpfMap {
    const cached = this.mapHandles.get(name);
    if (cached) return cached;
    if (typeof name !== 'string') throw new ArgumentError('arg/type', `map: expected a name, got ${describe(name)}`, 'name');
    const index = this.spec.maps.findIndex((m) => m.name === name);
    if (index < 0) throw new CaseError('case/unknown-map', `no map '${name}' in the object (maps: ${this.mapNames.join(', ') || 'none'})`);
    const handle = new BpfMap(this.maps[index]!, this.sharedFrom.get(name) ?? this.spec, this.cpus, this.frozen.has(index));
    this.mapHandles.set(name, handle);
    return handle;
  }

  /**
   * Writes a run's stack fill (LAYOUT.STACK_SIZE bytes, as the stack ends) into the call frames a
   * run can reach: frame 0 alone when no program of the object has a BPF-to-BPF function or
   * callback (a tail call runs in its caller's frame), else every frame.
   */
  writeStackFill(fill: Uint8Array): void {
    if (this.lastFill?.whole !== fill) {
      const { at, len } = this.stackFillRange();
      this.lastFill = { whole: fill, reached: fill.subarray(LAYOUT.STACK_SIZE - len), at };
    }
    this.mem.u8.set(this.lastFill.reached, this.lastFill.at);
  }

  /** Where {@link writeStackFill} writes: the first address of the frames a run can reach, and their length in bytes. */
  stackFillRange(): { at: number; len: number } {
    const frames = this.spec.programs.every((p) => p.functions.length <= 1) ? 1 : LAYOUT.STACK_SIZE / FRAME_SIZE;
    return { at: STACK_END - frames * FRAME_SIZE, len: frames * FRAME_SIZE };
  }

  /** The last fill {@link writeStackFill} wrote, and its part for the frames a run reaches. */
  private lastFill: { whole: Uint8Array; reached: Uint8Array; at: number } | undefined;

  /** The helper registry programs of `progType` run with (wrapped as the options say). */
  registryFor(progType: number): HelperRegistry {
    let registry = this.registries.get(progType);
    if (!registry) {
      registry = createHelperRegistry(progType, this.kernel);
      if (this.options.wrapHelpers) registry = this.options.wrapHelpers(registry);
      // The verifier refuses a GPL-only helper from a non-GPL program at load; without it
      // (`verify: false`) the call faults.
      if (this.options.verify === false && !isGplCompatible(this.spec.license)) registry = gplGuard(registry, (id) => gplOnly(id, progType));
      if (this.options.keyWarnings !== false) registry = recordingMapKeys(registry, () => this.keyLog);
      this.registries.set(progType, registry);
    }
    return registry;
  }

  /**
   * Checks and prepares every program of the object on the engine: programs of a networking type
   * keep their own, the others (a section libbpf types by `type` in the case) take `progType`.
   * Done once per program type; a tail call reaches the programs prepared here. A program of a
   * type bpfsim does not run is left out, and is an error only when it runs.
   */
  prepare(progType: number, traced = false): (Executable | undefined)[] {
    if (traced) {
      if (!this.tracedExecutables || this.preparedFor !== progType) {
        this.tracedExecutables = this.prepareOn(new Interpreter(), progType, (...a) => {
          this.traceSink?.(...a);
          this.options.onInsn?.(...a);
        });
      }
      return this.tracedExecutables;
    }
    if (this.preparedFor === progType || (this.typeIndependent && this.preparedFor >= 0)) return this.executables;
    this.unsupported = new Map();
    this.executables = this.prepareOn(this.engine, progType, this.options.onInsn);
    this.tracedExecutables = undefined;
    this.preparedFor = progType;
    return this.executables;
  }

  private prepareOn(engine: Engine, progType: number, trace: TraceHook | undefined): (Executable | undefined)[] {
    return this.spec.programs.map((program, index) => {
      if (program.type !== BPF_PROG_TYPE.BPF_PROG_TYPE_UNSPEC && !isNetworkingType(program.type)) {
        // A kprobe, cgroup or tracing program next to the TC ones: listed, never compiled, refused if a tail call reaches it.
        this.unsupported.set(index, unrunnableType(program));
        return undefined;
      }
      const type = isNetworkingType(program.type) ? program.type : progType;
      checkHelpers(program, type);
      const machine = { mem: this.mem, maps: this.maps, helpers: this.registryFor(type) };
      if (trace && engine instanceof Interpreter) return engine.prepare(program, machine, { trace });
      // Facts hold for runs of the type the program was verified as.
      const proven = this.proven.get(program.name);
      return engine.prepare(program, machine, proven?.progType === type ? { proven: proven.facts } : {});
    });
  }

  /**
   * Throws the error of a program that cannot run, for the program `index` and every program it
   * may reach by tail calls (those the object's prog arrays hold now: a program cannot change them).
   */
  checkRunnable(index: number): void {
    if (this.unsupported.size === 0) return;
    const seen = new Set<number>([index]);
    const queue = [index];
    while (queue.length > 0) {
      const at = queue.pop()!;
      const err = this.unsupported.get(at);
      if (err) throw err;
      const program = this.spec.programs[at]!;
      if (!program.insns.some((insn) => insn.opcode === 0x85 && insn.src === 0 && insn.imm === TAIL_CALL)) continue;
      this.maps.forEach((map) => {
        if (map.spec.type !== BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY) return;
        for (let key = map.nextKey(null); key !== null; key = map.nextKey(key)) {
          const slot = map.read(key)?.[0];
          const target = slot ? new DataView(slot.buffer, slot.byteOffset).getUint32(0, true) : undefined;
          if (target !== undefined && !seen.has(target)) {
            seen.add(target);
            queue.push(target);
          }
        }
      });
    }
  }

  /** The conntrack table's entries now (the machine's): those given at load and those programs inserted, expired ones left out. */
  conntrackEntries(): ConntrackEntryView[] {
    return this.kernel.conntrack.list();
  }

  /** {@link drainEvents}, or undefined when no map of the object holds records for user space or none holds one. */
  takeEvents(): RunEvent[] | undefined {
    if (this.eventMaps.length === 0) return undefined;
    const events = this.drainEvents();
    return events.length === 0 ? undefined : events;
  }

  /** Reads every record the maps hold for user space, as a ring buffer or perf buffer reader would. */
  drainEvents(): RunEvent[] {
    const events: RunEvent[] = [];
    for (const i of this.eventMaps) {
      const map = this.maps[i]!;
      if (!isEventSource(map)) continue;
      for (const { cpu, data } of map.drainEvents()) events.push({ map: map.spec.name, cpu, data });
    }
    return events;
  }

  /**
   * Runs `fn`; a VmFault it throws gets the `file.c:42` of the faulting instruction, in its
   * `source` and at the end of its message: in the tail-called program the fault names, else in
   * `started`, the program the run started with.
   */
  withFaultSource<T>(started: ProgramSpec, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.withSource(started, err);
    }
  }

  /** `err` as {@link withFaultSource} throws it: a VmFault with its C line, anything else as it is. */
  withSource(started: ProgramSpec, err: unknown): unknown {
    if (err instanceof VmFault && err.source === undefined) {
      const at = err.program === undefined ? started : (this.spec.programs.find((p) => p.name === err.program) ?? started);
      const core = err.code === 'vm/unknown-helper' ? at.coreFailures?.find((f) => f.pc === err.pc) : undefined;
      const fault = core ? new VmFault('vm/core-relo-failed', `insn ${err.pc}: reached an instruction whose CO-RE relocation did not resolve (${core.message})`, err.pc) : err;
      fault.source = sourceOf(at, err.pc);
      if (core) fault.program = err.program;
      if (fault.source !== undefined) fault.message = `${fault.message} (${fault.source})`;
      return fault;
    }
    return err;
  }
}

/** Loads an object from a path or from its bytes, as libbpf's bpf_object__open and __load do: maps created, `rodata` set and frozen, programs checked and prepared. */
export async function load(object: string | Uint8Array, options: LoadOptions = {}): Promise<BpfObject> {
  checkLoadOptions(options);
  return BpfObject.create(await BpfObject.readSpec(object, options.type, options.kernelBtf, options.kconfig), options, typeof object === 'string' ? object : undefined);
}

function checkLoadOptions(options: InternalOptions): void {
  checkObject(options, 'options');
  if (options.engine !== undefined) checkOneOf(options.engine, 'options.engine', ['wasm', 'interp']);
  if (options.cpus !== undefined) checkInt(options.cpus, 'options.cpus', 1, 4096);
  if (options.budget !== undefined) checkInt(options.budget, 'options.budget', 1);
  if (options.seed !== undefined) checkInt(options.seed, 'options.seed', 0, 0xffff_ffff);
  if (options.type !== undefined) checkOneOf(options.type, 'options.type', ['xdp', 'tc', 'socket']);
  if (options.clock !== undefined) checkClock(options.clock, 'options.clock');
  if (options.rodata !== undefined) checkObject(options.rodata, 'options.rodata', false);
  if (options.fib !== undefined) checkFibShape(options.fib);
  if (options.conntrack !== undefined && !Array.isArray(options.conntrack)) throw new ArgumentError('arg/type', `options.conntrack: expected an array, got ${describe(options.conntrack)}`, 'options.conntrack');
  if (options.sockets !== undefined && !Array.isArray(options.sockets)) throw new ArgumentError('arg/type', `options.sockets: expected an array, got ${describe(options.sockets)}`, 'options.sockets');
  if (options.machine !== undefined) {
    if (!(options.machine instanceof Machine)) throw new ArgumentError('arg/type', `options.machine: expected a Machine, got ${describe(options.machine)}`, 'options.machine');
    for (const field of ['cpus', 'clock', 'seed', 'fib', 'sockets', 'conntrack'] as const) {
      if (options[field] !== undefined) throw new ArgumentError('arg/range', `options.${field}: the machine's applies; set it on the Machine`, `options.${field}`);
    }
  }
  if (options.deviceBound !== undefined && (!Array.isArray(options.deviceBound) || !options.deviceBound.every((n) => typeof n === 'string'))) {
    throw new ArgumentError('arg/type', `options.deviceBound: expected an array of program names, got ${describe(options.deviceBound)}`, 'options.deviceBound');
  }
  if (options.verify !== undefined && typeof options.verify !== 'boolean') throw new ArgumentError('arg/type', `options.verify: expected a boolean, got ${describe(options.verify)}`, 'options.verify');
}

/** Fails unless `v` is a clock reading in ns: a non-negative integer number or bigint below 2^64. */
export function checkClock(v: unknown, name: string): bigint {
  if (typeof v === 'number') checkInt(v, name, 0);
  else if (typeof v !== 'bigint') throw new ArgumentError('arg/type', `${name}: expected ns as a number or bigint, got ${describe(v)}`, name);
  const ns = BigInt(v as number | bigint);
  if (ns < 0n || ns >= 1n << 64n) throw new ArgumentError('arg/range', `${name}: expected 0 to 2^64-1 ns, got ${ns}`, name);
  return ns;
}

function checkFibShape(fib: unknown): void {
  const f = checkObject<Record<string, unknown>>(fib, 'options.fib', false);
  for (const list of ['interfaces', 'routes', 'neighbors']) {
    const items = f[list];
    if (items === undefined) continue;
    if (!Array.isArray(items)) throw new ArgumentError('arg/type', `options.fib.${list}: expected an array, got ${describe(items)}`, `options.fib.${list}`);
    items.forEach((item, i) => checkObject(item, `options.fib.${list}[${i}]`, false));
  }
}

/** The program type a run uses: the section's, unless the object was loaded with `type`. */
export function resolveProgType(program: ProgramSpec, type?: ProgTypeName): number {
  if (type === 'xdp') return BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
  if (type === 'tc') return BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS;
  if (type === 'socket') return BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER;
  if (isNetworkingType(program.type)) return program.type;
  if (program.type === BPF_PROG_TYPE.BPF_PROG_TYPE_UNSPEC) {
    throw new CaseError('case/unsupported-program-type', `program '${program.name}' in section '${program.sectionName}' is not an XDP, TC or socket filter program: give "type" in the case`);
  }
  throw unrunnableType(program);
}

/** The error a run of a program of a type bpfsim does not run gets (a kprobe, cgroup or tracing program). */
function unrunnableType(program: ProgramSpec): CaseError {
  return new CaseError(
    'case/unsupported-program-type',
    `program '${program.name}' is a ${progTypeName(program.type)} program (section '${program.sectionName}'): bpfsim runs XDP, TC and socket filter programs`,
  );
}

/** Whether bpfsim runs programs of BPF_PROG_TYPE_* `type` (XDP, TC and socket filters; untyped ones take the run's type). */
export function isRunnableType(type: number): boolean {
  return type === BPF_PROG_TYPE.BPF_PROG_TYPE_UNSPEC || isNetworkingType(type);
}

/** Runs `fn`; an error in the object names the file it is in, one in the options (the case's fib) does not. */
function inObject<T>(path: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (path !== undefined && err instanceof SimError && !(err instanceof CaseError) && !(err instanceof ArgumentError)) throw err.withContext(path);
    throw err;
  }
}

async function readObjectFile(path: string): Promise<Uint8Array> {
  return readInputFile(path, 'object file', INPUT_LIMITS.object, (code, message) => new LoadError(`load/${code}`, message));
}
