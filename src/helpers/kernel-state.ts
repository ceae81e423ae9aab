import type { ConntrackSpec, FibSpec, SocketSpec, Warning } from '../internal/contract.js';
import type { VmMemory } from '../vm/memory.js';
import { InlineFibTables } from './inline/fib-tables.js';
import { clearInlineRedirect, takeInlineRedirect } from './inline/redirect.js';
import { SimNetwork } from './sim-network.js';
import { SimSockets } from './sim-sockets.js';
import { SimConntrack } from './conntrack-table.js';

/** Where a program asked the packet to go: bpf_redirect (an ifindex) or bpf_redirect_map (a devmap slot). */
export interface RedirectTarget {
  ifindex: number;
  flags: number;
  /** For bpf_redirect_map: the map (index into ObjectSpec.maps) and the key the program gave. */
  map?: { index: number; key: number };
  /** bpf_redirect_neigh (`neigh`: the neighbour layer fills the L2 header) or bpf_redirect_peer (`peer`: into the veth peer's namespace); absent for bpf_redirect. */
  kind?: 'neigh' | 'peer';
  /** bpf_redirect_neigh's next hop, when the program gave one: the address as text. */
  nexthop?: string;
}

/** A copy of the packet sent by bpf_clone_redirect. */
export interface CloneRecord {
  ifindex: number;
  flags: number;
  packet: Uint8Array;
}

/** Options of a {@link SimKernel}. */
export interface SimKernelOptions {
  /** Possible CPUs; default 1. */
  cpus?: number;
  /** The CPU runs happen on; default 0. */
  cpu?: number;
  /** The clock, ns since boot; default 1,000,000,000 (one second after boot). */
  clockNs?: bigint;
  /** Seed of bpf_get_prandom_u32; default 1. */
  seed?: number;
  /** Network state (interfaces, routes, neighbours, forwarding); default loopback only. */
  fib?: FibSpec;
  /** Sockets of the namespace bpf_sk_lookup_tcp/udp find; default none. */
  sockets?: readonly SocketSpec[];
  /** Entries of the namespace's conntrack table; default none. */
  conntrack?: readonly ConntrackSpec[];
}

/** One jiffy at CONFIG_HZ=250 (this machine's kernel), ns: the granularity of the coarse clock. */
export const JIFFY_NS = 4_000_000n;

/**
 * The simulated kernel state helpers read and the per-run outputs they leave: a clock the caller
 * sets, a seeded random generator, the CPUs, the network (src/helpers/sim-network.ts) and, per
 * run, trace lines, the redirect target, clones and warnings.
 *
 * The clock does not move by itself: `ktime_get_ns` and `ktime_get_boot_ns` return `clockNs`
 * (there is no suspend, so boot time equals monotonic time), and `ktime_get_coarse_ns` returns it
 * rounded down to a jiffy (4 ms at HZ=250), as the coarse clock only advances on ticks.
 */
export class SimKernel {
  /** The clock, ns since boot. Set it between runs to simulate time passing. */
  clockNs: bigint;
  readonly cpus: number;
  cpu: number;
  private net: SimNetwork;
  /** The sockets bpf_sk_lookup_tcp/udp and bpf_skc_lookup_tcp find. */
  sockets: SimSockets;
  /** The conntrack table the conntrack kfuncs reach; entries persist across runs. */
  conntrack: SimConntrack;
  private prng: number;
  /** The FIB tables the inline bpf_fib_lookup reads in the bound memory. */
  private inlineFib: InlineFibTables | undefined;

  /** bpf_trace_printk output of the current run, one line per call, without the trailing newline. */
  trace: string[] = [];
  private redirectTarget: RedirectTarget | null = null;
  private redirectMem: VmMemory | undefined;
  /** bpf_clone_redirect copies of the current run. */
  clones: CloneRecord[] = [];
  warnings: Warning[] = [];
  /** Runs begun so far ({@link beginRun}), 1 during the first. */
  runs = 0;

  constructor(options: SimKernelOptions = {}) {
    this.cpus = options.cpus ?? 1;
    this.cpu = options.cpu ?? 0;
    if (!Number.isInteger(this.cpus) || this.cpus < 1) throw new RangeError(`cpus: expected a positive integer, got ${this.cpus}`);
    if (!Number.isInteger(this.cpu) || this.cpu < 0 || this.cpu >= this.cpus) throw new RangeError(`cpu: expected 0 to ${this.cpus - 1}, got ${this.cpu}`);
    this.clockNs = options.clockNs ?? 1_000_000_000n;
    this.prng = (options.seed ?? 1) >>> 0;
    this.net = new SimNetwork(options.fib);
    this.sockets = new SimSockets(options.sockets);
    this.conntrack = new SimConntrack(options.conntrack, () => this.clockNs);
  }

  /** The network state bpf_fib_lookup and redirects see. */
  get network(): SimNetwork {
    return this.net;
  }

  set network(net: SimNetwork) {
    this.net = net;
    // The inline lookup's tables describe the old network: none until the next run writes them.
    this.inlineFib?.invalidate();
  }

  /** Replaces the network state with the one `fib` describes. */
  setFib(fib: FibSpec | undefined): void {
    this.network = new SimNetwork(fib);
  }

  /** Reseeds bpf_get_prandom_u32. */
  seed(seed: number): void {
    this.prng = seed >>> 0;
  }

  /** Records where the current run asked the packet to go (bpf_redirect and its kin), replacing any earlier target; null clears it. */
  setRedirect(target: RedirectTarget | null): void {
    this.redirectTarget = target;
    if (this.redirectMem) clearInlineRedirect(this.redirectMem);
  }

  /**
   * Takes the redirect target of the current run, or null, and clears it: the last one a helper
   * recorded or a bpf_redirect an engine carried out inline (left in the control block of the
   * memory given to {@link bindMemory}), whichever came last.
   */
  takeRedirect(): RedirectTarget | null {
    const inline = this.redirectMem && takeInlineRedirect(this.redirectMem);
    const target = inline ?? this.redirectTarget;
    this.redirectTarget = null;
    return target;
  }

  /**
   * Binds the kernel to the VM memory its runs use: an engine may then carry out bpf_redirect
   * inline, leaving the target in that memory's control block (inline/state.ts), and
   * bpf_fib_lookup over tables written there before each run (inline/fib-tables.ts).
   */
  bindMemory(mem: VmMemory): void {
    this.redirectMem = mem;
    this.inlineFib = new InlineFibTables(mem);
  }

  /** True once {@link bindMemory} was called. */
  get memoryBound(): boolean {
    return this.redirectMem !== undefined;
  }

  /**
   * Clears the per-run outputs (trace, redirect, clones, warnings) before a run. A list the last
   * run filled is replaced, never emptied, as a result may hold it; an empty one is kept.
   */
  beginRun(): void {
    this.runs++;
    this.inlineFib?.sync(this.net);
    if (this.trace.length !== 0) this.trace = [];
    this.redirectTarget = null;
    if (this.redirectMem !== undefined) clearInlineRedirect(this.redirectMem);
    if (this.clones.length !== 0) this.clones = [];
    if (this.warnings.length !== 0) this.warnings = [];
  }

  /** ktime_get_coarse_ns: the clock at the last tick. */
  get coarseNs(): bigint {
    return this.clockNs - (this.clockNs % JIFFY_NS);
  }

  /** The next 32-bit random number (mulberry32; the kernel's prandom is per-CPU and unseeded, so only the distribution matches). */
  nextRandom(): number {
    this.prng = (this.prng + 0x6d2b79f5) >>> 0;
    let t = this.prng;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
}
