import { PcapError, SimError } from '../internal/errors.js';
import { LINKTYPE_ETHERNET, readCaptureBatches, type CaptureSource, type PacketBatch, type PcapngWriter } from '../pcap/index.js';
import { actionName, BPF_F_INGRESS, BPF_PROG_TYPE, TC_ACT, XDP_ACTION } from '../uapi/index.js';
import type { Case } from './case.js';
import { checksumVerdicts, CHECKSUM_BAD, CHECKSUM_OK } from './checksum-verdicts.js';
import { cpuOfHash, flowHash } from './flow-hash.js';
import { resolveProgType, type BpfObject } from './object.js';
import { PacketRunner } from './packet-runner.js';
import type { Program } from './program.js';
import { describeEgress, egressOf, type CaptureStats, type ChecksumCounts, type Egress, type ReplayOptions, type ReplayStats } from './replay.js';

/** An egress with its counters and its interface in the output file. */
interface EgressSlot {
  egress: Egress;
  /** The interface in the output, added when the first packet leaves through it. */
  iface: number;
}

/** Counters of one capture, by number until the end. */
class Counters {
  packets = 0;
  readonly byRetval = new Map<number, number>();
  readonly byEgress = new Map<string, number>();
  readonly byCpu: number[] = [];
  /** ip ok, bad, none; l4 ok, bad, none. */
  readonly sums = [0, 0, 0, 0, 0, 0];

  add(other: Counters): void {
    this.packets += other.packets;
    for (const [k, n] of other.byRetval) this.byRetval.set(k, (this.byRetval.get(k) ?? 0) + n);
    for (const [k, n] of other.byEgress) this.byEgress.set(k, (this.byEgress.get(k) ?? 0) + n);
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
  /** Egress of a verdict without a redirect target, by retval (null: dropped). */
  private readonly plainEgress = new Map<number, EgressSlot | null>();
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
    this.runner = c.tunnel ? undefined : new PacketRunner(object, this.program, c.ctx ?? {}, c.type);
    this.progType = resolveProgType(this.program.spec, c.type);
    this.clockStart = object.kernel.clockNs;
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
    for (let i = 0; i < b.length; i++) {
      const n = counters.packets;
      const data = b.data[i]!;
      if (b.linkType[i] !== LINKTYPE_ETHERNET) {
        throw new PcapError('pcap/link-type', `packet ${n} (frame ${n + 1}): link type ${b.linkType[i]} is not Ethernet (1): XDP and TC programs see Ethernet frames`);
      }
      this.moveClock(b.seconds[i]!, b.nanos[i]!);
      const cpu = cpus === undefined ? 0 : cpuOfHash(flowHash(data), cpus);
      let retval: number;
      try {
        retval = this.runOne(data, cpu);
      } catch (err) {
        if (err instanceof SimError) throw err.withContext(`packet ${n} (frame ${n + 1})`);
        throw err;
      }
      const slot = this.slot;
      counters.packets++;
      this.packetsRun++;
      counters.byRetval.set(retval, (counters.byRetval.get(retval) ?? 0) + 1);
      if (cpus !== undefined) counters.byCpu[cpu] = (counters.byCpu[cpu] ?? 0) + 1;
      // bpf_clone_redirect sends its copy during the run, before the verdict's packet leaves.
      const clones = this.runner ? this.runner.clones() : this.lastClones;
      for (let k = 0; k < clones.length; k++) this.leave(clones[k]!.packet, this.cloneSlot(clones[k]!), counters, b, i, cpu);
      if (slot) this.leave(this.out ?? this.runner!.packet(), slot, counters, b, i, cpu);
      if (onPacket) onPacket({ capture: captureIndex, index: n, retval, action: this.actionName(retval), cpu, egress: slot ? slot.egress.iface : null });
    }
  }

  private lastClones: readonly { ifindex: number; flags: number; packet: Uint8Array }[] = [];

  /** Where the last packet run leaves (null: dropped), and its output packet when it ran through Program.run. */
  private slot: EgressSlot | null = null;
  private out: Uint8Array | undefined;

  /** Runs one packet: its retval; {@link slot} and {@link out} say where it leaves. */
  private runOne(data: Uint8Array, cpu: number): number {
    if (!this.runner) {
      const r = this.program.run(data, { cpu, ctx: this.c.ctx ?? {}, ...(this.c.tunnel && { tunnel: this.c.tunnel }) });
      this.lastClones = this.object.kernel.clones;
      this.slot = this.egressSlot(r.retval, r.redirect);
      this.out = r.packet;
      return r.retval;
    }
    const retval = this.runner.run(data, cpu);
    // A verdict other than a redirect leaves the same way every time.
    const plain = this.plainEgress.get(retval);
    this.slot = plain !== undefined ? plain : this.egressSlot(retval, isRedirect(this.progType, retval) ? this.runner.takeRedirect() : null);
    return retval;
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
      let slot = this.plainEgress.get(retval);
      if (slot === undefined) this.plainEgress.set(retval, (slot = this.slotOf(egressOf(this.progType, { retval, action: this.actionName(retval), redirect: null }, this.exists))));
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
    if (!slot) this.slots.set(key, (slot = { egress, iface: -1 }));
    return slot;
  }

  private readonly interfaces = new Map<string, number>();

  /** Counts a packet leaving through `slot` and writes it. */
  private leave(packet: Uint8Array, slot: EgressSlot, counters: Counters, b: PacketBatch, i: number, cpu: number): void {
    const iface = slot.egress.iface;
    counters.byEgress.set(iface, (counters.byEgress.get(iface) ?? 0) + 1);
    const verdicts = checksumVerdicts(packet);
    const ip = verdicts & 3;
    const l4 = verdicts >> 2;
    counters.sums[ip === CHECKSUM_OK ? 0 : ip === CHECKSUM_BAD ? 1 : 2]!++;
    counters.sums[l4 === CHECKSUM_OK ? 3 : l4 === CHECKSUM_BAD ? 4 : 5]!++;
    const writer = this.writer;
    if (!writer) return;
    if (slot.iface < 0) {
      let id = this.interfaces.get(iface);
      if (id === undefined) this.interfaces.set(iface, (id = writer.addInterface({ name: iface, description: describeEgress(iface, this.object, this.c.ctx?.ingress_ifindex) })));
      slot.iface = id;
    }
    const comment = this.options.cpus === undefined ? slot.egress.comment : `${slot.egress.comment} cpu ${cpu}`;
    writer.appendPacket(packet, slot.iface, b.seconds[i]!, b.nanos[i]!, comment);
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
    for (const [retval, n] of k.byRetval) actions[this.actionName(retval)] = (actions[this.actionName(retval)] ?? 0) + n;
    const stats: CaptureStats = { source, packets: k.packets, actions, egress: Object.fromEntries(k.byEgress), checksums: { ip: counts(k.sums, 0), l4: counts(k.sums, 3) } };
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
