import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { PcapError, SimError } from '../internal/errors.js';
import { LINKTYPE_ETHERNET, PcapngWriter, readCapture, type CapturePacket, type CaptureSource } from '../pcap/index.js';
import { formatIp, parseIp, type IpAddr } from '../helpers/net-addr.js';
import { RT_TABLE_LOCAL, RT_TABLE_MAIN } from '../helpers/sim-network.js';
import { SK_BUFF } from '../uapi/context.js';
import { BPF_F_INGRESS, TC_ACT, XDP_ACTION } from '../uapi/index.js';
import { LAYOUT } from '../vm/layout.js';
import type { Machine } from './machine.js';
import type { BpfObject } from './object.js';
import type { ProgramRun } from './program.js';
import { loadTopology, readTopology, type LoadedInterface, type TopologySpec } from './topology.js';

/** Where a packet ends on an interface: sent on its wire, delivered to its host stack, taken by an AF_XDP socket, or dropped. */
export type Delivery = 'wire' | 'host' | 'xsk' | 'drop';

/** One hop of a packet: a program run on a hook, or where the packet ended. */
export interface Hop {
  /** The injected packet this hop belongs to, from 0. */
  packet: number;
  /** Programs run before this hop on the packet's path (0 at the injection). */
  depth: number;
  /** The interface's name. */
  iface: string;
  /** `xdp`, `tc_ingress`, `tc_egress` for a run; a {@link Delivery} for an end. */
  at: 'xdp' | 'tc_ingress' | 'tc_egress' | Delivery;
  /** `object/program` of a run. */
  program?: string;
  /** The run's verdict name (`XDP_REDIRECT`, `TC_ACT_OK`). */
  action?: string;
  /** Why a packet was dropped, or what took it (`XDP_DROP`, `hop limit 16`, `no interface with ifindex 9`, `xsk xsks[0] queue 0`). */
  reason?: string;
  /** The packet's length as it left the hop. */
  len: number;
}

/** What a simulation did: every hop, and per interface the packets that ended there. */
export interface TopologyRun {
  /** Packets injected. */
  packets: number;
  hops: Hop[];
  /** Per interface name, packets per {@link Delivery}. */
  interfaces: Record<string, Record<Delivery, number>>;
}

/** A packet ending somewhere, as the captures get it. */
export interface DeliveredPacket {
  iface: string;
  delivery: Exclude<Delivery, 'drop'>;
  data: Uint8Array;
  /** The path: `packet 0: eth0 xdp XDP_REDIRECT > eth1 wire`. */
  comment: string;
}

interface Step {
  at: 'rx' | 'tc_ingress' | 'tc_egress' | 'wire' | 'host' | 'xsk';
  iface: LoadedInterface;
  data: Uint8Array;
  depth: number;
  path: string;
  reason?: string;
}

/**
 * Several interfaces with XDP, TC ingress and TC egress programs on one simulated machine, as the
 * kernel moves packets between them (net/core/dev.c, net/core/filter.c). A packet injected on an
 * interface (received from its wire) runs its XDP program; XDP_PASS builds an skb that runs TC
 * ingress, and a TC ingress verdict that lets it continue delivers it to the host. XDP_TX and
 * an XDP redirect to a device leave on that device's wire through ndo_xdp_xmit, without running
 * its TC egress, as the kernel does; a redirect through a CPUMAP goes up the stack of the
 * receiving interface (TC ingress then host); into an XSKMAP, to the AF_XDP socket (recorded as
 * `xsk`, or dropped when the socket's queue is not the receiving one); a devmap broadcast sends
 * one copy per target. From TC: bpf_redirect to a device runs its TC egress then its wire,
 * with BPF_F_INGRESS its TC ingress then its host, bpf_redirect_peer the TC ingress and host of its
 * veth peer (an interface's `peer`);
 * bpf_redirect_neigh fills the Ethernet addresses from the neighbour table, then egress; each
 * bpf_clone_redirect copy goes its own way the same. A tag TC left in skb->vlan_tci is written
 * into the frame when the packet leaves the hook, as a device without VLAN offload does.
 * A path passing more than `hopLimit` hooks is dropped as a loop.
 */
export class TopologySim {
  readonly interfaces: readonly LoadedInterface[];
  private readonly byIfindex = new Map<number, LoadedInterface>();
  private readonly byName = new Map<string, LoadedInterface>();
  private injected = 0;
  readonly run: TopologyRun = { packets: 0, hops: [], interfaces: {} };

  private constructor(
    readonly spec: TopologySpec,
    readonly machine: Machine,
    readonly objects: Record<string, BpfObject>,
    interfaces: LoadedInterface[],
  ) {
    this.interfaces = interfaces;
    for (const itf of interfaces) {
      this.byIfindex.set(itf.ifindex, itf);
      this.byName.set(itf.name, itf);
      this.run.interfaces[itf.name] = { wire: 0, host: 0, xsk: 0, drop: 0 };
    }
  }

  /** Loads a topology (a path to its JSON file, or one checked by parseTopology). */
  static async load(topology: string | TopologySpec, options: { engine?: 'wasm' | 'interp' } = {}): Promise<TopologySim> {
    const spec = typeof topology === 'string' ? readTopology(topology) : topology;
    const { machine, objects, interfaces } = await loadTopology(spec, options);
    return new TopologySim(spec, machine, objects, interfaces);
  }

  /** The interface named `name`; a SimError `topology/no-interface` when there is none. */
  iface(name: string): LoadedInterface {
    const itf = this.byName.get(name);
    if (!itf) throw new SimError('topology/no-interface', `no interface named '${name}' in the topology (${[...this.byName.keys()].join(', ')})`);
    return itf;
  }

  /**
   * Injects `data` as received from the wire of interface `ifaceName` and follows it and every copy
   * to where they end. Returns the packets that ended on a wire, a host or a socket, in order;
   * the hops are appended to {@link run}. A fault in a program throws its SimError with the packet and hook as context.
   */
  inject(ifaceName: string, data: Uint8Array): DeliveredPacket[] {
    const start = this.iface(ifaceName);
    const index = this.injected++;
    this.run.packets++;
    const delivered: DeliveredPacket[] = [];
    const queue: Step[] = [{ at: 'rx', iface: start, data, depth: 0, path: `packet ${index}:` }];
    while (queue.length > 0) {
      const step = queue.shift()!;
      if (step.at === 'wire' || step.at === 'host' || step.at === 'xsk') {
        this.end(index, step, step.at, step.reason);
        delivered.push({ iface: step.iface.name, delivery: step.at, data: step.data, comment: `${step.path} ${step.iface.name} ${step.at}` });
        continue;
      }
      if (step.depth >= this.spec.hopLimit) {
        this.end(index, step, 'drop', `hop limit ${this.spec.hopLimit}`);
        continue;
      }
      try {
        queue.push(...this.hook(index, step));
      } catch (err) {
        throw err instanceof SimError ? err.withContext(`packet ${index} on ${step.iface.name} ${step.at === 'rx' ? 'xdp' : step.at}`) : err;
      }
    }
    return delivered;
  }

  private end(packet: number, step: Step, at: Delivery, reason?: string): void {
    this.run.interfaces[step.iface.name]![at]++;
    this.run.hops.push({ packet, depth: step.depth, iface: step.iface.name, at, ...(reason !== undefined && { reason }), len: step.data.length });
  }

  /** Runs the program of `step`'s hook (or passes the packet on when none is attached) and returns where the packet goes next. */
  private hook(packet: number, step: Step): Step[] {
    const itf = step.iface;
    const depth = step.depth + 1;
    // The path reads `packet 0: eth0 xdp XDP_REDIRECT > be1 wire`; a hook without a program adds nothing.
    const next = (at: Step['at'], iface: LoadedInterface, data: Uint8Array, label: string, reason?: string): Step => ({ at, iface, data, depth: label ? depth : step.depth, path: label ? `${step.path} ${itf.name} ${label} >` : step.path, ...(reason !== undefined && { reason }) });
    const drop = (reason: string, data = step.data): Step[] => {
      this.end(packet, { ...step, data }, 'drop', reason);
      return [];
    };
    if (step.at === 'rx') {
      if (!itf.xdp) return [next('tc_ingress', itf, step.data, '')];
      const out = itf.xdp.program.run(step.data, { ctx: { ingress_ifindex: itf.ifindex } });
      this.record(packet, step, 'xdp', itf.xdp.name, out);
      const label = `xdp ${out.action}`;
      switch (out.retval | 0) {
        case XDP_ACTION.XDP_PASS:
          return [next('tc_ingress', itf, out.packet, label)];
        case XDP_ACTION.XDP_TX:
          return [next('wire', itf, out.packet, label)];
        case XDP_ACTION.XDP_REDIRECT:
          return this.xdpRedirect(out, itf, (at, target, data, reason) => next(at, target, data, label, reason), drop);
        default:
          return drop(out.action, out.packet);
      }
    }
    const attached = step.at === 'tc_ingress' ? itf.tc_ingress : itf.tc_egress;
    const passOn = step.at === 'tc_ingress' ? 'host' : 'wire';
    if (!attached) return [next(passOn, itf, step.data, '')];
    const ctx: Record<string, number> = step.at === 'tc_ingress' ? { ingress_ifindex: itf.ifindex, ifindex: itf.ifindex } : { ifindex: itf.ifindex };
    const out = attached.program.run(step.data, { ctx });
    this.record(packet, step, step.at, attached.name, out);
    const label = `${step.at} ${out.action}`;
    const steps: Step[] = [];
    // bpf_clone_redirect's copies leave during the run, before the verdict's packet.
    for (const clone of out.clones) {
      const target = this.byIfindex.get(clone.ifindex);
      if (!target) {
        drop(`clone to ifindex ${clone.ifindex}: no such interface`, clone.packet);
        continue;
      }
      steps.push(next((clone.flags & BPF_F_INGRESS) !== 0 ? 'tc_ingress' : 'tc_egress', target, clone.packet, `${step.at} bpf_clone_redirect`));
    }
    const data = withHwVlanTag(this.machine, out.packet);
    switch (out.retval | 0) {
      case TC_ACT.TC_ACT_SHOT:
      case TC_ACT.TC_ACT_STOLEN:
      case TC_ACT.TC_ACT_QUEUED:
      case TC_ACT.TC_ACT_TRAP:
        drop(out.action, data);
        return steps;
      case TC_ACT.TC_ACT_REDIRECT: {
        const r = out.redirect;
        const target = r ? this.byIfindex.get(r.ifindex) : undefined;
        if (!r || !target) {
          drop(r ? `redirect to ifindex ${r.ifindex}: no such interface` : `${out.action} without a target`, data);
          return steps;
        }
        if (r.kind === 'peer') {
          // skb_do_redirect: the ingress of the device's veth peer, in its own namespace; a device without one drops it.
          const peer = target.peer === undefined ? undefined : this.byName.get(target.peer);
          if (peer) steps.push(next('tc_ingress', peer, data, label));
          else drop(`bpf_redirect_peer: ${target.name} has no peer`, data);
        } else if ((r.flags & BPF_F_INGRESS) !== 0) steps.push(next('tc_ingress', target, data, label));
        else if (r.kind === 'neigh') {
          const resolved = this.neighMacs(target, data, r.nexthop);
          if (typeof resolved === 'string') drop(resolved, data);
          else steps.push(next('tc_egress', target, resolved, label));
        } else steps.push(next('tc_egress', target, data, label));
        return steps;
      }
      default:
        steps.push(next(passOn, itf, data, label));
        return steps;
    }
  }

  /** xdp_do_redirect's outcomes for a run that returned XDP_REDIRECT. */
  private xdpRedirect(out: ProgramRun, itf: LoadedInterface, go: (at: Step['at'], target: LoadedInterface, data: Uint8Array, reason?: string) => Step, drop: (reason: string, data?: Uint8Array) => Step[]): Step[] {
    const r = out.redirect;
    if (!r) return drop(`${out.action} without a target`, out.packet);
    if (r.xsk) {
      if (!r.xsk.received) return drop(`xsk ${r.xsk.map}[${r.xsk.key}] is bound to queue ${r.xsk.queue}`, out.packet);
      return [go('xsk', itf, out.packet, `${r.xsk.map}[${r.xsk.key}] queue ${r.xsk.queue}`)];
    }
    if (r.cpu !== undefined) return [go('tc_ingress', itf, out.packet)];
    if (r.ifindex === 0) {
      const steps: Step[] = [];
      for (const copy of out.clones) {
        const target = this.byIfindex.get(copy.ifindex);
        if (target) steps.push(go('wire', target, copy.packet));
        else drop(`broadcast to ifindex ${copy.ifindex}: no such interface`, copy.packet);
      }
      return steps;
    }
    const target = this.byIfindex.get(r.ifindex);
    if (!target) return drop(`redirect to ifindex ${r.ifindex}: no such interface`, out.packet);
    return [go('wire', target, out.packet)];
  }

  /**
   * bpf_redirect_neigh's Ethernet header (bpf_out_neigh_v4/v6): the neighbour of the next hop on
   * `target` as destination, `target`'s MAC as source. The next hop is the one the program gave,
   * else the gateway of the route to the packet's IPv4 or IPv6 destination through `target`, else
   * that destination. A reason instead when there is no neighbour entry (the kernel would wait
   * for neighbour resolution, which bpfsim does not simulate).
   */
  private neighMacs(target: LoadedInterface, data: Uint8Array, nexthop: string | undefined): Uint8Array | string {
    const network = this.machine.kernel.network;
    const dstText = destinationIp(data);
    let hop: IpAddr | undefined = nexthop === undefined ? undefined : parseIp(nexthop);
    if (hop === undefined) {
      if (dstText === undefined) return 'bpf_redirect_neigh: no IPv4 or IPv6 destination';
      const dst = parseIp(dstText);
      hop = network.lookup(dst, [RT_TABLE_LOCAL, RT_TABLE_MAIN], target.ifindex)?.gateway ?? dst;
    }
    const neigh = network.neighbor(target.ifindex, hop);
    if (!neigh) return `bpf_redirect_neigh: no neighbour ${formatIp(hop)} on ${target.name}`;
    const out = data.slice();
    out.set(neigh.mac, 0);
    out.set(target.mac, 6);
    return out;
  }

  private record(packet: number, step: Step, at: Hop['at'], program: string, out: ProgramRun): void {
    this.run.hops.push({ packet, depth: step.depth, iface: step.iface.name, at, program, action: out.action, len: out.packet.length });
  }
}

/** The IPv4 or IPv6 destination of an Ethernet frame, as text. */
function destinationIp(frame: Uint8Array): string | undefined {
  if (frame.length < 14) return undefined;
  const type = (frame[12]! << 8) | frame[13]!;
  if (type === 0x0800 && frame.length >= 34) return Array.from(frame.subarray(30, 34)).join('.');
  if (type === 0x86dd && frame.length >= 54) {
    const words: string[] = [];
    for (let i = 38; i < 54; i += 2) words.push(((frame[i]! << 8) | frame[i + 1]!).toString(16));
    return words.join(':');
  }
  return undefined;
}

/** The frame with the tag TC left in skb->vlan_proto/vlan_tci (read from the context after the run) inserted after the MAC addresses. */
function withHwVlanTag(machine: Machine, frame: Uint8Array): Uint8Array {
  const view = machine.mem.view;
  if (view.getUint32(LAYOUT.CTX + SK_BUFF.vlan_present.off, true) === 0 || frame.length < 12) return frame;
  const u8 = machine.mem.u8;
  const proto = (u8[LAYOUT.CTX + SK_BUFF.vlan_proto.off]! << 8) | u8[LAYOUT.CTX + SK_BUFF.vlan_proto.off + 1]!;
  const tci = view.getUint32(LAYOUT.CTX + SK_BUFF.vlan_tci.off, true);
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12));
  out.set([proto >> 8, proto & 0xff, (tci >> 8) & 0xff, tci & 0xff], 12);
  out.set(frame.subarray(12), 16);
  return out;
}

/** Options of {@link simulateCapture}. */
export interface SimulateOptions {
  /** The interface the capture's packets arrive on; default the topology's first. */
  iface?: string;
  /** A directory for one pcapng capture per interface (`<name>.pcapng`: its wire, host and xsk packets); default none. */
  out?: string;
  /** Engine; default `wasm`. */
  engine?: 'wasm' | 'interp';
}

/**
 * Loads a topology and injects every packet of a capture, in order, on one interface (the
 * simulated clock follows the capture's timestamps, as in replay). With `out`, writes one pcapng
 * file per interface, each with three interfaces (`wire`, `host`, `xsk`) and the packet's path as
 * its comment; the files are written atomically, and none is left when the simulation fails.
 */
export async function simulateCapture(topology: string | TopologySpec, capture: CaptureSource, options: SimulateOptions = {}): Promise<{ sim: TopologySim; run: TopologyRun }> {
  const sim = await TopologySim.load(topology, { engine: options.engine });
  const start = options.iface ?? sim.interfaces[0]!.name;
  sim.iface(start);
  const writers = new Map<string, PcapngWriter>();
  const deliveries = ['wire', 'host', 'xsk'] as const;
  const kernel = sim.machine.kernel;
  const clockStart = kernel.clockNs;
  let firstTs: bigint | undefined;
  const packets = readCapture(capture);
  try {
    if (options.out !== undefined) {
      await mkdir(options.out, { recursive: true });
      for (const itf of sim.interfaces) {
        const w = await PcapngWriter.open(join(options.out, `${itf.name}.pcapng`));
        writers.set(itf.name, w);
        for (const d of deliveries) w.addInterface({ name: `${itf.name}-${d}`, description: `${itf.name} (ifindex ${itf.ifindex}): ${d === 'wire' ? 'sent on the wire' : d === 'host' ? 'delivered to the host stack' : 'taken by an AF_XDP socket'}` });
      }
    }
    let index = 0;
    for (;;) {
      const next: IteratorResult<CapturePacket> = await packets.next();
      if (next.done) break;
      const pkt = next.value;
      if (pkt.linkType !== LINKTYPE_ETHERNET) throw new PcapError('pcap/link-type', `packet ${index} (frame ${index + 1}): link type ${pkt.linkType} is not Ethernet (1)`);
      firstTs ??= pkt.timestampNs;
      const at = clockStart + (pkt.timestampNs - firstTs);
      if (at > kernel.clockNs) kernel.clockNs = at;
      for (const d of sim.inject(start, pkt.data)) {
        const w = writers.get(d.iface);
        if (w) await w.writePacket({ data: d.data, timestampNs: pkt.timestampNs, interfaceIndex: deliveries.indexOf(d.delivery), comment: d.comment });
      }
      index++;
    }
    for (const w of writers.values()) await w.close();
  } catch (err) {
    await packets.return(undefined);
    for (const w of writers.values()) await w.abort();
    throw err;
  }
  return { sim, run: sim.run };
}
