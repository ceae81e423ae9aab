import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { CaseError, LoadError, VmFault } from '../internal/errors.js';
import { loadObject } from '../loader/load-object.js';
import type { ObjectSpec, ProgramSpec } from '../loader/spec.js';
import { createMap } from '../maps/index.js';
import { checkHelpers, createHelperRegistry, readSkbResult, readXdpResult, setupSkb, setupXdp, SimKernel } from '../helpers/index.js';
import type { FibSpec } from '../internal/contract.js';
import { actionName, BPF_PROG_TYPE } from '../uapi/index.js';
import { getEngine } from '../vm/engines.js';
import type { Executable, HelperRegistry, RunEnv, VmMap } from '../vm/env.js';
import { LAYOUT } from '../vm/layout.js';
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
  /** ctx_out: the ctx_in fields after the run. */
  ctx: CtxInput;
  redirect: { ifindex: number; flags: number } | null;
  trace: string[];
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
  private readonly executables: (Executable | undefined)[];
  private readonly registries = new Map<number, HelperRegistry>();

  constructor(
    readonly spec: ObjectSpec,
    readonly options: MachineOptions = {},
  ) {
    this.cpus = options.cpus ?? possibleCpus();
    this.cpu = options.cpu ?? 0;
    this.budget = options.budget ?? DEFAULT_BUDGET;
    if (this.cpu < 0 || this.cpu >= this.cpus) throw new RangeError(`cpu ${this.cpu} is not one of ${this.cpus} possible CPUs`);
    this.kernel = new SimKernel({ cpus: this.cpus, cpu: this.cpu, clockNs: options.clockNs, seed: options.seed, fib: options.fib });
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
    const engine = getEngine(options.engine ?? 'wasm');
    this.executables = spec.programs.map((program) => {
      checkHelpers(program);
      return engine.prepare(program, { mem: this.mem, maps: this.maps, helpers: this.registry(program.type) });
    });
  }

  /** Loads an object from a path or from its bytes. */
  static async load(object: string | Uint8Array, options: MachineOptions = {}): Promise<Machine> {
    const bytes = typeof object === 'string' ? await readObjectFile(object) : object;
    return new Machine(loadObject(bytes), options);
  }

  private registry(progType: number): HelperRegistry {
    let registry = this.registries.get(progType);
    if (!registry) {
      registry = createHelperRegistry(progType, this.kernel);
      this.registries.set(progType, registry);
    }
    return registry;
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
   * `type` overrides the program type the section implies (`xdp` or `tc`). A fault throws a
   * VmFault whose `source` names the C line when BTF has it.
   */
  run(programName: string, packet: Uint8Array, ctx: CtxInput = {}, type?: 'xdp' | 'tc'): RunOutcome {
    const program = this.program(programName);
    const index = this.spec.programs.indexOf(program);
    const progType = resolveProgType(program, type);
    this.kernel.beginRun();
    const xdp = progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
    if (xdp) setupXdp(this.mem, packet, ctx, this.kernel);
    else setupSkb(this.mem, packet, ctx, this.kernel);
    const env: RunEnv = {
      mem: this.mem,
      maps: this.maps,
      helpers: this.registry(progType),
      progType,
      cpu: this.cpu,
      pc: 0,
      budget: this.budget,
      programs: this.executables,
      tailCalls: 0,
    };
    let r0: bigint;
    try {
      r0 = this.executables[index]!.run(env, LAYOUT.CTX);
    } catch (err) {
      if (err instanceof VmFault && err.source === undefined) err.source = sourceOf(program, err.pc);
      throw err;
    }
    const out = xdp ? readXdpResult(this.mem, ctx) : readSkbResult(this.mem, ctx);
    return {
      r0,
      retval: Number(r0 & 0xffff_ffffn),
      action: actionName(progType, Number(r0 & 0xffff_ffffn)),
      packet: out.packet,
      ctx: out.ctx,
      redirect: this.kernel.redirect ? { ifindex: this.kernel.redirect.ifindex, flags: this.kernel.redirect.flags } : null,
      trace: [...this.kernel.trace],
    };
  }
}

/** The program type a run uses: the section's, unless the case names `xdp` or `tc`. */
export function resolveProgType(program: ProgramSpec, type?: 'xdp' | 'tc'): number {
  if (type === 'xdp') return BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
  if (type === 'tc') return BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS;
  const t = program.type;
  if (t === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP || t === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS || t === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT) return t;
  throw new CaseError('case/unsupported-program-type', `program '${program.name}' in section '${program.sectionName}' is not an XDP or TC program: give "type" in the case`);
}

async function readObjectFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LoadError('load/unreadable', `${path}: cannot read object file${code ? ` (${code})` : ''}`);
  }
}

