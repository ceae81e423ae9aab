/**
 * Writes the example case files in fixtures/cases/ from readable descriptions, so that packets
 * and map entries in hex are never typed by hand. Run: npx tsx scripts/make-fixtures.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPacket, parseIpv4, parseIpv6, parseMac, type PacketSpec } from '../src/packet/index.js';
import { toHex } from '../src/internal/hex.js';
import type { CaseFile } from '../src/internal/contract.js';

const out = join(import.meta.dirname, '..', 'fixtures', 'cases');
mkdirSync(out, { recursive: true });

const hex = (...parts: (Uint8Array | number[])[]) => parts.map((p) => toHex(Uint8Array.from(p))).join('');
const u32le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const u64le = (n: number) => [...u32le(n), 0, 0, 0, 0];
const be16 = (n: number) => [n >>> 8, n & 0xff];
const packet = (spec: PacketSpec) => toHex(buildPacket(spec));

const cases: Record<string, CaseFile & { description: string }> = {};

// XDP blacklist: IPv4 and IPv6 sources, per-CPU verdict counters.
const blacklistMaps = {
  deny_v4: [{ key: hex(parseIpv4('10.0.0.66')), value: hex(u32le(0)) }],
  deny_v6: [{ key: hex(parseIpv6('fd00::66')), value: hex(u32le(5)) }],
};
const blacklist = (name: string, description: string, spec: PacketSpec, retval: number) => {
  cases[`xdp_blacklist_${name}`] = {
    description,
    object: '../../build/bpf/xdp_blacklist.o',
    program: 'xdp_blacklist',
    packet: packet(spec),
    ctx: { ingress_ifindex: 1 },
    maps: blacklistMaps,
    expect: { retval },
  };
};
blacklist('v4_denied', 'an IPv4 packet from a denied source is dropped', { ipv4: { src: '10.0.0.66', dst: '10.0.0.2' }, tcp: { sport: 40000, dport: 80, flags: 'S' } }, 1);
blacklist('v4_allowed', 'an IPv4 packet from another source passes', { ipv4: { src: '10.0.0.7', dst: '10.0.0.2' }, udp: { sport: 5353, dport: 53 }, payload: 'query' }, 2);
blacklist('v6_denied', 'an IPv6 packet from a denied source is dropped', { ipv6: { src: 'fd00::66', dst: 'fd00::2' }, tcp: { sport: 40000, dport: 443, flags: 'S' } }, 1);
blacklist('v6_allowed', 'an IPv6 packet from another source passes', { ipv6: { src: 'fd00::7', dst: 'fd00::2' }, udp: { sport: 1000, dport: 2000 } }, 2);
blacklist('arp', 'ARP is not inspected', { arp: { op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tha: '00:00:00:00:00:00', tpa: '10.0.0.2' } }, 2);

// TC port filter: blocked (protocol, port) pairs, a mark on inspected packets.
const portKey = (proto: number, port: number) => hex([proto, 0], be16(port));
const portFilter = (name: string, description: string, spec: PacketSpec, retval: number) => {
  cases[`tc_port_filter_${name}`] = {
    description,
    object: '../../build/bpf/tc_port_filter.o',
    program: 'tc_port_filter',
    packet: packet(spec),
    ctx: { mark: 0, priority: 3 },
    maps: { blocked_ports: [{ key: portKey(6, 23), value: hex(u64le(0)) }, { key: portKey(17, 69), value: hex(u64le(10)) }] },
    expect: { retval },
  };
};
portFilter('telnet_shot', 'TCP to port 23 is shot', { ipv4: { src: '192.0.2.1', dst: '192.0.2.2' }, tcp: { sport: 50000, dport: 23, flags: 'S' } }, 2);
portFilter('tftp_shot', 'UDP to port 69 is shot', { ipv4: { src: '192.0.2.1', dst: '192.0.2.2' }, udp: { sport: 50000, dport: 69 } }, 2);
portFilter('https_marked', 'TCP to port 443 passes and is marked', { ipv4: { src: '192.0.2.1', dst: '192.0.2.2' }, tcp: { sport: 50000, dport: 443, flags: 'S' } }, 0);
portFilter('ip_options', 'IPv4 options are skipped before the port is read', { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', options: [{ type: 1, data: new Uint8Array(0) }, { type: 1, data: new Uint8Array(0) }, { type: 1, data: new Uint8Array(0) }, { type: 0, data: new Uint8Array(0) }] }, tcp: { sport: 50000, dport: 23, flags: 'S' } }, 2);

// TC stateful policy: open ports, a flow table.
const flowKey = (src: string, dst: string, sport: number, dport: number, proto: number) => hex(parseIpv4(src), parseIpv4(dst), be16(sport), be16(dport), [proto, 0, 0, 0]);
const flowInfo = (lastSeen: number, packets: number, initiator: number) => hex(u64le(lastSeen), u64le(packets), [initiator, 0, 0, 0, 0, 0, 0, 0]);
const stateful = (name: string, description: string, spec: PacketSpec, retval: number, flows: { key: string; value: string }[] = []) => {
  cases[`tc_stateful_${name}`] = {
    description,
    object: '../../build/bpf/tc_stateful.o',
    program: 'tc_stateful',
    packet: packet(spec),
    maps: { open_ports: [{ key: hex(u32le(22)), value: '01' }], flows },
    parity: { ignore: ['flows.value.last_seen'] },
    expect: { retval },
  };
};
stateful('open_port', 'a connection to an open port passes and adds both directions', { ipv4: { src: '10.1.0.5', dst: '10.2.0.9' }, tcp: { sport: 33000, dport: 22, flags: 'S' } }, 0);
stateful('closed_port', 'a connection to a closed port is shot', { ipv4: { src: '10.1.0.5', dst: '10.2.0.9' }, tcp: { sport: 33000, dport: 25, flags: 'S' } }, 2);
stateful('known_reply', 'a reply on a known flow passes and is counted', { ipv4: { src: '10.2.0.9', dst: '10.1.0.5' }, tcp: { sport: 22, dport: 33000, flags: 'SA' } }, 0, [
  { key: flowKey('10.2.0.9', '10.1.0.5', 22, 33000, 6), value: flowInfo(5, 0, 0) },
]);

// XDP load balancer: VIP 10.0.0.100:80/TCP, two backends, Maglev table of 251 slots.
const vip = hex(parseIpv4('10.0.0.100'), be16(80), [6, 0]);
const backend = (addr: string, port: number, mac: string) => hex(parseIpv4(addr), be16(port), parseMac(mac));
const lbMaps = {
  '.bss': [{ key: hex(u32le(0)), value: vip + '00'.repeat(24) }],
  maglev: Array.from({ length: 251 }, (_, slot) => ({ key: hex(u32le(slot)), value: hex(u32le(slot % 2)) })),
  backends: [
    { key: hex(u32le(0)), value: backend('10.9.0.10', 8080, '02:00:00:00:09:0a') },
    { key: hex(u32le(1)), value: backend('10.9.0.11', 8080, '02:00:00:00:09:0b') },
  ],
};
const lbFib = {
  interfaces: [
    { ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.0.0.1/24'] },
    { ifindex: 3, name: 'eth2', mac: '02:00:00:00:02:01', addrs: ['10.9.0.1/24'] },
  ],
  routes: [],
  neighbors: [
    { ip: '10.9.0.10', mac: '02:00:00:00:09:0a', dev: 3 },
    { ip: '10.9.0.11', mac: '02:00:00:00:09:0b', dev: 3 },
  ],
  forwarding: true,
};
const toVip = (sport: number): PacketSpec => ({ eth: { src: '02:00:00:00:00:07', dst: '02:00:00:00:01:01' }, ipv4: { src: '10.0.0.7', dst: '10.0.0.100' }, tcp: { sport, dport: 80, flags: 'S' }, payload: 'GET / HTTP/1.0\r\n\r\n' });
cases.xdp_lb_redirect = { description: 'a flow to the VIP is rewritten to its backend and redirected out of the backend network', object: '../../build/bpf/xdp_lb.o', program: 'xdp_lb', packet: packet(toVip(41000)), ctx: { ingress_ifindex: 2 }, maps: lbMaps, fib: lbFib, expect: { retval: 4 } };
cases.xdp_lb_tx = { description: 'without a route to the backend the rewritten packet goes back out (XDP_TX)', object: '../../build/bpf/xdp_lb.o', program: 'xdp_lb', packet: packet(toVip(41001)), ctx: { ingress_ifindex: 1 }, maps: lbMaps, expect: { retval: 3 } };
cases.xdp_lb_not_vip = { description: 'traffic to another address passes untouched', object: '../../build/bpf/xdp_lb.o', program: 'xdp_lb', packet: packet({ ipv4: { src: '10.0.0.7', dst: '10.0.0.200' }, tcp: { sport: 1, dport: 80 } }), maps: lbMaps, expect: { retval: 2 } };
cases.xdp_lb_no_backend = { description: 'a slot pointing at a missing backend drops the packet and counts it', object: '../../build/bpf/xdp_lb.o', program: 'xdp_lb', packet: packet(toVip(41002)), maps: { ...lbMaps, backends: [] }, expect: { retval: 1 } };

// Socket filter: keeps the headers of TCP and UDP packets to port 22, drops the rest.
const socketFilter = (name: string, description: string, spec: PacketSpec, retval: number) => {
  cases[`socket_filter_${name}`] = {
    description,
    object: '../../build/bpf/socket_filter.o',
    program: 'socket_filter',
    packet: packet(spec),
    ctx: { cb: [0, 0, 0, 0, 0] },
    expect: { retval },
  };
};
const sshPayload = 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n';
socketFilter('ssh_v4_kept', 'IPv4 TCP to port 22 keeps the IPv4 header and 16 bytes of TCP', { ipv4: { src: '192.0.2.1', dst: '192.0.2.2' }, tcp: { sport: 50000, dport: 22, flags: 'PA' }, payload: sshPayload }, 36);
socketFilter('ssh_v6_kept', 'IPv6 TCP to port 22 keeps the IPv6 header and 16 bytes of TCP', { ipv6: { src: 'fd00::1', dst: 'fd00::2' }, tcp: { sport: 50000, dport: 22, flags: 'PA' }, payload: sshPayload }, 56);
socketFilter('udp_short_kept', 'a UDP packet to port 22 shorter than the snap length is kept whole', { ipv4: { src: '192.0.2.1', dst: '192.0.2.2' }, udp: { sport: 50000, dport: 22 } }, 28);
socketFilter('http_dropped', 'TCP to another port is dropped and counted', { ipv4: { src: '192.0.2.1', dst: '192.0.2.2' }, tcp: { sport: 50000, dport: 80, flags: 'S' } }, 0);
socketFilter('icmp_dropped', 'ICMP is dropped and counted', { ipv4: { src: '192.0.2.1', dst: '192.0.2.2' }, icmp: { type: 8, code: 0 } }, 0);
socketFilter('arp_dropped', 'ARP is not IP and is dropped', { arp: { op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tha: '00:00:00:00:00:00', tpa: '10.0.0.2' } }, 0);

// TC VXLAN decapsulator: VNI 100 goes to ifindex 5; inner frames carry IPv4 or IPv6.
const innerFrame = (v6: boolean): PacketSpec => ({
  eth: { src: '02:00:00:00:0a:01', dst: '02:00:00:00:0a:02' },
  ...(v6 ? { ipv6: { src: 'fd00::1', dst: 'fd00::2' } } : { ipv4: { src: '10.0.0.1', dst: '10.0.0.2' } }),
  udp: { sport: 1000, dport: 53 },
  payload: 'hello',
});
const vxlanFrame = (vni: number, inner: PacketSpec): PacketSpec => ({
  eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' },
  ipv4: { src: '192.0.2.1', dst: '192.0.2.2', ttl: 63 },
  udp: { sport: 49152, dport: 4789 },
  vxlan: { vni },
  inner,
});
const vxlan = (name: string, description: string, spec: PacketSpec, retval: number, out: PacketSpec) => {
  cases[`tc_vxlan_decap_${name}`] = {
    description,
    object: '../../build/bpf/tc_vxlan_decap.o',
    program: 'tc_vxlan_decap',
    packet: packet(spec),
    maps: { vni_targets: [{ key: hex(u32le(100)), value: hex(u32le(5)) }] },
    expect: { retval, packet: packet(out) },
  };
};
vxlan('v4', 'VXLAN VNI 100 carrying IPv4: decapsulated, tunnel key set, redirected to ifindex 5', vxlanFrame(100, innerFrame(false)), 7, innerFrame(false));
vxlan('v6', 'VXLAN VNI 100 carrying IPv6: decapsulated to the inner IPv6 frame, redirected to ifindex 5', vxlanFrame(100, innerFrame(true)), 7, innerFrame(true));
vxlan('unknown_vni', 'VXLAN with an unconfigured VNI (7) is dropped and counted', vxlanFrame(7, innerFrame(false)), 2, vxlanFrame(7, innerFrame(false)));
vxlan('not_vxlan', 'a plain UDP frame passes untouched', innerFrame(false), 0, innerFrame(false));

// For benchmarks: the backend is the VIP itself, so the rewrite is an identity and every repeat
// of BPF_PROG_TEST_RUN (which does not restore the packet) takes the full path again.
cases.xdp_lb_bench = {
  description: 'benchmark: the full load-balancing path (2 lookups, csum_diff, fib_lookup, redirect) on every repeat',
  object: '../../build/bpf/xdp_lb.o',
  program: 'xdp_lb',
  packet: packet(toVip(41000)),
  ctx: { ingress_ifindex: 2 },
  maps: { ...lbMaps, backends: [0, 1].map((id) => ({ key: hex(u32le(id)), value: backend('10.0.0.100', 80, '02:00:00:00:00:64') })) },
  fib: { ...lbFib, neighbors: [{ ip: '10.0.0.100', mac: '02:00:00:00:00:64', dev: 2 }] },
  expect: { retval: 4 },
};

for (const [name, c] of Object.entries(cases)) writeFileSync(join(out, `${name}.json`), JSON.stringify(c, null, 2) + '\n');
console.log(`wrote ${Object.keys(cases).length} cases to ${out}`);
