/**
 * The real-kernel backend: runs one case through libbpf and `BPF_PROG_TEST_RUN` (bpf(2),
 * net/bpf/test_run.c) in a child process with its own network namespace and bpffs, pinned to
 * CPU 0, and returns what the kernel did. The caller's process never loads a program itself.
 */
import { KernelError } from '../internal/errors.js';
import type { ConntrackSpec, FibSpec, ProgTypeName, SocketSpec } from '../internal/contract.js';
import { askKernelChild } from './child-process.js';
import { decodeResult, decodeWireError, encodeRequest, type WireAnswer } from './wire.js';

/** One case for the kernel. */
export interface KernelCase {
  /** Path of the clang-compiled object. */
  objectPath: string;
  /** The program's function name, or a section name that only one program has. */
  program: string;
  /** Program type for a section libbpf does not know; default from the section name. */
  progType?: ProgTypeName;
  /** The frame from the Ethernet header; for XDP with `ctx.data = N`, N metadata bytes first. */
  packet: Uint8Array;
  /** ctx_in fields of `struct xdp_md` (data, ingress_ifindex, rx_queue_index) or `struct __sk_buff`. */
  ctx?: Record<string, number | number[]>;
  /** Entries written before the run, in order; `program` fills a prog-array slot with that program's fd. */
  maps?: Record<string, { key: Uint8Array; value?: Uint8Array; program?: string }[]>;
  /** Interfaces, routes, neighbours and forwarding built in the private namespace. */
  fib?: FibSpec;
  /** Sockets to make in the namespace before the run (src/kernel/sockets.ts). */
  sockets?: SocketSpec[];
  /** Conntrack entries to insert in the namespace before the run (src/kernel/conntrack.ts). */
  conntrack?: ConntrackSpec[];
  /** BPF_PROG_TEST_RUN's `repeat`: the same input this many times; default 1. */
  repeat?: number;
  /** Kconfig lines (`CONFIG_HZ=250\nCONFIG_X=y`) over the system's, as libbpf's open opts `kconfig`. */
  kconfig?: string;
  /** A vmlinux BTF file CO-RE relocations resolve against, as libbpf's open opts `btf_custom_path`. */
  btfPath?: string;
}

/** What the kernel did with a case. */
export interface KernelResult {
  /** r0 as the kernel reports it, an unsigned 32-bit number. */
  retval: number;
  /** BPF_PROG_TYPE_* of the program as loaded. */
  progType: number;
  /** The program's ELF section (`tcx/ingress`). */
  section?: string;
  /** data_out from `data` on: XDP metadata, if any, is in `meta`. */
  packet: Uint8Array;
  /** XDP metadata in front of the packet after the run (bpf_xdp_adjust_meta), when there is some. */
  meta?: Uint8Array;
  /** ctx_out: every ctx_in field of the program type after the run, when the case gave ctx. */
  ctx?: Record<string, number | number[]>;
  /**
   * Every data map after the run, under the VM's names (`.rodata`, `.bss` for global data):
   * each entry of a hash-like map, each non-zero entry of an array-like map; `values` has one
   * value per possible CPU for per-CPU maps, one otherwise; a prog-array slot has `program`, its
   * program's name, and no values. Other maps whose values are not data are left out.
   */
  maps: Record<string, { key: Uint8Array; values: Uint8Array[]; program?: string }[]>;
  /** Records read from ring buffers and perf event arrays after the run (a reader opened before it), in order per map. */
  events?: { map: string; cpu: number; data: Uint8Array }[];
  /** The kernel's average duration of one run in ns, when the case gave `repeat`. */
  durationNs?: number;
}

/** Options for {@link runOnKernel}. */
export interface RunOnKernelOptions {
  /** Milliseconds before the child is killed; default 60000. */
  timeoutMs?: number;
}

/**
 * Runs `c` on the real kernel. Throws VerifierError when the verifier rejects the program
 * (summary as message, whole log on `.log`), CaseError for a case that does not fit the object,
 * and KernelError otherwise: `kernel/no-privileges` without root, `kernel/unavailable` without
 * koffi or libbpf, `kernel/timeout`, or libbpf's message with the errno name.
 */
export async function runOnKernel(c: KernelCase, opts: RunOnKernelOptions = {}): Promise<KernelResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const answer = await askKernelChild<WireAnswer | undefined>(encodeRequest(c), timeoutMs, 'case');
  if (answer && 'result' in answer) return decodeResult(answer.result);
  if (answer && 'error' in answer) throw decodeWireError(answer.error);
  throw new KernelError('kernel/child', 'kernel backend: child process gave no answer');
}
