import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildPacket, type PacketSpec } from '../../src/packet/build.js';
import { describePacket } from '../../src/packet/describe.js';
import { diffPackets } from '../../src/packet/diff.js';
import { arbEthernetFrame } from '../../src/testing/arbitraries.js';

const base: PacketSpec = { ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 1234, dport: 80, flags: 'S' } };

describe('packet', () => {
  describe('describePacket', () => {
    it.each([
      { name: 'TCP SYN', have: base, want: 'IPv4 10.0.0.1:1234 > 10.0.0.2:80 TCP [S] len 54' },
      { name: 'UDP over IPv6', have: { ipv6: { src: 'fd00::1', dst: 'fd00::2' }, udp: { sport: 5, dport: 53 } }, want: 'IPv6 [fd00::1]:5 > [fd00::2]:53 UDP len 62' },
      { name: 'VLAN ICMP echo', have: { eth: { vlans: [{ vid: 10 }] }, ipv4: {}, icmp: { id: 1, seq: 2 } }, want: 'vlan 10 IPv4 10.0.0.1 > 10.0.0.2 ICMP echo-request id 1 seq 2 len 46' },
      { name: 'ARP request', have: { arp: { spa: '10.0.0.1', tpa: '10.0.0.2' } }, want: 'ARP who-has 10.0.0.2 tell 10.0.0.1 len 42' },
      {
        name: 'VXLAN',
        have: { ipv4: { src: '1.1.1.1', dst: '2.2.2.2' }, udp: { sport: 5555 }, vxlan: { vni: 42 }, inner: base },
        want: 'IPv4 1.1.1.1:5555 > 2.2.2.2:4789 UDP VXLAN vni 42 | IPv4 10.0.0.1:1234 > 10.0.0.2:80 TCP [S] len 104',
      },
      { name: 'GRE', have: { ipv4: {}, gre: { key: 3 }, inner: { ipv4: {}, udp: { dport: 7 } } }, want: 'IPv4 10.0.0.1 > 10.0.0.2 GRE key 3 | IPv4 10.0.0.1:12345 > 10.0.0.2:7 UDP len 70' },
      { name: 'other EtherType', have: { eth: { type: 0x88cc }, payload: 46 }, want: 'eth 02:00:00:00:00:01 > 02:00:00:00:00:02 type 0x88cc len 60' },
      { name: 'IPv4 fragment', have: { ipv4: { fragOffset: 2, protocol: 17 }, payload: 8 }, want: 'IPv4 frag 16 10.0.0.1 > 10.0.0.2 proto 17 len 42' },
    ] as { name: string; have: PacketSpec; want: string }[])('summarizes a frame in one line ($name)', ({ have, want }) => {
      expect(describePacket(buildPacket(have))).toBe(want);
    });

    it('says when a frame is malformed', () => {
      expect(describePacket(buildPacket(base).subarray(0, 30))).toMatch(/ malformed \(ipv4: .*\) len 30$/);
    });
  });

  describe('diffPackets', () => {
    const a = buildPacket({ ...base, payload: 'abcdef' });
    it.each([
      { name: 'equal', have: a, want: [] },
      { name: 'address', have: buildPacket({ ...base, ipv4: { dst: '10.0.0.9' }, tcp: { ...base.tcp, check: (a[50]! << 8) | a[51]! }, payload: 'abcdef' }), want: [/^ipv4\.check: 0x[0-9a-f]{4} != 0x[0-9a-f]{4}$/, 'ipv4.dst: 10.0.0.2 != 10.0.0.9'] },
      { name: 'TCP flags and checksum', have: buildPacket({ ...base, tcp: { ...base.tcp, flags: 'SA' }, payload: 'abcdef' }), want: ['tcp.flags: S != SA', /^tcp\.check: /] },
      { name: 'payload bytes', have: (() => { const b = a.slice(); b[54] ^= 1; b[56] ^= 1; b[59] ^= 1; b[50] = a[50]!; return b; })(), want: ['payload: 3 bytes differ at offset 54'] },
      { name: 'longer', have: buildPacket({ ...base, payload: 'abcdefgh' }), want: ['length: 60 != 62', 'ipv4.totalLength: 46 != 48', /^ipv4\.check/, /^tcp\.check/, 'payload.length: 6 != 8'] },
      { name: 'VLAN added', have: buildPacket({ ...base, eth: { vlans: [{ vid: 3 }] }, payload: 'abcdef' }), want: ['length: 60 != 64', 'eth.type: 0x0800 != 0x8100', 'layer 1: ipv4 != vlan', 'rest.length: 46 != 50', /^rest: \d+ bytes differ at offset 14$/] },
    ] as { name: string; have: Uint8Array; want: (string | RegExp)[] }[])('lists differences field by field ($name)', ({ have, want }) => {
      const got = diffPackets(a, have);
      expect(got).toHaveLength(want.length);
      want.forEach((w, i) => (typeof w === 'string' ? expect(got[i]).toBe(w) : expect(got[i]).toMatch(w)));
    });

    it('is empty exactly when the frames are equal', () => {
      fc.assert(
        fc.property(arbEthernetFrame(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }), (f, edits) => {
          const g = f.slice();
          for (const [at, x] of edits) g[at % g.length] ^= x;
          const same = Buffer.from(f).equals(Buffer.from(g));
          expect(diffPackets(f, g).length === 0).toBe(same);
        }),
        { numRuns: 300 },
      );
    });
  });
});
