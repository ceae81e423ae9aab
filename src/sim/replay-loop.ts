import { PcapError, SimError } from '../internal/errors.js';
import { LINKTYPE_ETHERNET, readCaptureBatches, type CaptureSource, type PacketBatch, type PcapngWriter } from '../pcap/index.js';
import { actionName, BPF_F_INGRESS, BPF_PROG_TYPE, TC_ACT, XDP_ACTION } from '../uapi/index.js';
import type { Case } from './case.js';
import { checksumVerdictsIn, CHECKSUM_BAD, CHECKSUM_OK } from './checksum-verdicts.js';
import { cpuOfHash, flowHash } from './flow-hash.js';
import { resolveProgType, type BpfObject } from './object.js';
import { PacketRunner, STACK_FILL } from './packet-runner.js';
import type { Program } from './program.js';
import { describeEgress, egressOf, type CaptureStats, type ChecksumCounts, type Egress, type ReplayOptions, type ReplayStats } from './replay.js';

/** An egress with its counters and its interface in the output file. */
interface EgressSlot {
  egress: Egress;
  /** The egress interface's number among those of the replay, for counting by number. */
  egressId: number;
  /** The interface in the output, added when the first packet leaves through it. */
  iface: number;
  /** The packet comments with ` cpu N` (ReplayOptions.cpus), by CPU, made once. */
  cpuComments: string[];
}

/** Counts by small non-negative numbers, remembering the order in which each first counted (a Map's insertion order). */
class Tally {
  readonly counts: number[] = [];
  readonly order: number[] = [];

  add(key: number, n: number): void {
    const before = this.counts[key];
    if (before === undefined) this.order.push(key);
    this.counts[key] = (before ?? 0) + n;
  }
}

/** Retvals counted in a {@link Tally}; others (a verdict is any u32) in a Map. */
const SMALL_RETVALS = 64;

/** Counters of one capture, by number until the end. */
class Counters {
  packets = 0;
  /** Packets by retval below SMALL_RETVALS, and by any retval in `otherRetvals`; `retvalOrder` is the order of first sight of both. */
  readonly smallRetvals: number[] = new Array<number>(SMALL_RETVALS).fill(0);
  readonly otherRetvals = new Map<number, number>();
  readonly retvalOrder: number[] = [];
  readonly byEgress = new Tally();
  readonly byCpu: number[] = [];
  /** ip ok, bad, none; l4 ok, bad, none. */
  readonly sums = [0, 0, 0, 0, 0, 0];

  countRetval(retval: number, n = 1): void {
    if (retval < SMALL_RETVALS) {
      if (this.smallRetvals[retval] === 0) this.retvalOrder.push(retval);
      this.smallRetvals[retval]! += n;
      return;
    }
    const before = this.otherRetvals.get(retval);
    if (before === undefined) this.retvalOrder.push(retval);
    this.otherRetvals.set(retval, (before ?? 0) + n);
  }

  retvalCount(retval: number): number {
    return retval < SMALL_RETVALS ? this.smallRetvals[retval]! : this.otherRetvals.get(retval)!;
  }

  add(other: Counters): void {
    this.packets += other.packets;
    for (const retval of other.retvalOrder) this.countRetval(retval, other.retvalCount(retval));
    for (const id of other.byEgress.order) this.byEgress.add(id, other.byEgress.counts[id]!);
    other.byCpu.forEach((n, cpu) => (this.byCpu[cpu] = (this.byCpu[cpu] ?? 0) + n));
    for (let i = 0; i < 6; i++) this.sums[i]! += other.sums[i]!;
  }
}

const counts = (sums: number[], at: number): ChecksumCounts => ({ ok: sums[at]!, bad: sums[at + 1]!, none: sums[at + 2]! });

/**
 * The replay loop over batches of packets (see replayCaptures): one {@link PacketRunner} run per
 * packet, r0's verdict name and its egress cached by retval, counters by number, output blocks
 * appended to the writer's buffer. Cases with tunnel metadata run through Program.run.
 */
export class Replay {
  private readonly program: Program;
  private readonly runner: PacketRunner | undefined;
  private readonly progType: number;
  private readonly actionNames = new Map<number, string>();
  /** Egress of a verdict without a redirect target, by retval (null: dropped); below SMALL_RETVALS in `plainSmall`. */
  private readonly plainEgress = new Map<number, EgressSlot | null>();
  private readonly plainSmall: (EgressSlot | null | undefined)[] = new Array<EgressSlot | null | undefined>(SMALL_RETVALS).fill(undefined);
  /** Egress of a redirect, by `retval/ifindex/ingress`. */
  private readonly redirectEgress = new Map<string, EgressSlot | null>();
  private readonly slots = new Map<string, EgressSlot>();
  private readonly perCapture: { source: string; counters: Counters }[] = [];
  private readonly clockStart: bigint;
  /** Capture time of the first packet (s, ns) and the clock's furthest move from it (ns). */
  private first: { seconds: number; nanos: number } | undefined;
  private lastDeltaNs = -1;
  private packetsRun = 0;

  constructor(
    private readonly c: Case,
    private readonly object: BpfObject,
    private readonly writer: PcapngWriter | undefined,
    private readonly options: ReplayOptions,
  ) {
    this.program = object.program(c.program);
    // Receive hints (rxMetadata) and tunnel metadata are laid out by Program.run only.
    this.runner = c.tunnel || c.rxMetadata ? undefined : new PacketRunner(object, this.program, c.ctx ?? {}, c.type);
    this.progType = resolveProgType(this.program.spec, c.type);
    this.clockStart = object.kernel.clockNs;
    // The batch path's memory and module are set up with the object, before the packets.
    if (options.cpus === undefined) this.runner?.batchPath();
  }

  /** Replays one capture, the `index`th. */
  async capture(capture: CaptureSource, source: string, index: number): Promise<void> {
    const counters = new Counters();
    this.perCapture.push({ source, counters });
    const batches = readCaptureBatches(capture);
    let lastOffset = 0;
    try {
      for (;;) {
        let next: IteratorResult<PacketBatch>;
        try {
          next = await batches.next();
        } catch (err) {
          throw err instanceof SimError && !err.message.startsWith(`${source}: `) ? err.withContext(source) : err;
        }
        if (next.done) break;
        this.batch(next.value, counters, index);
        if (this.writer) await this.writer.drain();
        this.options.onProgress?.(this.packetsRun, this.bytesBefore + next.value.offset);
        lastOffset = next.value.offset;
      }
    } catch (err) {
      await batches.return(undefined);
      throw err;
    }
    this.bytesBefore += lastOffset;
  }

  /** Bytes of the captures replayed before the current one. */
  private bytesBefore = 0;

  private batch(b: PacketBatch, counters: Counters, captureIndex: number): void {
    const cpus = this.options.cpus;
    const onPacket = this.options.onPacket;
    const runner = this.runner;
    const { bytes, dataOff, dataLen, seconds, nanos, linkType } = b;
    // Without CPU steering, runs of a batch-safe XDP program go through the batch path once a frame was laid out in full.
    const batchPath = cpus === undefined ? runner?.batchPath() : undefined;
    for (let i = 0; i < b.length; i++) {
      if (batchPath !== undefined) {
        const frame = runner!.linearFrame();
        const ran = frame === undefined ? 0 : batchPath.run(b, i, frame, STACK_FILL, this.leaveMask(), this.stopMask());
        if (ran > 0) this.countBatch(b, i, ran, batchPath.results, counters, captureIndex);
        if (batchPath.fault !== undefined) {
          const n = counters.packets;
          const err = batchPath.fault;
          throw err instanceof SimError ? err.withContext(`packet ${n} (frame ${n + 1})`) : err;
        }
        i += ran;
        if (i >= b.length) break;
      }
      const n = counters.packets;
      if (linkType[i] !== LINKTYPE_ETHERNET) {
        throw new PcapError('pcap/link-type', `packet ${n} (frame ${n + 1}): link type ${linkType[i]} is not Ethernet (1): XDP and TC programs see Ethernet frames`);
      }
      const sec = seconds[i]!;
      const ns = nanos[i]!;
      this.moveClock(sec, ns);
      const off = dataOff[i]!;
      const len = dataLen[i]!;
      const cpu = cpus === undefined ? 0 : cpuOfHash(flowHash(bytes.subarray(off, off + len)), cpus);
      let retval: number;
      let slot: EgressSlot | null;
      try {
        if (runner) {
          retval = runner.runAt(bytes, off, len, cpu);
          // A verdict other than a redirect leaves the same way every time.
          const plain = retval < SMALL_RETVALS ? this.plainSmall[retval] : this.plainEgress.get(retval);
          slot = plain !== undefined ? plain : this.egressSlot(retval, isRedirect(this.progType, retval) ? runner.takeRedirect() : null);
        } else {
          retval = this.runProgram(bytes.subarray(off, off + len), cpu);
          slot = this.slot;
        }
      } catch (err) {
        if (err instanceof SimError) throw err.withContext(`packet ${n} (frame ${n + 1})`);
        throw err;
      }
      counters.packets++;
      this.packetsRun++;
      counters.countRetval(retval);
      if (cpus !== undefined) counters.byCpu[cpu] = (counters.byCpu[cpu] ?? 0) + 1;
      // bpf_clone_redirect sends its copy during the run, before the verdict's packet leaves.
      const clones = runner ? runner.clones() : this.lastClones;
      for (let k = 0; k < clones.length; k++) {
        const copy = clones[k]!.packet;
        this.leave(copy, 0, copy.length, this.cloneSlot(clones[k]!), counters, sec, ns, cpu);
      }
      if (slot) {
        if (!runner) this.leave(this.out!, 0, this.out!.length, slot, counters, sec, ns, cpu);
        else if (runner.outputInPlace()) {
          const mem = this.object.mem;
          this.leave(mem.u8, mem.pktData, mem.pktEnd - mem.pktData, slot, counters, sec, ns, cpu);
        } else {
          const out = runner.packet();
          this.leave(out, 0, out.length, slot, counters, sec, ns, cpu);
        }
      }
      if (onPacket) onPacket({ capture: captureIndex, index: n, retval, action: this.actionName(retval), cpu, egress: slot ? slot.egress.iface : null });
    }
  }

  /**
   * Counts and writes the `ran` packets from `from` that the batch path ran: verdicts and output
   * packets from its results, the clock moved once to where the last of them would have left it
   * (no run of a batch reads it).
   */
  private countBatch(b: PacketBatch, from: number, ran: number, results: Uint32Array, counters: Counters, captureIndex: number): void {
    const onPacket = this.options.onPacket;
    const runner = this.runner!;
    const u8 = this.object.mem.u8;
    const { seconds, nanos } = b;
    let latest = from;
    for (let k = 0; k < ran; k++) {
      const i = from + k;
      const n = counters.packets;
      const sec = seconds[i]!;
      const ns = nanos[i]!;
      if (sec > seconds[latest]! || (sec === seconds[latest]! && ns > nanos[latest]!)) latest = i;
      const retval = results[3 * k]!;
      const plain = retval < SMALL_RETVALS ? this.plainSmall[retval] : this.plainEgress.get(retval);
      // Only the last packet of a batch can be a redirect (stopMask): its target is still to take.
      const slot = plain !== undefined ? plain : this.egressSlot(retval, isRedirect(this.progType, retval) ? runner.takeRedirect() : null);
      counters.packets++;
      this.packetsRun++;
      counters.countRetval(retval);
      if (slot) this.leave(u8, results[3 * k + 1]!, results[3 * k + 2]!, slot, counters, sec, ns, 0);
      if (onPacket) onPacket({ capture: captureIndex, index: n, retval, action: this.actionName(retval), cpu: 0, egress: slot ? slot.egress.iface : null });
    }
    this.moveClock(seconds[latest]!, nanos[latest]!);
  }

  /** Verdicts below 32 whose output packet the batch path copies out: those that may leave. */
  private leaveMask(): number {
    if (this.masks === undefined) this.masks = this.verdictMasks();
    return this.masks.leave;
  }

  /** Verdicts below 32 after which a batch ends: redirects, whose target the loop takes. */
  private stopMask(): number {
    if (this.masks === undefined) this.masks = this.verdictMasks();
    return this.masks.stop;
  }

  private masks: { leave: number; stop: number } | undefined;

  private verdictMasks(): { leave: number; stop: number } {
    let leave = 0;
    let stop = 0;
    for (let retval = 0; retval < 32; retval++) {
      const redirect = isRedirect(this.progType, retval);
      if (redirect) stop |= 1 << retval;
      if (redirect || this.egressSlot(retval, null) !== null) leave |= 1 << retval;
    }
    return { leave, stop };
  }

  private lastClones: readonly { ifindex: number; flags: number; packet: Uint8Array }[] = [];

  /** Where the last packet run through Program.run leaves (null: dropped), and its output packet. */
  private slot: EgressSlot | null = null;
  private out: Uint8Array | undefined;

  /** Runs one packet through Program.run (cases with tunnel metadata or receive hints, each packet carrying the case's): its retval; {@link slot} and {@link out} say where it leaves. */
  private runProgram(data: Uint8Array, cpu: number): number {
    const r = this.program.run(data, { cpu, ctx: this.c.ctx ?? {}, ...(this.c.tunnel && { tunnel: this.c.tunnel }), ...(this.c.rxMetadata && { rxMetadata: this.c.rxMetadata }) });
    this.lastClones = this.object.kernel.clones;
    this.slot = this.egressSlot(r.retval, r.redirect);
    this.out = r.packet;
    return r.retval;
  }

  /** The simulated clock at the packet's capture time, relative to the first packet's; it never goes back. */
  private moveClock(seconds: number, nanos: number): void {
    const first = (this.first ??= { seconds, nanos });
    const delta = (seconds - first.seconds) * 1e9 + (nanos - first.nanos);
    if (delta <= this.lastDeltaNs) return;
    const exact = Number.isSafeInteger(delta) ? BigInt(delta) : (BigInt(seconds) - BigInt(first.seconds)) * 1_000_000_000n + BigInt(nanos - first.nanos);
    this.lastDeltaNs = delta;
    const at = this.clockStart + exact;
    const kernel = this.object.kernel;
    if (at > kernel.clockNs) kernel.clockNs = at;
  }

  private actionName(retval: number): string {
    let name = this.actionNames.get(retval);
    if (name === undefined) this.actionNames.set(retval, (name = actionName(this.progType, retval, this.program.attachType)));
    return name;
  }

  private egressSlot(retval: number, redirect: { ifindex: number; flags: number } | null): EgressSlot | null {
    if (!isRedirect(this.progType, retval)) {
      let slot = retval < SMALL_RETVALS ? this.plainSmall[retval] : this.plainEgress.get(retval);
      if (slot === undefined) {
        slot = this.slotOf(egressOf(this.progType, { retval, action: this.actionName(retval), redirect: null }, this.exists));
        if (retval < SMALL_RETVALS) this.plainSmall[retval] = slot;
        else this.plainEgress.set(retval, slot);
      }
      return slot;
    }
    const key = redirect ? `${retval}/${redirect.ifindex}/${redirect.flags & BPF_F_INGRESS}` : `${retval}`;
    let slot = this.redirectEgress.get(key);
    if (slot === undefined) this.redirectEgress.set(key, (slot = this.slotOf(egressOf(this.progType, { retval, action: this.actionName(retval), redirect }, this.exists))));
    return slot;
  }

  private readonly exists = (ifindex: number): boolean => this.object.kernel.network.interface(ifindex) !== undefined;

  private cloneSlot(clone: { ifindex: number; flags: number }): EgressSlot {
    const ingress = (clone.flags & BPF_F_INGRESS) !== 0;
    const iface = `redirect:${clone.ifindex}${ingress ? ':ingress' : ''}`;
    return this.slotOf({ iface, comment: `bpf_clone_redirect ifindex ${clone.ifindex}${ingress ? ' ingress' : ''}` })!;
  }

  /** One slot per egress and comment; the output interface is shared by every slot of the same egress. */
  private slotOf(egress: Egress | null): EgressSlot | null {
    if (!egress) return null;
    const key = `${egress.iface}\n${egress.comment}`;
    let slot = this.slots.get(key);
    if (!slot) {
      let egressId = this.egressIds.get(egress.iface);
      if (egressId === undefined) {
        egressId = this.egressNames.length;
        this.egressIds.set(egress.iface, egressId);
        this.egressNames.push(egress.iface);
      }
      this.slots.set(key, (slot = { egress, egressId, iface: -1, cpuComments: [] }));
    }
    return slot;
  }

  /** The egress interfaces seen, by {@link EgressSlot.egressId}. */
  private readonly egressNames: string[] = [];
  private readonly egressIds = new Map<string, number>();

  private readonly interfaces = new Map<string, number>();

  /** Counts the packet of `len` bytes at `off` of `bytes` leaving through `slot`, and writes it. */
  private leave(bytes: Uint8Array, off: number, len: number, slot: EgressSlot, counters: Counters, seconds: number, nanos: number, cpu: number): void {
    counters.byEgress.add(slot.egressId, 1);
    const verdicts = checksumVerdictsIn(bytes, off, len);
    const ip = verdicts & 3;
    const l4 = verdicts >> 2;
    counters.sums[ip === CHECKSUM_OK ? 0 : ip === CHECKSUM_BAD ? 1 : 2]!++;
    counters.sums[l4 === CHECKSUM_OK ? 3 : l4 === CHECKSUM_BAD ? 4 : 5]!++;
    const writer = this.writer;
    if (!writer) return;
    if (slot.iface < 0) {
      const iface = slot.egress.iface;
      let id = this.interfaces.get(iface);
      if (id === undefined) this.interfaces.set(iface, (id = writer.addInterface({ name: iface, description: describeEgress(iface, this.object, this.c.ctx?.ingress_ifindex) })));
      slot.iface = id;
    }
    const comment = this.options.cpus === undefined ? slot.egress.comment : (slot.cpuComments[cpu] ??= `${slot.egress.comment} cpu ${cpu}`);
    writer.appendPacketIn(bytes, off, len, slot.iface, seconds, nanos, comment);
  }

  /** The totals and each capture's counts, after the last capture. */
  stats(elapsedNs: number): ReplayStats {
    const total = new Counters();
    const captures = this.perCapture.map(({ source, counters }) => {
      total.add(counters);
      return this.view(source, counters);
    });
    const packets = total.packets;
    return { ...this.view('', total), source: captures.length === 1 ? captures[0]!.source : '', elapsedNs, packetsPerSecond: elapsedNs > 0 ? (packets * 1e9) / elapsedNs : 0, captures, object: this.object };
  }

  private view(source: string, k: Counters): CaptureStats {
    const actions: Record<string, number> = {};
    for (const retval of k.retvalOrder) actions[this.actionName(retval)] = (actions[this.actionName(retval)] ?? 0) + k.retvalCount(retval);
    const egress: Record<string, number> = {};
    for (const id of k.byEgress.order) egress[this.egressNames[id]!] = k.byEgress.counts[id]!;
    const stats: CaptureStats = { source, packets: k.packets, actions, egress, checksums: { ip: counts(k.sums, 0), l4: counts(k.sums, 3) } };
    if (this.options.cpus !== undefined) {
      stats.cpus = {};
      for (let cpu = 0; cpu < this.options.cpus; cpu++) stats.cpus[String(cpu)] = k.byCpu[cpu] ?? 0;
    }
    return stats;
  }
}

/** Whether `retval` is the verdict that sends the packet where bpf_redirect chose. */
function isRedirect(progType: number, retval: number): boolean {
  return progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP ? retval === XDP_ACTION.XDP_REDIRECT : retval === (TC_ACT.TC_ACT_REDIRECT >>> 0);
}
