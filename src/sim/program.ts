import { readSkbCtxOut, readSocketPacket } from '../helpers/context-skb.js';
import { readXdpPacket, xdpFrameOf, type XdpFrame } from '../helpers/context-xdp.js';
import { readTunnel, setRxTunnel, skbHeadersOf, type TunnelView } from '../helpers/skb-state.js';
import { rxTunnelInfo, type TunnelInput } from '../helpers/tunnel-input.js';
import { rxHints, setRxHints, type RxMetadata } from '../helpers/xdp-rx-metadata.js';
import type { RedirectTarget } from '../helpers/kernel-state.js';
import { setupSkb } from '../helpers/index.js';
import { redirectOutcome, type RedirectDestination } from '../helpers/redirect-helpers.js';
import { XDP_MD } from '../uapi/context.js';
import { checkBytes, checkInt, checkObject } from '../internal/args.js';
import type { ProgTypeName, Warning } from '../internal/contract.js';
import { ArgumentError, CaseError, VmFault } from '../internal/errors.js';
import type { ProgramSpec } from '../loader/spec.js';
import type { ChecksumResult } from '../packet/checksum.js';
import { actionName, BPF_PROG_TYPE } from '../uapi/index.js';
import type { Executable, RunEnv, SkbHeaders } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { CTRL, FRAME_SIZE, LAYOUT, STACK_END } from '../vm/layout.js';
import { TraceRecorder, type ExecTrace } from '../vm/trace.js';
import { checkClock, resolveProgType, type BpfObject, type RunEvent } from './object.js';
import { PacketStash, RunOutput } from './run-output.js';
import { defaultStackFill, uninitKeyWarnings, type MapKeyUse } from './uninit.js';

/** Context fields a run starts from: those BPF_PROG_TEST_RUN takes in ctx_in (`ingress_ifindex`, `mark`, `cb`). */
export type CtxInput = Record<string, number | number[]>;

/** Options of {@link Program.run}, as cilium/ebpf's RunOptions; every field optional. */
export interface RunOptions {
  /** ctx_in fields (`struct xdp_md` / `struct __sk_buff`); default none (all zero, as the kernel's). */
  ctx?: CtxInput;
  /** The CPU the run happens on, from 0 to cpus-1; default 0 (the kernel backend pins its runs to CPU 0). */
  cpu?: number;
  /** Sets the simulated clock (ns since boot) before the run; default: the clock stays where it is (load's `clock`, 1 s after boot). */
  clock?: bigint | number;
  /**
   * What the stack holds as the run starts: a byte, or bytes repeated over it. Default: a fixed
   * pattern of odd bytes 0x81–0xfd ({@link defaultStackFill}), the same before every run, against
   * which key bytes the program never wrote show as `uninit-map-key` warnings.
   */
  stackFill?: number | Uint8Array;
  /**
   * TC only: tunnel metadata the skb arrives with, as a collect_md tunnel device (vxlan, geneve,
   * gre `external`) attaches it on receive, for bpf_skb_get_tunnel_key/_opt; default none.
   * BPF_PROG_TEST_RUN cannot attach it, so such runs have no kernel counterpart.
   */
  tunnel?: TunnelInput;
  /**
   * XDP only: the receive hints the packet arrives with, which the XDP metadata kfuncs of a
   * device-bound program (LoadOptions.deviceBound) read, as veth answers them; a hint left out
   * is -ENODATA. Default none. BPF_PROG_TEST_RUN refuses device-bound programs, so such runs have
   * no kernel counterpart.
   */
  rxMetadata?: RxMetadata;
  /**
   * Record the run's instruction trace in the result's `execTrace` (C lines, instructions, changed
   * registers; runs on the interpreter), or in the VmFault's `execTrace` when it faults; default
   * false. Not bpf_trace_printk output: that is always in the result's `trace`.
   */
  trace?: boolean;
}

/** Options of {@link Program.repeat}: a run's options and the number of runs. */
export interface RepeatOptions extends Omit<RunOptions, 'trace'> {
  /** How many times to run, at least 1 (BPF_PROG_TEST_RUN's `repeat`). */
  runs: number;
}

/** What one run of a program left. */
export interface ProgramRun {
  /** r0 as the kernel reports it: unsigned 32-bit. */
  retval: number;
  /** r0, unsigned 64-bit. */
  r0: bigint;
  /** The verdict's name for the program type: `XDP_DROP`, `TC_ACT_OK`, `unknown(N)`. */
  action: string;
  /** The packet after the run, from data to data_end (metadata excluded). */
  packet: Uint8Array;
  /** ctx_out: every ctx_in field of the program type, after the run. */
  ctx: CtxInput;
  /**
   * Where bpf_redirect (or bpf_redirect_map) sent the packet, or null. Through a CPUMAP, `cpu`
   * names the CPU (ifindex 0); through an XSKMAP, `xsk` the socket's slot and queue and whether
   * it took the frame (ifindex 0); a devmap broadcast has ifindex 0, its flags, and a copy per
   * interface in `clones`.
   */
  redirect: ({ ifindex: number; flags: number; kind?: 'neigh' | 'peer'; nexthop?: string } & RedirectDestination) | null;
  /** The tunnel metadata bpf_skb_set_tunnel_key (and _opt) left on the skb (TC), or null. */
  tunnel: TunnelView | null;
  /** Copies sent by bpf_clone_redirect, in order: target, flags, the packet as it was cloned. */
  clones: { ifindex: number; flags: number; packet: Uint8Array }[];
  /** Records the run sent to ring buffers and perf event arrays, in the order a reader gets them, per map in object order. */
  events: RunEvent[];
  /** bpf_trace_printk (`bpf_printk`) output, one string per call; the instruction trace is `execTrace`. */
  trace: string[];
  /** The instruction trace (src/vm/trace.ts: C source lines with their instructions and changed registers, loops collapsed, bounded), when the run asked for `trace`; `formatTrace` prints it. */
  execTrace?: ExecTrace;
  /** Things that run but would misbehave in the kernel: `uninit-map-key`. */
  warnings: Warning[];
  /** The output packet's IPv4 header and TCP/UDP/ICMP checksums. */
  checksums: ChecksumResult;
}

/**
 * A program of a loaded object, as cilium/ebpf's Program: `run` runs it once on a packet as
 * BPF_PROG_TEST_RUN does, `repeat` as its `repeat` does. Maps and the simulated kernel are the
 * object's, shared by every program of it. Made by {@link BpfObject.program}.
 */
export class Program {
  /** The program's function name. */
  readonly name: string;
  /** BPF_* attach type the section implies (`tcx/ingress`: BPF_TCX_INGRESS), which names its verdicts. */
  readonly attachType: number | undefined;
  private readonly progType: number;
  private readonly refusal: CaseError | undefined;
  private readonly xdp: boolean;
  /** A socket filter: the skb starts at the network header and data_out gets 14 zero bytes in front. */
  private readonly socket: boolean;
  /** The RunEnv of the last run, reused while the executables and registry are the same. */
  private runEnv: RunEnv | undefined;
  /** The ctx_in and stack fill of the run in progress. */
  private runCtx: CtxInput = {};
  private runFill: Uint8Array = DEFAULT_FILL;
  private helpers: RunEnv['helpers'] | undefined;
  private xdpFrame: XdpFrame | undefined;
  /** The copy of the stack fill in the memory, for the engine's uninitialised-key test. */
  private fillCopy: FillCopy | undefined;
  /** The keys a run handed to map helpers, when recording; emptied at the start of each run. */
  private readonly keyUses: MapKeyUse[] = [];
  private readonly actionNames: string[] = [];

  constructor(
    private readonly obj: BpfObject,
    /** The program as the loader read it: section, instructions, source lines. */
    readonly spec: ProgramSpec,
    private readonly index: number,
  ) {
    this.name = spec.name;
    try {
      this.progType = resolveProgType(spec, obj.options.type);
    } catch (err) {
      // A program bpfsim does not run (a kprobe next to the TC ones) is refused when it runs.
      if (!(err instanceof CaseError)) throw err;
      this.progType = -1;
      this.refusal = err;
    }
    this.attachType = this.progType === spec.type ? spec.expectedAttachType : undefined;
    this.xdp = this.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
    this.socket = this.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER;
  }

  /** `xdp`, `tc` or `socket`: the context the program runs with. Throws for a program bpfsim does not run. */
  get type(): ProgTypeName {
    if (this.refusal) throw this.refusal;
    if (this.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP) return 'xdp';
    return this.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER ? 'socket' : 'tc';
  }

  /**
   * Runs the program once on `packet` (a frame from the Ethernet header, with `ctx.data` bytes
   * of XDP metadata first). A fault throws a VmFault whose message ends with the C file and line;
   * with `trace`, the fault's `execTrace` holds the instructions that ran up to it.
   */
  run(packet: Uint8Array, options: RunOptions = {}): ProgramRun {
    const traced = options.trace === true;
    const executable = this.begin(packet, options, traced);
    const env = this.runEnv!;
    const fill = this.runFill;
    const recorder = traced ? new TraceRecorder() : undefined;
    const obj = this.obj;
    const keys = obj.options.keyWarnings === false ? undefined : this.keyUses;
    if (keys !== undefined) {
      // Setting a length is a call into the runtime: only when the last run left keys.
      if (keys.length !== 0) keys.length = 0;
      obj.keyLog = keys;
      this.watchKeys(fill);
    }
    if (recorder) obj.traceSink = recorder.hook;
    // r0 in halves when the engine gives them (no BigInt per run), else as the bigint.
    let r0: bigint | undefined;
    let r0Lo = 0;
    try {
      if (executable.runSplit !== undefined) r0Lo = executable.runSplit(env, LAYOUT.CTX);
      else r0 = executable.run(env, LAYOUT.CTX);
    } catch (err) {
      const fault = obj.withSource(this.spec, err);
      // A traced run that faults keeps what it ran up to the fault.
      if (recorder && fault instanceof VmFault) fault.execTrace = recorder.result();
      throw fault;
    } finally {
      obj.keyLog = undefined;
      obj.traceSink = undefined;
      if (keys !== undefined) obj.mem.view.setUint32(LAYOUT.CTRL + CTRL.KEY_FILL, 0, true);
    }
    const out = r0 === undefined ? this.finish(undefined, r0Lo, obj.mem.view.getUint32(LAYOUT.CTRL + CTRL.RUN_R0_HI, true)) : this.finish(r0);
    if (recorder) out.execTrace = recorder.result();
    // Keys reach the log only from helper calls and from inline lookups of keys with fill bytes left.
    if (keys !== undefined && keys.length > 0) out.warnings = uninitKeyWarnings(keys, fill, LAYOUT.STACK, this.spec, (i) => obj.spec.maps[i]?.name ?? `#${i}`);
    return out;
  }

  /**
   * Runs the program `runs` times on one input, as BPF_PROG_TEST_RUN's `repeat` does: the
   * context and packet are set up once and each run sees what the previous one left (the
   * kernel does not restore the packet between repeats); maps carry over. Returns the last
   * run's result (without warnings) and the mean wall-clock ns per run of the loop alone.
   */
  repeat(packet: Uint8Array, options: RepeatOptions): { last: ProgramRun; nsPerRun: number } {
    checkObject(options, 'options', false);
    const runs = checkInt(options.runs, 'options.runs', 1);
    const executable = this.begin(packet, options, false);
    const env = this.runEnv!;
    const obj = this.obj;
    let r0 = 0n;
    const start = process.hrtime.bigint();
    if (executable.runMany !== undefined && runs <= 0x7fff_ffff) {
      // The engine loops itself, as the kernel's repeat loops in the kernel: one crossing per batch.
      const runMany = executable.runMany.bind(executable);
      r0 = obj.withFaultSource(this.spec, () => runMany(env, LAYOUT.CTX, runs, obj.budget));
    } else {
      for (let i = 0; i < runs; i++) {
        env.budget = obj.budget;
        env.tailCalls = 0;
        r0 = obj.withFaultSource(this.spec, () => executable.run(env, LAYOUT.CTX));
      }
    }
    const nsPerRun = Number(process.hrtime.bigint() - start) / runs;
    return { last: this.finish(r0), nsPerRun };
  }

  /** options.tunnel checked and turned into the skb's RX tunnel info; only TC programs take it. */
  private tunnelOption(input: unknown): ReturnType<typeof rxTunnelInfo> {
    const given = checkObject<TunnelInput>(input, 'options.tunnel', false);
    const tc = this.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS || this.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT;
    if (!tc) throw new ArgumentError('arg/range', `options.tunnel: program '${this.name}' is not a TC program: only an skb arriving on a tunnel device carries tunnel metadata`, 'options.tunnel');
    if (given.options !== undefined) checkBytes(given.options, 'options.tunnel.options');
    return rxTunnelInfo(given, (message) => new ArgumentError('arg/range', `options.tunnel.${message}`, 'options.tunnel'));
  }

  /** options.rxMetadata checked; only XDP programs take it. */
  private rxMetadataOption(input: unknown): ReturnType<typeof rxHints> {
    if (!this.xdp) throw new ArgumentError('arg/range', `options.rxMetadata: program '${this.name}' is not an XDP program: only the XDP metadata kfuncs read receive hints`, 'options.rxMetadata');
    return rxHints(input as RxMetadata, (message) => new ArgumentError('arg/range', `options.rxMetadata: ${message}`, 'options.rxMetadata'));
  }

  /** Lays out a run (packet, context, stack, a fresh run in the simulated kernel, {@link runEnv}) and returns the executable to run. */
  private begin(packet: unknown, options: RunOptions, traced: boolean): Executable {
    if (this.refusal) throw this.refusal;
    const bytes = checkBytes(packet, 'packet');
    checkObject(options, 'options');
    const obj = this.obj;
    const ctx = checkObject<CtxInput>(options.ctx, 'options.ctx');
    const cpu = options.cpu === undefined ? 0 : checkInt(options.cpu, 'options.cpu', 0, obj.cpus - 1);
    if (options.clock !== undefined) obj.kernel.clockNs = checkClock(options.clock, 'options.clock');
    const tunnel = options.tunnel === undefined ? undefined : this.tunnelOption(options.tunnel);
    const rx = options.rxMetadata === undefined ? undefined : this.rxMetadataOption(options.rxMetadata);
    const executables = obj.prepare(this.progType, traced);
    obj.checkRunnable(this.index);
    const executable = executables[this.index];
    if (executable === undefined) throw new ArgumentError('arg/range', `program '${this.name}' has no executable`, 'program');
    const kernel = obj.kernel;
    kernel.cpu = cpu;
    kernel.beginRun();
    // Records left by a run that faulted were never read: a new run's reader starts after them.
    obj.takeEvents();
    if (this.xdp) (this.xdpFrame ??= xdpFrameOf(obj.mem)).setup(bytes, ctx, kernel);
    else setupSkb(obj.mem, bytes, ctx, kernel, !this.socket);
    if (tunnel) setRxTunnel(obj.mem, tunnel);
    if (this.xdp) setRxHints(obj.mem, rx);
    const fill = options.stackFill === undefined ? DEFAULT_FILL : stackFillOf(options.stackFill);
    obj.writeStackFill(fill);
    const helpers = (this.helpers ??= obj.registryFor(this.progType));
    let env = this.runEnv;
    // The last run's env, reset, while it serves the same executables: one object fewer per run.
    if (env !== undefined && env.programs === executables && env.helpers === helpers && env.mem === obj.mem) resetRunEnv(env, cpu, obj.budget);
    else env = this.runEnv = newRunEnv(obj, this.progType, executables, cpu);
    this.runCtx = ctx;
    this.runFill = fill;
    return executable;
  }

  /** The result of the run {@link begin} laid out, which returned `r0` (or, undefined, r0 in unsigned 32-bit halves): what it left, read from the VM and the simulated kernel. */
  private finish(r0: bigint | undefined, r0Lo = 0, r0Hi = 0): RunOutput {
    const obj = this.obj;
    const mem = obj.mem;
    const kernel = obj.kernel;
    const out = new RunOutput();
    let retval: number;
    if (r0 === undefined) {
      retval = r0Lo;
      out.setR0Halves(r0Lo, r0Hi);
    } else {
      retval = retvalOf(r0);
      out.r0 = r0;
    }
    out.retval = retval;
    out.action = this.actionOf(retval);
    const redirect = kernel.takeRedirect();
    // A socket filter's data_out has the 14-byte Ethernet header in front, zeroed, as the kernel's; an XDP frame's fragments follow its linear part.
    if (this.socket) out.setPacketBytes(readSocketPacket(mem));
    else if (this.xdp && this.xdpFrame!.fragmented) out.setPacketBytes(readXdpPacket(mem));
    else packetStash.stash(out, mem.u8, mem.pktData, mem.pktEnd);
    const events = obj.takeEvents();
    if (events !== undefined) obj.eventStream.publish(events);
    // The kernel's lists are replaced at the next run, never emptied: the result takes the trace as it is.
    const sent = kernel.clones;
    let clones: ProgramRun['clones'] | undefined = sent.length === 0 ? undefined : sent.map(({ ifindex, flags, packet: p }) => ({ ifindex, flags, packet: p }));
    const trace = kernel.trace.length === 0 ? undefined : kernel.trace;
    if (redirect === null) {
      out.redirect = null;
    } else {
      let destination: RedirectDestination = {};
      if (redirect.map !== undefined && this.xdp) {
        const rx = { ifindex: mem.view.getUint32(LAYOUT.CTX + XDP_MD.ingress_ifindex.off, true), queue: mem.view.getUint32(LAYOUT.CTX + XDP_MD.rx_queue_index.off, true) };
        const outcome = redirectOutcome(redirect, obj.maps, out.packet, rx);
        destination = outcome.destination;
        if (outcome.copies.length > 0) clones = [...(clones ?? []), ...outcome.copies];
      }
      out.redirect = { ...redirectView(redirect)!, ...destination };
    }
    out.setLists(clones, events, trace);
    // Exactly the ctx_in fields of the type (XDP_CTX_IN_FIELDS, SKB_CTX_IN_FIELDS of uapi/context.ts), in their order.
    if (this.xdp) out.setXdpCtx(mem.pktData - mem.pktStart, this.xdpFrame!.ingress, this.xdpFrame!.rxq);
    else out.ctx = readSkbCtxOut(mem, this.runCtx);
    out.tunnel = this.xdp || this.socket ? null : readTunnel(mem);
    return out;
  }

  /** The verdict's name for `retval`, remembered for the small ones. */
  private actionOf(retval: number): string {
    if (retval < ACTION_CACHE) return (this.actionNames[retval] ??= actionName(this.progType, retval, this.attachType));
    return actionName(this.progType, retval, this.attachType);
  }

  /** Points CTRL.KEY_FILL at a copy of `fill` in the memory, written when the fill differs from the last one written there. */
  private watchKeys(fill: Uint8Array): void {
    const mem = this.obj.mem;
    const copy = (this.fillCopy ??= fillCopyOf(mem));
    if (copy.fill !== fill) {
      mem.u8.set(fill, copy.addr);
      copy.fill = fill;
    }
    mem.view.setUint32(LAYOUT.CTRL + CTRL.KEY_FILL, copy.addr, true);
  }
}

/** Verdicts below this have their names remembered per program. */
const ACTION_CACHE = 16;

/** Output packets of runs, until each result's packet is read. */
const packetStash = new PacketStash();

/** A redirect target as a run reports it: kind and next hop only for bpf_redirect_neigh/peer. */
function redirectView(r: RedirectTarget): ProgramRun['redirect'] {
  const view: ProgramRun['redirect'] = { ifindex: r.ifindex, flags: r.flags };
  if (r.kind) view.kind = r.kind;
  if (r.nexthop !== undefined) view.nexthop = r.nexthop;
  return view;
}

const DEFAULT_FILL = defaultStackFill(LAYOUT.STACK_SIZE);

/** The stack's bytes for a run's `stackFill`. */
function stackFillOf(fill: unknown): Uint8Array {
  if (fill === undefined) return DEFAULT_FILL;
  if (typeof fill === 'number') return new Uint8Array(LAYOUT.STACK_SIZE).fill(checkInt(fill, 'options.stackFill', 0, 255));
  const bytes = checkBytes(fill, 'options.stackFill');
  if (bytes.length === 0) throw new ArgumentError('arg/range', 'options.stackFill: expected at least one byte, got none', 'options.stackFill');
  const out = new Uint8Array(LAYOUT.STACK_SIZE);
  for (let i = 0; i < out.length; i += bytes.length) out.set(bytes.subarray(0, Math.min(bytes.length, out.length - i)), i);
  return out;
}

/** r0's low 32 bits, as BPF_PROG_TEST_RUN reports retval: through a double when r0 is exact in one, so no BigInt arithmetic per run. */
export function retvalOf(r0: bigint): number {
  const exact = Number(r0);
  return Number.isSafeInteger(exact) ? exact >>> 0 : Number(r0 & 0xffff_ffffn);
}

/** A RunEnv for runs of a `progType` program of `obj` over `executables` (a tail call's targets), starting on `cpu`. */
export function newRunEnv(obj: BpfObject, progType: number, executables: RunEnv['programs'], cpu: number): RunEnv {
  const mem = obj.mem;
  return {
    mem,
    maps: obj.maps,
    helpers: obj.registryFor(progType),
    progType,
    cpu,
    pc: 0,
    budget: obj.budget,
    programs: executables,
    tailCalls: 0,
    // Present from the start, so the engine setting it during the run does not change the object's shape.
    callback: undefined,
    // LD_ABS/LD_IND find the MAC and network headers where the skb helpers left them.
    skbHeaders: progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP ? undefined : () => skbHeadersOf(mem),
  };
}

/** `env` ready for another run on `cpu` with `budget` instructions: what a run changes, reset. */
export function resetRunEnv(env: RunEnv, cpu: number, budget: number): void {
  env.cpu = cpu;
  env.pc = 0;
  env.budget = budget;
  env.tailCalls = 0;
  env.callback = undefined;
}

/** The copy of a stack fill in a memory, for the engine's uninitialised-key test (CTRL.KEY_FILL). */
interface FillCopy {
  addr: number;
  fill: Uint8Array | undefined;
}

/** The copy of stack fills in each memory, one shared by every program running there. */
const fillCopies = new WeakMap<VmMemory, FillCopy>();

function fillCopyOf(mem: VmMemory): FillCopy {
  let copy = fillCopies.get(mem);
  if (copy === undefined) {
    copy = { addr: mem.allocRaw(LAYOUT.STACK_SIZE, 'stack fill copy'), fill: undefined };
    fillCopies.set(mem, copy);
  }
  return copy;
}
