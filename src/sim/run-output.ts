import type { Warning } from '../internal/contract.js';
import { checkChecksums, type ChecksumResult } from '../packet/checksum.js';
import type { ProgramRun } from './program.js';

/** The fields of a {@link ProgramRun} a run fills in; the rest are derived from them. */
export type RunFields = Omit<ProgramRun, 'checksums'>;

/** Bytes of each block a {@link PacketStash} copies packets into. */
const STASH_BLOCK = 64 * 1024;
/** Packets longer than this get a block of their own. */
const STASH_LARGEST = 16 * 1024;

/**
 * Output packets copied out of VM memory as a run ends, side by side in blocks of ordinary
 * memory, until a result's `packet` is read and gets its own array: a copy into a block costs
 * less than an array per run (one above 64 bytes lives outside V8's heap), and a result never
 * read never makes one. Blocks are not reused; one goes when no result still points into it.
 */
export class PacketStash {
  private block = newBlock();
  private used = 0;
  /** The last source range and a view of it, reused while runs end with the same packet bounds. */
  private source: Uint8Array | undefined;
  private view: Uint8Array | undefined;
  private viewStart = -1;
  private viewEnd = -1;

  /** Copies `u8[start, end)` into a block and points `out`'s packet at the copy. */
  stash(out: RunOutput, u8: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (len > STASH_LARGEST) {
      out.setPacketBytes(u8.slice(start, end));
      return;
    }
    if (u8 !== this.source || start !== this.viewStart || end !== this.viewEnd) {
      this.source = u8;
      this.view = u8.subarray(start, end);
      this.viewStart = start;
      this.viewEnd = end;
    }
    if (this.used + len > STASH_BLOCK) {
      this.block = newBlock();
      this.used = 0;
    }
    const at = this.used;
    this.block.set(this.view!, at);
    this.used = at + len;
    out.setPacketStash(this.block, at, len);
  }
}

/** A block for a {@link PacketStash}, not zeroed: every byte a result reads was copied in first. */
function newBlock(): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(STASH_BLOCK).buffer, 0, STASH_BLOCK);
}

const NO_BYTES = new Uint8Array(0);

/**
 * A {@link ProgramRun} as {@link Program.run} returns it: the run's own fields are plain data set
 * as the run ends; what costs more than a short run is made on first read and kept: `packet`
 * (copied out of VM memory at the end of the run, its own array made when read), `ctx`, `r0`,
 * the lists (`clones`, `events`, `trace`, `warnings`) when the run left them empty, and
 * `checksums`, which parses the packet. A later run never changes a result. Those fields are
 * getters of the class (with setters), so they are left out of a spread (`{ ...run }`);
 * JSON.stringify and {@link toJSON} include them.
 */
export class RunOutput implements ProgramRun {
  retval: number;
  action: string;
  redirect: ProgramRun['redirect'];
  tunnel: ProgramRun['tunnel'];
  execTrace?: ProgramRun['execTrace'];
  #r0: bigint | undefined = undefined;
  /** r0's halves, when r0 was not given as a bigint. */
  #r0Lo = 0;
  #r0Hi = 0;
  #packet: Uint8Array | undefined = undefined;
  #stash: Uint8Array = NO_BYTES;
  #stashAt = 0;
  #stashLen = 0;
  #ctx: ProgramRun['ctx'] | undefined = undefined;
  /** XDP's ctx_out, when `ctx` is made on read: data (the metadata length), ingress_ifindex, rx_queue_index. */
  #xdpMeta = 0;
  #xdpIngress = 0;
  #xdpRxq = 0;
  #clones: ProgramRun['clones'] | undefined = undefined;
  #events: ProgramRun['events'] | undefined = undefined;
  #trace: string[] | undefined = undefined;
  #warnings: Warning[] | undefined = undefined;
  #checksums: ChecksumResult | undefined = undefined;

  /** A result of every field of `fields`, or (none given) one the run fills through the setters. */
  constructor(fields?: RunFields) {
    this.retval = fields?.retval ?? 0;
    this.action = fields?.action ?? '';
    this.redirect = fields?.redirect ?? null;
    this.tunnel = fields?.tunnel ?? null;
    if (fields === undefined) return;
    this.#r0 = fields.r0;
    this.#packet = fields.packet;
    this.#ctx = fields.ctx;
    this.#clones = fields.clones;
    this.#events = fields.events;
    this.#trace = fields.trace;
    if (fields.execTrace !== undefined) this.execTrace = fields.execTrace;
    this.#warnings = fields.warnings;
  }

  /** Sets r0 from its unsigned 32-bit halves; the bigint is made when read. */
  setR0Halves(lo: number, hi: number): void {
    this.#r0 = undefined;
    this.#r0Lo = lo;
    this.#r0Hi = hi;
  }

  /** Sets the packet to `len` bytes of `block` from `at` (a {@link PacketStash} block, never written there again); its array is made when read. */
  setPacketStash(block: Uint8Array, at: number, len: number): void {
    this.#packet = undefined;
    this.#stash = block;
    this.#stashAt = at;
    this.#stashLen = len;
  }

  /** Sets the packet to `bytes`, which the result then owns. */
  setPacketBytes(bytes: Uint8Array): void {
    this.#packet = bytes;
    this.#stash = NO_BYTES;
  }

  /** Sets an XDP run's ctx_out from its values; the object is made when read. */
  setXdpCtx(metaLen: number, ingress: number, rxq: number): void {
    this.#ctx = undefined;
    this.#xdpMeta = metaLen;
    this.#xdpIngress = ingress;
    this.#xdpRxq = rxq;
  }

  /** Sets the lists the run left, each undefined when empty (an empty list is made when read). */
  setLists(clones: ProgramRun['clones'] | undefined, events: ProgramRun['events'] | undefined, trace: string[] | undefined): void {
    this.#clones = clones;
    this.#events = events;
    this.#trace = trace;
  }

  /** r0, unsigned 64-bit. */
  get r0(): bigint {
    return (this.#r0 ??= (BigInt(this.#r0Hi) << 32n) | BigInt(this.#r0Lo));
  }
  set r0(value: bigint) {
    this.#r0 = value;
  }

  /** The packet after the run, from data to data_end (metadata excluded). */
  get packet(): Uint8Array {
    if (this.#packet === undefined) {
      this.#packet = this.#stash.slice(this.#stashAt, this.#stashAt + this.#stashLen);
      this.#stash = NO_BYTES;
    }
    return this.#packet;
  }
  set packet(value: Uint8Array) {
    this.setPacketBytes(value);
  }

  /** ctx_out: every ctx_in field of the program type, after the run. */
  get ctx(): ProgramRun['ctx'] {
    return (this.#ctx ??= { data: this.#xdpMeta, ingress_ifindex: this.#xdpIngress, rx_queue_index: this.#xdpRxq });
  }
  set ctx(value: ProgramRun['ctx']) {
    this.#ctx = value;
  }

  /** Copies sent by bpf_clone_redirect, in order. */
  get clones(): ProgramRun['clones'] {
    return (this.#clones ??= []);
  }
  set clones(value: ProgramRun['clones']) {
    this.#clones = value;
  }

  /** Records the run sent to ring buffers and perf event arrays. */
  get events(): ProgramRun['events'] {
    return (this.#events ??= []);
  }
  set events(value: ProgramRun['events']) {
    this.#events = value;
  }

  /** bpf_trace_printk output, one string per call. */
  get trace(): string[] {
    return (this.#trace ??= []);
  }
  set trace(value: string[]) {
    this.#trace = value;
  }

  /** Things that run but would misbehave in the kernel: `uninit-map-key`. */
  get warnings(): Warning[] {
    return (this.#warnings ??= []);
  }
  set warnings(value: Warning[]) {
    this.#warnings = value;
  }

  /** The output packet's IPv4 header and TCP/UDP/ICMP checksums, checked on first read. */
  get checksums(): ChecksumResult {
    return (this.#checksums ??= checkChecksums(this.packet));
  }

  /** The run as plain data, every field included. */
  toJSON(): ProgramRun {
    const out: ProgramRun = {
      retval: this.retval,
      r0: this.r0,
      action: this.action,
      packet: this.packet,
      ctx: this.ctx,
      redirect: this.redirect,
      tunnel: this.tunnel,
      clones: this.clones,
      events: this.events,
      trace: this.trace,
      warnings: this.warnings,
      checksums: this.checksums,
    };
    if (this.execTrace !== undefined) out.execTrace = this.execTrace;
    return out;
  }
}
