import { readFileSync } from 'node:fs';
import { INPUT_LIMITS, readInputFile } from '../internal/input-file.js';
import { CaseError, LoadError, SimError, VmFault } from '../internal/errors.js';
import type { Btf } from '../btf/btf.js';
import type { KconfigValue } from '../loader/externs.js';
import { loadObject } from '../loader/load-object.js';
import type { ObjectSpec, ProgramSpec } from '../loader/spec.js';
import { createMap, isEventSource } from '../maps/index.js';
import { checkHelpers, createHelperRegistry, gplOnly, setupSkb, setupXdp, SimKernel } from '../helpers/index.js';
import { readXdpCtxOut } from '../helpers/context-xdp.js';
import { readSkbCtxOut, readSocketPacket } from '../helpers/context-skb.js';
import type { FibSpec, ProgTypeName } from '../internal/contract.js';
import { actionName, BPF_PROG_TYPE } from '../uapi/index.js';
import { getEngine } from '../vm/engines.js';
import { Interpreter } from '../vm/interpreter.js';
import type { TraceHook } from '../vm/trace.js';
import type { Engine, Executable, HelperRegistry, RunEnv, VmMap } from '../vm/env.js';
import { LAYOUT } from '../vm/layout.js';
import { gplGuard } from '../vm/protocol.js';
import { isGplCompatible } from '../verifier/index.js';
import { VmMemory } from '../vm/memory.js';
import { sourceOf } from './source.js';

/** Options of a {@link Machine}. */
export interface MachineOptions {
  /** Execution engine; default `wasm`. */
  engine?: 'wasm' | 'interp';
  /** Possible CPUs, for per-CPU maps; default the host's possible CPUs (as the kernel counts them). */
  cpus?: number;
  /** The CPU runs happen on; default 0 (the kernel backend pins its runs to CPU 0 too). */
  cpu?: number;
  /** Instruction budget per run; default 1,000,000. */
  budget?: number;
  /** Simulated clock, ns since boot; default 1,000,000,000. */
  clockNs?: bigint;
  /** Seed of bpf_get_prandom_u32; default 1. */
  seed?: number;
  /** Kernel network state bpf_fib_lookup and redirects see. */
  fib?: FibSpec;
  /**
   * The type of programs whose section name does not tell (a case's `type`): with it, such
   * programs load untyped and run as this type; without it, an unknown section is a load error.
   */
  type?: ProgTypeName;
  /**
   * The kernel BTF CO-RE relocations resolve against: a vmlinux BTF file (/sys/kernel/btf/vmlinux)
   * or decoded BTF; default the types bpfsim models (defaultKernelBtf).
   */
  kernelBtf?: string | Btf;
  /** Values of `.kconfig` externs by name, over the defaults (the running kernel's version); see LoadOptions.kconfig. */
  kconfig?: Record<string, KconfigValue>;
  /** Called after every executed instruction; forces the interpreter (the reference and the tracer). */
  trace?: TraceHook;
  /**
   * Fill the stack with this byte before each run (default: leave what the previous run left,
   * as the kernel does). Two runs with different fills show reads of uninitialised stack.
   */
  stackFill?: number;
  /** Wraps each program type's helper registry (instrumentation such as recording map keys). */
  wrapHelpers?: (registry: HelperRegistry) => HelperRegistry;
}

/** Context fields a run starts from (the case's `ctx`). */
export type CtxInput = Record<string, number | number[]>;

/** What one run of a program left. */
export interface RunOutcome {
  /** r0, unsigned 64-bit. */
  r0: bigint;
  /** r0 as the kernel reports it: unsigned 32-bit. */
  retval: number;
  /** The verdict's name for the program type: `XDP_DROP`, `TC_ACT_OK`, `unknown(N)`. */
  action: string;
  /** The packet after the run, from data to data_end. */
  packet: Uint8Array;
  /** ctx_out: every field BPF_PROG_TEST_RUN takes in ctx_in for the program type, after the run. */
  ctx: CtxInput;
  redirect: { ifindex: number; flags: number } | null;
  /** Copies sent by bpf_clone_redirect, in order: target, flags, the packet as it was cloned. */
  clones: { ifindex: number; flags: number; packet: Uint8Array }[];
  trace: string[];
  /** Records the run sent to ring buffers and perf event arrays, in the order a reader gets them, per map in object order. */
  events: RunEvent[];
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

/** A run set up and not yet finished. */
interface PendingRun {
  program: ProgramSpec;
  progType: number;
  xdp: boolean;
  /** A socket filter: the skb starts at the network header and data_out gets 14 zero bytes in front. */
  socket: boolean;
  ctx: CtxInput;
  env: RunEnv;
  executable: Executable;
}

/** The number of possible CPUs, as /sys/devices/system/cpu/possible lists them (the kernel's num_possible_cpus). */
export function possibleCpus(): number {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    let count = 0;
    for (const part of text.split(',')) {
      const [lo, hi] = part.split('-').map(Number);
      count += hi === undefined ? 1 : hi - lo! + 1;
    }
    return count > 0 ? count : 1;
  } catch {
    return 1;
  }
}

const DEFAULT_BUDGET = 1_000_000;

/**
 * A loaded object made live: its maps hold values in one VM memory, its programs are prepared
 * on an engine, and a simulated kernel (clock, random numbers, FIB) answers helper calls.
 * Made from an ObjectSpec; `run` runs a program on a packet as BPF_PROG_TEST_RUN does.
 */
export class Machine {
  readonly mem = new VmMemory();
  readonly maps: VmMap[];
  readonly kernel: SimKernel;
  readonly cpus: number;
  cpu: number;
  budget: number;
  private readonly engine: Engine;
  /** Indices of the maps that hold records for user space. */
  private readonly eventMaps: number[];
  /** Prepared programs by index, for the program type runs use; made on the first run. */
  private executables: (Executable | undefined)[] = [];
  private preparedFor = -1;
  private readonly typeIndependent: boolean;
  private readonly registries = new Map<number, HelperRegistry>();
  /** Programs by the names `run` was given, with their index: found once, not on every run. */
  private readonly byName = new Map<string, { program: ProgramSpec; index: number }>();

  constructor(
    readonly spec: ObjectSpec,
    readonly options: MachineOptions = {},
  ) {
    this.cpus = options.cpus ?? possibleCpus();
    this.cpu = options.cpu ?? 0;
    this.budget = options.budget ?? DEFAULT_BUDGET;
    if (this.cpu < 0 || this.cpu >= this.cpus) throw new RangeError(`cpu ${this.cpu} is not one of ${this.cpus} possible CPUs`);
    this.kernel = new SimKernel({ cpus: this.cpus, cpu: this.cpu, clockNs: options.clockNs, seed: options.seed, fib: options.fib });
    // An inline bpf_redirect (the wasm engine) lands in this memory's control block, where the kernel reads it.
    this.kernel.bindMemory(this.mem);
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
    this.maps = spec.maps.map((m) => createMap(m, this.mem, mapOptions));
    this.eventMaps = this.maps.flatMap((m, i) => (isEventSource(m) ? [i] : []));
    this.engine = options.trace ? new Interpreter() : getEngine(options.engine ?? 'wasm');
    // Objects whose programs all have a networking type are checked and compiled now, so that a
    // load error shows at load; the others wait for the run that names their type.
    this.typeIndependent = spec.programs.every((p) => isNetworkingType(p.type));
    if (this.typeIndependent) this.prepare(BPF_PROG_TYPE.BPF_PROG_TYPE_XDP);
  }

  /** Loads an object from a path or from its bytes. */
  static async load(object: string | Uint8Array, options: MachineOptions = {}): Promise<Machine> {
    return Machine.create(await Machine.readSpec(object, options.type, options.kernelBtf, options.kconfig), options, typeof object === 'string' ? object : undefined);
  }

  /**
   * Reads an object's spec from a path or its bytes. With `type` (a case's), programs in sections
   * that do not tell their type load untyped; without it they are a load error.
   */
  static async readSpec(object: string | Uint8Array, type?: ProgTypeName, kernelBtf?: string | Btf, kconfig?: Record<string, KconfigValue>): Promise<ObjectSpec> {
    const bytes = typeof object === 'string' ? await readObjectFile(object) : object;
    return inObject(typeof object === 'string' ? object : undefined, () => loadObject(bytes, { programType: type ? BPF_PROG_TYPE.BPF_PROG_TYPE_UNSPEC : undefined, kernelBtf, kconfig }));
  }

  /** A machine for an already read spec; `path` names the object in errors that come from it. */
  static create(spec: ObjectSpec, options: MachineOptions = {}, path?: string): Machine {
    return inObject(path, () => new Machine(spec, options));
  }

  private registry(progType: number): HelperRegistry {
    let registry = this.registries.get(progType);
    if (!registry) {
      registry = createHelperRegistry(progType, this.kernel);
      if (this.options.wrapHelpers) registry = this.options.wrapHelpers(registry);
      // Until runs are verified: a GPL-only helper from a non-GPL program faults at its call.
      if (!isGplCompatible(this.spec.license)) registry = gplGuard(registry, (id) => gplOnly(id, progType));
      this.registries.set(progType, registry);
    }
    return registry;
  }

  /**
   * Checks and prepares every program of the object on the engine: programs of a networking type
   * keep their own, the others (a section libbpf types by `type` in the case) take `progType`.
   * Done once per program type; a tail call reaches the programs prepared here.
   */
  private prepare(progType: number): (Executable | undefined)[] {
    if (this.preparedFor === progType || (this.typeIndependent && this.preparedFor >= 0)) return this.executables;
    this.executables = this.spec.programs.map((program) => {
      const type = isNetworkingType(program.type) ? program.type : progType;
      checkHelpers(program, type);
      const machine = { mem: this.mem, maps: this.maps, helpers: this.registry(type) };
      const trace = this.options.trace;
      return trace && this.engine instanceof Interpreter ? this.engine.prepare(program, machine, { trace }) : this.engine.prepare(program, machine);
    });
    this.preparedFor = progType;
    return this.executables;
  }

  /** The program named `name` (its function name), or the only one in section `name`. */
  program(name: string): ProgramSpec {
    const byName = this.spec.programs.find((p) => p.name === name);
    if (byName) return byName;
    const bySection = this.spec.programs.filter((p) => p.sectionName === name);
    if (bySection.length === 1) return bySection[0]!;
    const known = this.spec.programs.map((p) => p.name).join(', ') || 'none';
    if (bySection.length > 1) throw new CaseError('case/ambiguous-program', `section '${name}' has ${bySection.length} programs (${known}): name one`);
    throw new CaseError('case/unknown-program', `no program '${name}' in the object (programs: ${known})`);
  }

  /** The live map named `name` (`flows`, `.rodata`). */
  map(name: string): VmMap {
    const index = this.spec.maps.findIndex((m) => m.name === name);
    if (index < 0) {
      const known = this.spec.maps.map((m) => m.name).join(', ') || 'none';
      throw new CaseError('case/unknown-map', `no map '${name}' in the object (maps: ${known})`);
    }
    return this.maps[index]!;
  }

  /**
   * Runs `programName` once on `packet` with context fields `ctx`, as BPF_PROG_TEST_RUN does.
   * `type` overrides the program type the section implies (`xdp`, `tc` or `socket`). A fault throws a
   * VmFault whose `source` names the C line when BTF has it.
   */
  run(programName: string, packet: Uint8Array, ctx: CtxInput = {}, type?: ProgTypeName): RunOutcome {
    const run = this.begin(programName, packet, ctx, type);
    return this.finish(run, this.execute(run));
  }

  /**
   * Runs `programName` `runs` times on one input, as BPF_PROG_TEST_RUN's `repeat` does: the
   * context and packet are set up once and each run sees what the previous one left (the
   * kernel does not restore the packet between repeats); maps carry over. Returns the last
   * run's outcome and the mean wall-clock ns per run of the loop alone.
   */
  repeat(programName: string, packet: Uint8Array, ctx: CtxInput, runs: number, type?: ProgTypeName): { outcome: RunOutcome; nsPerRun: number } {
    if (!Number.isSafeInteger(runs) || runs < 1) throw new RangeError(`runs: expected a positive integer, got ${runs}`);
    const run = this.begin(programName, packet, ctx, type);
    const { env, executable } = run;
    let r0 = 0n;
    const start = process.hrtime.bigint();
    if (executable.runMany !== undefined && runs <= 0x7fff_ffff) {
      // The engine loops itself, as the kernel's repeat loops in the kernel: one crossing per batch.
      const runMany = executable.runMany.bind(executable);
      r0 = this.withFaultSource(run.program, () => runMany(env, LAYOUT.CTX, runs, this.budget));
    } else {
      for (let i = 0; i < runs; i++) {
        env.budget = this.budget;
        env.tailCalls = 0;
        r0 = this.execute(run);
      }
    }
    const nsPerRun = Number(process.hrtime.bigint() - start) / runs;
    return { outcome: this.finish(run, r0), nsPerRun };
  }

  private begin(programName: string, packet: Uint8Array, ctx: CtxInput, type?: ProgTypeName): PendingRun {
    let named = this.byName.get(programName);
    if (named === undefined) {
      const program = this.program(programName);
      named = { program, index: this.spec.programs.indexOf(program) };
      this.byName.set(programName, named);
    }
    const { program, index } = named;
    const progType = resolveProgType(program, type);
    const executables = this.prepare(progType);
    this.kernel.beginRun();
    // Records left by a run that faulted were never read: a new run's reader starts after them.
    this.drainEvents();
    const xdp = progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
    const socket = progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER;
    if (xdp) setupXdp(this.mem, packet, ctx, this.kernel);
    else setupSkb(this.mem, packet, ctx, this.kernel, !socket);
    if (this.options.stackFill !== undefined) this.mem.u8.fill(this.options.stackFill, LAYOUT.STACK, LAYOUT.STACK + LAYOUT.STACK_SIZE);
    const env: RunEnv = {
      mem: this.mem,
      maps: this.maps,
      helpers: this.registry(progType),
      progType,
      cpu: this.cpu,
      pc: 0,
      budget: this.budget,
      programs: executables,
      tailCalls: 0,
      // Present from the start, so the engine setting it during the run does not change the object's shape.
      callback: undefined,
    };
    return { program, progType, xdp, socket, ctx, env, executable: executables[index]! };
  }

  private execute(run: PendingRun): bigint {
    return this.withFaultSource(run.program, () => run.executable.run(run.env, LAYOUT.CTX));
  }

  /**
   * Runs `fn`; a VmFault it throws gets the `file.c:42` of the faulting instruction: in the
   * tail-called program the fault names, else in `started`, the program the run started with.
   */
  private withFaultSource<T>(started: ProgramSpec, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof VmFault && err.source === undefined) {
        const at = err.program === undefined ? started : (this.spec.programs.find((p) => p.name === err.program) ?? started);
        const core = err.code === 'vm/unknown-helper' ? at.coreFailures?.find((f) => f.pc === err.pc) : undefined;
        const fault = core ? new VmFault('vm/core-relo-failed', `insn ${err.pc}: reached an instruction whose CO-RE relocation did not resolve (${core.message})`, err.pc) : err;
        fault.source = sourceOf(at, err.pc);
        if (core) fault.program = err.program;
        throw fault;
      }
      throw err;
    }
  }

  private finish(run: PendingRun, r0: bigint): RunOutcome {
    const mem = this.mem;
    const kernel = this.kernel;
    // r0 as a double is exact below 2^53, and then its low 32 bits are `>>> 0`: no BigInt arithmetic per run.
    const exact = Number(r0);
    const retval = Number.isSafeInteger(exact) ? exact >>> 0 : Number(r0 & 0xffff_ffffn);
    const redirect = kernel.redirect;
    const clones = kernel.clones;
    const trace = kernel.trace;
    return {
      r0,
      retval,
      action: actionName(run.progType, retval),
      packet: run.socket ? readSocketPacket(mem) : mem.u8.slice(mem.pktData, mem.pktEnd),
      // Exactly the ctx_in fields of the type (XDP_CTX_IN_FIELDS, SKB_CTX_IN_FIELDS of uapi/context.ts), in their order.
      ctx: run.xdp ? readXdpCtxOut(mem, run.ctx) : readSkbCtxOut(mem, run.ctx),
      redirect: redirect ? { ifindex: redirect.ifindex, flags: redirect.flags } : null,
      clones: clones.length === 0 ? [] : clones.map(({ ifindex, flags, packet }) => ({ ifindex, flags, packet })),
      trace: trace.length === 0 ? [] : trace.slice(),
      events: this.drainEvents(),
    };
  }

  /** Reads every record the maps hold for user space, as a ring buffer or perf buffer reader would. */
  private drainEvents(): RunEvent[] {
    const events: RunEvent[] = [];
    for (const i of this.eventMaps) {
      const map = this.maps[i]!;
      if (!isEventSource(map)) continue;
      for (const { cpu, data } of map.drainEvents()) events.push({ map: map.spec.name, cpu, data });
    }
    return events;
  }

}

/** The program type a run uses: the section's, unless the case names `xdp`, `tc` or `socket`. */
export function resolveProgType(program: ProgramSpec, type?: ProgTypeName): number {
  if (type === 'xdp') return BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
  if (type === 'tc') return BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS;
  if (type === 'socket') return BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER;
  if (isNetworkingType(program.type)) return program.type;
  throw new CaseError('case/unsupported-program-type', `program '${program.name}' in section '${program.sectionName}' is not an XDP, TC or socket filter program: give "type" in the case`);
}

/** Runs `fn`; an error in the object names the file it is in, one in the options (the case's fib) does not. */
function inObject<T>(path: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (path !== undefined && err instanceof SimError && !(err instanceof CaseError)) throw err.withContext(path);
    throw err;
  }
}

function isNetworkingType(t: number): boolean {
  return t === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP || t === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER || t === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS || t === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT;
}

async function readObjectFile(path: string): Promise<Uint8Array> {
  return readInputFile(path, 'object file', INPUT_LIMITS.object, (code, message) => new LoadError(`load/${code}`, message));
}

