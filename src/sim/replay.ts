import { PcapError, SimError } from '../internal/errors.js';
import { LINKTYPE_ETHERNET, PcapngWriter, readCapture, type CapturePacket, type CaptureSource } from '../pcap/index.js';
import { BPF_F_INGRESS, BPF_PROG_TYPE, TC_ACT, XDP_ACTION } from '../uapi/index.js';
import type { EngineName } from '../vm/engines.js';
import type { Case } from './case.js';
import { BpfObject, resolveProgType } from './object.js';
import type { ProgramRun } from './program.js';
import { objectForCase } from './run-case.js';

/** Where a packet goes after a run: the output interface's name and the packet's comment. */
export interface Egress {
  /** `ingress` (up the stack), `tx` (XDP_TX), `redirect:3`, `redirect:3:ingress` (TC, BPF_F_INGRESS), `redirect:broadcast`. */
  iface: string;
  /** The packet comment: the action and its target (`XDP_REDIRECT ifindex 3`). */
  comment: string;
}

/** Options of {@link replayCapture}. */
export interface ReplayOptions {
  /** Engine; default `wasm`. */
  engine?: EngineName;
  /** A pcapng file for the packets that leave; written atomically, no file on failure. Default none. */
  out?: string;
  /** Verify the program at load as the kernel would (LoadOptions.verify); default true. */
  verify?: boolean;
}

/** What a replay did. */
export interface ReplayStats {
  /** Packets read and run. */
  packets: number;
  /** Packets per verdict (`XDP_PASS`, `TC_ACT_SHOT`, `unknown(9)`). */
  actions: Record<string, number>;
  /** Packets per output interface (what was or would be written), clones included. */
  egress: Record<string, number>;
  /** Wall time of the replay loop (reading, running, writing), ns. */
  elapsedNs: number;
  /** `packets` divided by the loop's wall time. */
  packetsPerSecond: number;
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
 * the action as its comment and the input's timestamp; dropped packets are not written.
 *
 * A packet the program cannot run on (a fault, a frame the kernel would refuse) throws its
 * SimError with `packet N (frame N+1)` as context, N counting from 0; a bad capture throws
 * PcapError. On any failure the output file is not created.
 */
export async function replayCapture(c: Case, capture: CaptureSource, options: ReplayOptions = {}): Promise<ReplayStats> {
  const object = objectForCase(c, await BpfObject.readSpec(c.objectPath, c.type, c.kernelBtfPath, c.kconfig), { engine: options.engine ?? 'wasm', keyWarnings: false, verify: options.verify });
  const program = object.program(c.program);
  const progType = resolveProgType(program.spec, c.type);
  const ctx = c.ctx ?? {};
  const kernel = object.kernel;
  const exists = (ifindex: number) => kernel.network.interface(ifindex) !== undefined;
  const writer = options.out === undefined ? undefined : await PcapngWriter.open(options.out);
  const interfaces = new Map<string, number>();
  const ifaceId = (name: string): number => {
    let id = interfaces.get(name);
    if (id === undefined) interfaces.set(name, (id = writer!.addInterface({ name, description: describeEgress(name, object, ctx.ingress_ifindex) })));
    return id;
  };
  const stats: ReplayStats = { packets: 0, actions: {}, egress: {}, elapsedNs: 0, packetsPerSecond: 0, object };
  const clockStart = kernel.clockNs;
  let firstTs: bigint | undefined;
  const t0 = process.hrtime.bigint();
  const packets = readCapture(capture);
  const source = typeof capture === 'string' ? capture : 'capture';
  try {
    for (;;) {
      let next: IteratorResult<CapturePacket>;
      try {
        next = await packets.next();
      } catch (err) {
        throw err instanceof SimError && !err.message.startsWith(`${source}: `) ? err.withContext(source) : err;
      }
      if (next.done) break;
      const pkt = next.value;
      const index = stats.packets;
      const where = `packet ${index} (frame ${index + 1})`;
      if (pkt.linkType !== LINKTYPE_ETHERNET) {
        throw new PcapError('pcap/link-type', `${where}: link type ${pkt.linkType} is not Ethernet (1): XDP and TC programs see Ethernet frames`);
      }
      firstTs ??= pkt.timestampNs;
      const at = clockStart + (pkt.timestampNs - firstTs);
      if (at > kernel.clockNs) kernel.clockNs = at;
      let out: ProgramRun;
      try {
        out = program.run(pkt.data, { ctx, ...(c.tunnel && { tunnel: c.tunnel }) });
      } catch (err) {
        if (err instanceof SimError) throw err.withContext(where);
        throw err;
      }
      stats.packets++;
      stats.actions[out.action] = (stats.actions[out.action] ?? 0) + 1;
      // bpf_clone_redirect sends its copy during the run, before the verdict's packet leaves.
      for (const clone of kernel.clones) {
        const ingress = (clone.flags & BPF_F_INGRESS) !== 0;
        const iface = `redirect:${clone.ifindex}${ingress ? ':ingress' : ''}`;
        stats.egress[iface] = (stats.egress[iface] ?? 0) + 1;
        if (writer) await writer.writePacket({ data: clone.packet, timestampNs: pkt.timestampNs, interfaceIndex: ifaceId(iface), comment: `bpf_clone_redirect ifindex ${clone.ifindex}${ingress ? ' ingress' : ''}` });
      }
      const egress = egressOf(progType, out, exists);
      if (!egress) continue;
      stats.egress[egress.iface] = (stats.egress[egress.iface] ?? 0) + 1;
      if (writer) await writer.writePacket({ data: out.packet, timestampNs: pkt.timestampNs, interfaceIndex: ifaceId(egress.iface), comment: egress.comment });
    }
    stats.elapsedNs = Number(process.hrtime.bigint() - t0);
    if (writer) await writer.close();
  } catch (err) {
    await packets.return(undefined);
    if (writer) await writer.abort();
    throw err;
  }
  stats.packetsPerSecond = stats.elapsedNs > 0 ? (stats.packets * 1e9) / stats.elapsedNs : 0;
  return stats;
}

/** The interface description: the simulated device behind an egress, when there is one. */
function describeEgress(iface: string, object: BpfObject, ingress: number | number[] | undefined): string {
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
