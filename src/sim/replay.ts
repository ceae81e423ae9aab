import { checkInt } from '../internal/args.js';
import { SimError } from '../internal/errors.js';
import { PcapngWriter, type CaptureSource } from '../pcap/index.js';
import { BPF_F_INGRESS, BPF_PROG_TYPE, TC_ACT, XDP_ACTION } from '../uapi/index.js';
import type { EngineName } from '../vm/engines.js';
import type { Case } from './case.js';
import { BpfObject } from './object.js';
import type { ProgramRun } from './program.js';
import { Replay } from './replay-loop.js';
import { objectForCase } from './run-case.js';

/** Where a packet goes after a run: the output interface's name and the packet's comment. */
export interface Egress {
  /** `ingress` (up the stack), `tx` (XDP_TX), `redirect:3`, `redirect:3:ingress` (TC, BPF_F_INGRESS), `redirect:broadcast`. */
  iface: string;
  /** The packet comment: the action and its target (`XDP_REDIRECT ifindex 3`). */
  comment: string;
}

/** Options of {@link replayCapture} and {@link replayCaptures}. */
export interface ReplayOptions {
  /** Engine; default `wasm`. */
  engine?: EngineName;
  /** A pcapng file for the packets that leave; written atomically, no file on failure. Default none. */
  out?: string;
  /** Verify the program at load as the kernel would (LoadOptions.verify); default true. */
  verify?: boolean;
  /**
   * Simulated CPUs to steer packets to by their flow's RSS hash (src/sim/flow-hash.ts), so that
   * bpf_get_smp_processor_id and per-CPU maps see the spreading a multi-queue NIC gives; the
   * object then has this many CPUs. Default: none; every packet runs on CPU 0 of the object's
   * default CPUs, as a single run does.
   */
  cpus?: number;
  /** Called after each batch of packets with the packets run so far and the bytes of capture read so far (all captures); default none. */
  onProgress?: (packets: number, bytes: number) => void;
  /** Called after each packet with what happened to it (an object per packet: only when asked). Default none. */
  onPacket?: (verdict: PacketVerdict) => void;
}

/** What happened to one packet of a replay, for {@link ReplayOptions.onPacket}. */
export interface PacketVerdict {
  /** The capture's index among those replayed, from 0. */
  capture: number;
  /** The packet's index in its capture, from 0. */
  index: number;
  /** r0 as the kernel reports it, unsigned 32-bit. */
  retval: number;
  /** The verdict's name (`XDP_PASS`). */
  action: string;
  /** The simulated CPU it ran on. */
  cpu: number;
  /** Where it left (`ingress`, `tx`, `redirect:3`), or null when dropped. */
  egress: string | null;
}

/** Counts of checksum verdicts over the packets that left (see checkChecksums): `ok`, `bad`, and `none` where nothing could be checked. */
export interface ChecksumCounts {
  ok: number;
  bad: number;
  none: number;
}

/** What a replay of one capture did. */
export interface CaptureStats {
  /** The capture: its path, or `capture` for bytes or a stream. */
  source: string;
  /** Packets read and run. */
  packets: number;
  /** Packets per verdict (`XDP_PASS`, `TC_ACT_SHOT`, `unknown(9)`). */
  actions: Record<string, number>;
  /** Packets per output interface (what was or would be written), clones included. */
  egress: Record<string, number>;
  /** Packets per simulated CPU (`"0"`, `"1"`), when {@link ReplayOptions.cpus} steered them. */
  cpus?: Record<string, number>;
  /** Checksums of the packets that left (clones included): the IPv4 header's and TCP/UDP/ICMP's. */
  checksums: { ip: ChecksumCounts; l4: ChecksumCounts };
}

/** What a replay did: the totals over every capture, and each capture's own. */
export interface ReplayStats extends CaptureStats {
  /** Wall time of the replay loop (reading, running, writing), ns. */
  elapsedNs: number;
  /** `packets` divided by the loop's wall time. */
  packetsPerSecond: number;
  /** Each capture's counts, in order. */
  captures: CaptureStats[];
  /** The object the packets ran on, with the maps as the last packet left them. */
  object: BpfObject;
}

/**
 * Where the kernel sends a packet after the program's verdict, or null when it is dropped.
 * XDP (net/core/filter.c, xdp_do_redirect; an unknown action is XDP_ABORTED): XDP_PASS goes up
 * the stack, XDP_TX back out of the ingress device, XDP_REDIRECT to the device bpf_redirect or
 * bpf_redirect_map chose if it exists, the rest is dropped. TC at ingress (sch_handle_ingress,
 * net/core/dev.c): TC_ACT_SHOT drops, STOLEN, QUEUED and TRAP consume the packet,
 * TC_ACT_REDIRECT goes to the chosen device (its ingress with BPF_F_INGRESS), and every other
 * value, TC_ACT_OK and TC_ACT_UNSPEC among them, lets the packet continue up the stack.
 */
export function egressOf(progType: number, out: Pick<ProgramRun, 'retval' | 'action' | 'redirect'>, ifindexExists: (ifindex: number) => boolean = () => true): Egress | null {
  const action = out.retval | 0;
  const redirect = out.redirect;
  if (progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP) {
    switch (action) {
      case XDP_ACTION.XDP_PASS:
        return { iface: 'ingress', comment: out.action };
      case XDP_ACTION.XDP_TX:
        return { iface: 'tx', comment: out.action };
      case XDP_ACTION.XDP_REDIRECT:
        if (!redirect) return null;
        if (redirect.ifindex === 0) return { iface: 'redirect:broadcast', comment: `${out.action} broadcast` };
        if (!ifindexExists(redirect.ifindex)) return null;
        return { iface: `redirect:${redirect.ifindex}`, comment: `${out.action} ifindex ${redirect.ifindex}` };
      default:
        return null;
    }
  }
  switch (action) {
    case TC_ACT.TC_ACT_SHOT:
    case TC_ACT.TC_ACT_STOLEN:
    case TC_ACT.TC_ACT_QUEUED:
    case TC_ACT.TC_ACT_TRAP:
      return null;
    case TC_ACT.TC_ACT_REDIRECT: {
      if (!redirect || !ifindexExists(redirect.ifindex)) return null;
      const ingress = (redirect.flags & BPF_F_INGRESS) !== 0;
      return { iface: `redirect:${redirect.ifindex}${ingress ? ':ingress' : ''}`, comment: `${out.action} ifindex ${redirect.ifindex}${ingress ? ' ingress' : ''}` };
    }
    default:
      return { iface: 'ingress', comment: out.action };
  }
}

/**
 * Replays a capture through a case's program, packet by packet and in order, on one
 * {@link BpfObject}: maps start from the case's entries and keep what each run leaves, as on a
 * real interface; the simulated clock follows the capture's timestamps (it starts where the
 * object's does and moves by the time between packets, never backwards), so timeouts in flow
 * tables behave as they would have. Each packet that leaves (see {@link egressOf}) and each
 * bpf_clone_redirect copy is written to `options.out` on one pcapng interface per egress, with
 * the action as its comment (and ` cpu N` with `cpus`) and the input's timestamp; dropped
 * packets are not written.
 *
 * A packet the program cannot run on (a fault, a frame the kernel would refuse) throws its
 * SimError with `packet N (frame N+1)` as context, N counting from 0; a bad capture throws
 * PcapError. On any failure the output file is not created.
 */
export async function replayCapture(c: Case, capture: CaptureSource, options: ReplayOptions = {}): Promise<ReplayStats> {
  return replayCaptures(c, [capture], options);
}

/**
 * Replays several captures one after the other on one object, as {@link replayCapture} does
 * one: map state and the clock carry from the last packet of a capture to the first of the next
 * (the clock follows each capture's timestamps from where the one before left it). Errors name
 * the capture as well when there are several; the output holds every capture's packets in order.
 */
export async function replayCaptures(c: Case, captures: CaptureSource[], options: ReplayOptions = {}): Promise<ReplayStats> {
  if (options.cpus !== undefined) checkInt(options.cpus, 'options.cpus', 1, 4096);
  const object = objectForCase(c, await BpfObject.readSpec(c.objectPath, c.type, c.kernelBtfPath, c.kconfig), {
    engine: options.engine ?? 'wasm',
    keyWarnings: false,
    verify: options.verify,
    ...(options.cpus !== undefined && { cpus: options.cpus }),
  });
  const writer = options.out === undefined ? undefined : await PcapngWriter.open(options.out);
  const replay = new Replay(c, object, writer, options);
  const t0 = process.hrtime.bigint();
  try {
    for (let i = 0; i < captures.length; i++) {
      const capture = captures[i]!;
      const source = typeof capture === 'string' ? capture : 'capture';
      try {
        await replay.capture(capture, source, i);
      } catch (err) {
        // Reading errors name the capture already; with several, packet errors name it too.
        if (captures.length > 1 && err instanceof SimError && !err.message.startsWith(`${source}: `)) throw err.withContext(source);
        throw err;
      }
    }
    const elapsedNs = Number(process.hrtime.bigint() - t0);
    if (writer) await writer.close();
    return replay.stats(elapsedNs);
  } catch (err) {
    if (writer) await writer.abort();
    throw err;
  }
}

/** The interface description: the simulated device behind an egress, when there is one. */
export function describeEgress(iface: string, object: BpfObject, ingress: number | number[] | undefined): string {
  const dev = (ifindex: number) => {
    const itf = object.kernel.network.interface(ifindex);
    return itf ? `${itf.name} (ifindex ${ifindex})` : `ifindex ${ifindex}`;
  };
  const ingressIfindex = typeof ingress === 'number' && ingress > 0 ? ingress : 1;
  if (iface === 'ingress') return `up the stack on ${dev(ingressIfindex)}`;
  if (iface === 'tx') return `XDP_TX out of ${dev(ingressIfindex)}`;
  const m = /^redirect:(\d+)(:ingress)?$/.exec(iface);
  if (m) return `redirected to ${m[2] ? 'the ingress of ' : ''}${dev(Number(m[1]))}`;
  return iface;
}
