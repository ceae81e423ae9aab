import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseError, SimError } from '../../src/internal/errors.js';
import { buildPacket } from '../../src/packet/index.js';
import { PcapngWriter, readCaptureAll } from '../../src/pcap/index.js';
import { parseTopology } from '../../src/sim/topology.js';
import { simulateCapture, TopologySim } from '../../src/sim/topology-sim.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { ROOT, testObject } from '../kernel/require-kernel.js';
import { bpfsim, ensureDist } from '../support/cli.js';

const FIXTURES = join(ROOT, 'fixtures', 'topology');
for (const name of ['topo_lb', 'topo_mirror', 'topo_vlan', 'topo_paths']) testObject(name);

const udp = (sport: number) => buildPacket({ ipv4: { src: '10.0.0.9', dst: '10.0.0.1' }, udp: { sport, dport: 53 } });
const icmp = buildPacket({ ipv4: { src: '10.0.0.9', dst: '10.0.0.1' }, icmp: { type: 8, code: 0 } });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe.each(ENGINE_NAMES)('topology simulation on %s', (engine) => {
  it('balances flows over the two backends, rewriting the Ethernet addresses for their links', async () => {
    const sim = await TopologySim.load(join(FIXTURES, 'lb.json'), { engine });
    const odd = sim.inject('eth0', udp(1001));
    const even = sim.inject('eth0', udp(1002));
    expect(odd.map((d) => [d.iface, d.delivery])).toEqual([['be2', 'wire']]);
    expect(even.map((d) => [d.iface, d.delivery])).toEqual([['be1', 'wire']]);
    expect(hex(odd[0]!.data.subarray(0, 12))).toBe('020000000c01020000000a02');
    expect(hex(even[0]!.data.subarray(0, 12))).toBe('020000000b01020000000a01');
    expect(hex(odd[0]!.data.subarray(12))).toBe(hex(udp(1001).subarray(12)));
    // XDP_REDIRECT leaves through ndo_xdp_xmit: no TC hook runs on the way.
    expect(sim.run.hops.filter((h) => h.packet === 0).map((h) => `${h.iface} ${h.at} ${h.action ?? ''}`.trim())).toEqual(['eth0 xdp XDP_REDIRECT', 'be2 wire']);
    expect(sim.objects.lb!.map('lb_sent').get(new Uint8Array(4))).toBeDefined();
  });

  it('passes what it does not balance up the stack and mirrors it to the monitor port', async () => {
    const sim = await TopologySim.load(join(FIXTURES, 'lb.json'), { engine });
    const out = sim.inject('eth0', icmp);
    expect(out.map((d) => `${d.iface} ${d.delivery}`)).toEqual(['eth0 host', 'mon wire']);
    expect(out.every((d) => hex(d.data) === hex(icmp))).toBe(true);
    expect(out[1]!.comment).toBe('packet 0: eth0 xdp XDP_PASS > eth0 tc_ingress bpf_clone_redirect > mon wire');
    expect(sim.run.interfaces).toMatchObject({ eth0: { host: 1, wire: 0 }, mon: { wire: 1 }, be1: { wire: 0 }, be2: { wire: 0 } });
  });

  it('bridges access ports and a trunk, tagging and untagging by VLAN', async () => {
    const sim = await TopologySim.load(join(FIXTURES, 'vlan-bridge.json'), { engine });
    const up = sim.inject('acc10', udp(7));
    expect(up.map((d) => `${d.iface} ${d.delivery}`)).toEqual(['trunk wire']);
    // The tag bpf_skb_vlan_push left in skb->vlan_tci is on the wire after the MAC addresses: TPID 0x8100, VID 10.
    expect(hex(up[0]!.data)).toBe(hex(udp(7)).slice(0, 24) + '8100000a' + hex(udp(7)).slice(24));
    const tagged = buildPacket({ eth: { vlans: [{ vid: 20 }] }, ipv4: { src: '10.0.0.9', dst: '10.0.0.1' }, udp: { sport: 7, dport: 53 } });
    const down = sim.inject('trunk', tagged);
    expect(down.map((d) => `${d.iface} ${d.delivery}`)).toEqual(['acc20 wire']);
    expect(hex(down[0]!.data)).toBe(hex(udp(7)));
    const unknown = buildPacket({ eth: { vlans: [{ vid: 30 }] }, ipv4: { src: '10.0.0.9', dst: '10.0.0.1' }, udp: { sport: 7, dport: 53 } });
    expect(sim.inject('trunk', unknown)).toEqual([]);
    expect(sim.run.hops.at(-1)).toMatchObject({ iface: 'trunk', at: 'drop', reason: 'TC_ACT_SHOT' });
  });

  it('drops a path that passes more hooks than the hop limit', async () => {
    const sim = await TopologySim.load(join(FIXTURES, 'mirror-loop.json'), { engine });
    const out = sim.inject('eth0', udp(1));
    // Ingress clones to egress, and every egress run clones to egress again: runs at depths 0 to 3, the copy at depth 4 is dropped.
    expect(out.map((d) => `${d.iface} ${d.delivery}`)).toEqual(['eth0 host', 'eth0 wire', 'eth0 wire', 'eth0 wire']);
    expect(sim.run.hops.filter((h) => h.at === 'drop')).toEqual([{ packet: 0, depth: 4, iface: 'eth0', at: 'drop', reason: 'hop limit 4', len: 42 }]);
    expect(Math.max(...sim.run.hops.map((h) => h.depth))).toBe(4);
  });
});

/** A topology around bpf/tests/topo_paths.c: eth0 runs its XDP and TC ingress programs in the given modes, eth1's TC egress lets everything pass. */
function paths(xdpMode: number, tcMode: number, target: number, maps: Partial<Record<string, { key: string; value: string }[]>> = {}) {
  return parseTopology(
    {
      objects: {
        a: { object: '../../build/bpf/tests/topo_paths.o', rodata: { xdp_mode: xdpMode, tc_mode: tcMode, target }, maps },
        ok: { object: '../../build/bpf/tests/topo_paths.o', rodata: { xdp_mode: 0, tc_mode: 0, target: 0 } },
      },
      interfaces: [
        { name: 'eth0', ifindex: 2, mac: '02:00:00:00:00:02', addrs: ['10.0.0.2/24'], xdp: { object: 'a', program: 'xdp_paths' }, tc_ingress: { object: 'a', program: 'tc_paths' } },
        { name: 'eth1', ifindex: 3, mac: '02:00:00:00:00:03', addrs: ['10.0.1.3/24'], peer: 'eth2', tc_egress: { object: 'ok', program: 'tc_paths' } },
        { name: 'eth2', ifindex: 4, mac: '02:00:00:00:00:04', tc_ingress: { object: 'ok', program: 'tc_paths' } },
      ],
      neighbors: [{ ip: '10.0.1.1', mac: '02:00:00:00:00:aa', dev: 3 }],
      routes: [{ dst: '10.0.0.1/32', via: '10.0.1.1', dev: 3 }],
    },
    join(FIXTURES, 'paths.json'),
  );
}

describe.each(ENGINE_NAMES)('where packets go from each hook on %s', (engine) => {
  const X = { PASS: 0, TX: 1, REDIRECT: 2, XSK: 3, CPU: 4, BROADCAST: 5 };
  const T = { OK: 0, INGRESS: 1, PEER: 2, NEIGH: 3, SHOT: 4, EGRESS: 5 };
  it.each([
    { name: 'XDP_TX leaves on the wire it came from', x: X.TX, t: T.OK, target: 0, maps: {}, want: ['eth0 wire'], runs: ['eth0 xdp XDP_TX'] },
    { name: 'an XDP redirect leaves on the target wire without its TC egress', x: X.REDIRECT, t: T.OK, target: 3, maps: {}, want: ['eth1 wire'], runs: ['eth0 xdp XDP_REDIRECT'] },
    { name: 'an XSKMAP redirect reaches the socket of the queue', x: X.XSK, t: T.OK, target: 0, maps: { xsks: [{ key: '00000000', value: '00000000' }] }, want: ['eth0 xsk'], runs: ['eth0 xdp XDP_REDIRECT'] },
    { name: 'an XSKMAP socket bound to another queue drops the frame', x: X.XSK, t: T.OK, target: 0, maps: { xsks: [{ key: '00000000', value: '03000000' }] }, want: [], runs: ['eth0 xdp XDP_REDIRECT'] },
    { name: 'a CPUMAP redirect goes up the stack of the receiving interface', x: X.CPU, t: T.OK, target: 0, maps: { cpus: [{ key: '00000000', value: 'c000000000000000' }] }, want: ['eth0 host'], runs: ['eth0 xdp XDP_REDIRECT', 'eth0 tc_ingress TC_ACT_OK'] },
    {
      name: 'a devmap broadcast sends one copy per port but the ingress',
      x: X.BROADCAST, t: T.OK, target: 0,
      maps: { ports: [{ key: '00000000', value: '02000000' }, { key: '01000000', value: '03000000' }, { key: '02000000', value: '04000000' }] },
      want: ['eth1 wire', 'eth2 wire'], runs: ['eth0 xdp XDP_REDIRECT'],
    },
    { name: 'a TC redirect to an ingress runs its TC ingress, then its host', x: X.PASS, t: T.INGRESS, target: 4, maps: {}, want: ['eth2 host'], runs: ['eth0 xdp XDP_PASS', 'eth0 tc_ingress TC_ACT_REDIRECT', 'eth2 tc_ingress TC_ACT_OK'] },
    { name: 'bpf_redirect_peer runs the TC ingress of the veth peer, then its host', x: X.PASS, t: T.PEER, target: 3, maps: {}, want: ['eth2 host'], runs: ['eth0 xdp XDP_PASS', 'eth0 tc_ingress TC_ACT_REDIRECT', 'eth2 tc_ingress TC_ACT_OK'] },
    { name: 'bpf_redirect_peer to a device without a peer is dropped', x: X.PASS, t: T.PEER, target: 4, maps: {}, want: [], runs: ['eth0 xdp XDP_PASS', 'eth0 tc_ingress TC_ACT_REDIRECT'] },
    { name: 'a TC redirect to an egress runs its TC egress, then its wire', x: X.PASS, t: T.EGRESS, target: 3, maps: {}, want: ['eth1 wire'], runs: ['eth0 xdp XDP_PASS', 'eth0 tc_ingress TC_ACT_REDIRECT', 'eth1 tc_egress TC_ACT_OK'] },
    { name: 'a redirect to a missing interface is dropped', x: X.PASS, t: T.EGRESS, target: 9, maps: {}, want: [], runs: ['eth0 xdp XDP_PASS', 'eth0 tc_ingress TC_ACT_REDIRECT'] },
    { name: 'TC_ACT_SHOT drops', x: X.PASS, t: T.SHOT, target: 0, maps: {}, want: [], runs: ['eth0 xdp XDP_PASS', 'eth0 tc_ingress TC_ACT_SHOT'] },
  ])('$name', async ({ x, t, target, maps, want, runs }) => {
    const sim = await TopologySim.load(paths(x, t, target, maps), { engine });
    const out = sim.inject('eth0', udp(1));
    expect(out.map((d) => `${d.iface} ${d.delivery}`)).toEqual(want);
    expect(sim.run.hops.filter((h) => h.program).map((h) => `${h.iface} ${h.at} ${h.action}`)).toEqual(runs);
    expect(sim.run.hops.filter((h) => h.at === 'drop')).toHaveLength(want.length === 0 ? 1 : 0);
  });

  it('fills the Ethernet addresses of bpf_redirect_neigh from the route\'s gateway and its neighbour', async () => {
    const sim = await TopologySim.load(paths(X.PASS, T.NEIGH, 3), { engine });
    const out = sim.inject('eth0', udp(1));
    expect(out.map((d) => `${d.iface} ${d.delivery}`)).toEqual(['eth1 wire']);
    expect(hex(out[0]!.data.subarray(0, 12))).toBe('0200000000aa' + '020000000003');
    const unresolved = await TopologySim.load(paths(X.PASS, T.NEIGH, 4), { engine });
    expect(unresolved.inject('eth0', udp(1))).toEqual([]);
    expect(unresolved.run.hops.at(-1)).toMatchObject({ at: 'drop', reason: 'bpf_redirect_neigh: no neighbour 10.0.0.1 on eth2' });
  });
});

describe('topology files', () => {
  const base = {
    objects: { m: { object: '../../build/bpf/tests/topo_mirror.o' } },
    interfaces: [{ name: 'eth0', ifindex: 2, mac: '02:00:00:00:00:02', tc_ingress: { object: 'm', program: 'tc_mirror' } }],
  };
  const mutate = (f: (t: any) => void) => {
    const t = structuredClone(base) as any;
    f(t);
    return t;
  };

  it.each([
    { name: 'an unknown field', have: mutate((t) => (t.interfaces[0].speed = 10)), want: ['topology/invalid', /^interfaces\[0\]\.speed: unknown field$/] },
    { name: 'a name no interface may have', have: mutate((t) => (t.interfaces[0].name = '../etc')), want: ['topology/invalid', /^interfaces\[0\]\.name: expected an interface name/] },
    { name: 'an object nobody declared', have: mutate((t) => (t.interfaces[0].xdp = { object: 'x', program: 'p' })), want: ['topology/invalid', /^interfaces\[0\]\.xdp\.object: no object named 'x'/] },
    { name: 'loopback\'s ifindex', have: mutate((t) => (t.interfaces[0].ifindex = 1)), want: ['topology/invalid', /^interfaces\[0\]\.ifindex: expected an integer from 2/] },
    { name: 'a bad MAC address', have: mutate((t) => (t.interfaces[0].mac = '02:00')), want: ['case/bad-fib', /mac/] },
    { name: 'no interfaces', have: mutate((t) => (t.interfaces = [])), want: ['topology/invalid', /^interfaces: expected at least one interface/] },
    { name: 'a peer that is no interface', have: mutate((t) => (t.interfaces[0].peer = 'eth9')), want: ['topology/invalid', /^interfaces\[0\]\.peer: expected the name of another interface/] },
    { name: 'a hop limit of 0', have: mutate((t) => (t.hop_limit = 0)), want: ['topology/invalid', /^hop_limit: /] },
  ])('refuses $name with a typed one-line error', ({ have, want }) => {
    let err: unknown;
    try {
      parseTopology(have, join(FIXTURES, 'x.json'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaseError);
    expect((err as CaseError).code).toBe(want[0]);
    expect((err as CaseError).message).toMatch(want[1] as RegExp);
    expect((err as CaseError).message).not.toContain('\n');
  });

  it('refuses a TC program on the xdp hook and an unknown interface to inject on', async () => {
    const wrongHook = parseTopology(mutate((t) => (t.interfaces[0].xdp = { object: 'm', program: 'tc_mirror' })), join(FIXTURES, 'x.json'));
    await expect(TopologySim.load(wrongHook)).rejects.toMatchObject({ code: 'topology/bad-hook' });
    const sim = await TopologySim.load(parseTopology(base, join(FIXTURES, 'x.json')));
    expect(() => sim.inject('eth9', udp(1))).toThrow(SimError);
  });
});

describe('bpfsim sim', () => {
  let dir: string;
  let pcap: string;
  beforeAll(async () => {
    ensureDist();
    dir = mkdtempSync(join(tmpdir(), 'bpfsim-topology-'));
    pcap = join(dir, 'in.pcapng');
    const w = await PcapngWriter.open(pcap);
    w.addInterface({ name: 'in' });
    for (const [i, data] of [udp(1001), udp(1002), icmp].entries()) await w.writePacket({ data, timestampNs: BigInt(i) * 1000n });
    await w.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one capture per interface and prints every hop as JSON', async () => {
    const out = join(dir, 'out');
    const r = await bpfsim('sim', join(FIXTURES, 'lb.json'), '--pcap', pcap, '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const run = JSON.parse(r.stdout);
    expect(run.packets).toBe(3);
    expect(run.interfaces).toEqual({
      eth0: { wire: 0, host: 1, xsk: 0, drop: 0 },
      be1: { wire: 1, host: 0, xsk: 0, drop: 0 },
      be2: { wire: 1, host: 0, xsk: 0, drop: 0 },
      mon: { wire: 1, host: 0, xsk: 0, drop: 0 },
    });
    expect(run.hops).toHaveLength(8);
    expect(readdirSync(out).sort()).toEqual(['be1.pcapng', 'be2.pcapng', 'eth0.pcapng', 'mon.pcapng']);
    const be2 = await readCaptureAll(join(out, 'be2.pcapng'));
    expect(be2.map((p) => [p.interfaceIndex, p.comment, p.timestampNs])).toEqual([[0, 'packet 0: eth0 xdp XDP_REDIRECT > be2 wire', 0n]]);
    const eth0 = await readCaptureAll(join(out, 'eth0.pcapng'));
    expect(eth0.map((p) => p.interfaceIndex)).toEqual([1]);
  });

  it('fails with one line and leaves no capture when the input is broken', async () => {
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, Buffer.from('not a capture at all'));
    const out = join(dir, 'out-bad');
    const r = await bpfsim('sim', join(FIXTURES, 'lb.json'), '--pcap', bad, '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('names the interface it cannot inject on', async () => {
    const r = await bpfsim('sim', join(FIXTURES, 'lb.json'), '--pcap', pcap, '--iface', 'eth7');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no interface named 'eth7'/);
  });
});

it('simulateCapture injects on the interface it is given', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfsim-topology-'));
  try {
    const pcap = join(dir, 'in.pcapng');
    const w = await PcapngWriter.open(pcap);
    w.addInterface({});
    await w.writePacket({ data: udp(5), timestampNs: 0n });
    await w.close();
    const { run } = await simulateCapture(join(FIXTURES, 'vlan-bridge.json'), pcap, { iface: 'acc20' });
    expect(run.interfaces.trunk!.wire).toBe(1);
    expect(run.hops[0]).toMatchObject({ iface: 'acc20', at: 'tc_ingress', action: 'TC_ACT_REDIRECT' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
