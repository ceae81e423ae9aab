/**
 * The result of running a case, as the library keeps it: bytes everywhere. Hex appears only
 * where a result leaves the library: {@link resultJson} gives the design's JSON contract
 * (`bpfsim run --json`, src/internal/contract.ts RunResult).
 */
import type { ResultEvent, ResultMapEntry, RunResult, Warning } from '../internal/contract.js';
import { toHex } from '../internal/hex.js';
import type { TunnelView } from '../helpers/skb-state.js';
import type { ChecksumResult } from '../packet/checksum.js';
import type { ExecTrace } from '../vm/trace.js';

/** One map entry after a run, in the map's own byte layout. */
export interface CaseMapEntry {
  key: Uint8Array;
  /** The value; for a per-CPU map, the value of the CPU the run happened on. Absent for a prog-array slot. */
  value?: Uint8Array;
  /** Per-CPU maps only: every CPU's value. */
  values?: Uint8Array[];
  /** A prog-array slot: the name of the program in it (both backends report slots so, never an index or id). */
  program?: string;
}

/** A record a run sent to user space through a ring buffer or perf event array. */
export interface CaseEvent {
  /** The ring buffer's or perf event array's name. */
  map: string;
  /** The CPU that produced it. */
  cpu: number;
  /** The record's bytes. */
  data: Uint8Array;
  /** The record decoded through BTF, when its type is known (the `eventTypes` option). */
  value?: unknown;
}

/** What one run of a case did, on either backend (runCase's result). */
export interface CaseResult {
  /** r0 as the kernel reports it: an unsigned 32-bit number. */
  retval: number;
  /** `XDP_TX`, `TC_ACT_SHOT`, `unknown(N)`. */
  action: string;
  /** The output packet (from data, metadata excluded). */
  packet: Uint8Array;
  /** Where the packet was redirected: `kind` `neigh` (with `nexthop` when given) or `peer` for bpf_redirect_neigh/peer. */
  redirect: RunResult['redirect'];
  /** The tunnel metadata bpf_skb_set_tunnel_key (and _opt) left on the skb; the VM fills it (TC), the kernel backend cannot see it. */
  tunnel?: TunnelView | null;
  /** Copies bpf_clone_redirect sent, in order; the VM fills it, the kernel backend cannot see clones and leaves it out. */
  clones?: { ifindex: number; flags: number; packet: Uint8Array }[];
  /** Every entry of every hash-like map and every non-zero entry of every array-like map, after the run. */
  maps: Record<string, CaseMapEntry[]>;
  checksums: ChecksumResult;
  warnings: Warning[];
  /** bpf_trace_printk output, one string per call (not the instruction trace: that is `execTrace`). */
  trace: string[];
  /** Records sent to ring buffers and perf event arrays, in the order a reader gets them. */
  events?: CaseEvent[];
  /** The context's ctx_in fields after the run, only when the case gave `ctx`. */
  ctx?: Record<string, number | number[]>;
  /** The instruction trace (C lines, instructions, changed registers), when runCase was asked for `trace`; `formatTrace` prints it. */
  execTrace?: ExecTrace;
}

function entryJson(e: CaseMapEntry): ResultMapEntry {
  if (e.program !== undefined) return { key: toHex(e.key), program: e.program };
  const entry: ResultMapEntry = { key: toHex(e.key) };
  if (e.value !== undefined) entry.value = toHex(e.value);
  if (e.values !== undefined) entry.values = e.values.map(toHex);
  return entry;
}

function eventJson(e: CaseEvent): ResultEvent {
  const event: ResultEvent = { map: e.map, cpu: e.cpu, data: toHex(e.data) };
  if (e.value !== undefined) event.value = e.value;
  return event;
}

/**
 * A case's result as the design's JSON contract gives it (`bpfsim run --json`): bytes in hex,
 * fields in the contract's order; the instruction trace is not part of it.
 */
export function resultJson(result: CaseResult): RunResult {
  return {
    retval: result.retval,
    action: result.action,
    packet: toHex(result.packet),
    redirect: result.redirect,
    ...(result.tunnel ? { tunnel: { ...result.tunnel, options: toHex(result.tunnel.options) } } : {}),
    ...(result.clones !== undefined ? { clones: result.clones.map((c) => ({ ifindex: c.ifindex, flags: c.flags, packet: toHex(c.packet) })) } : {}),
    maps: Object.fromEntries(Object.entries(result.maps).map(([name, entries]) => [name, entries.map(entryJson)])),
    checksums: result.checksums,
    warnings: result.warnings,
    trace: result.trace,
    ...(result.events !== undefined ? { events: result.events.map(eventJson) } : {}),
    ...(result.ctx !== undefined ? { ctx: result.ctx } : {}),
  };
}
