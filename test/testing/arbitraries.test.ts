import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkChecksums } from '../../src/packet/checksum.js';
import { parsePacket } from '../../src/packet/parse.js';
import type { TcpLayer, UdpLayer } from '../../src/packet/layers.js';
import { parseIpv4, parseIpv6, parseMac } from '../../src/packet/address.js';
import {
  arbEthernetFrame,
  arbIpv4,
  arbIpv4Packet,
  arbIpv6,
  arbIpv6Packet,
  arbMac,
  arbTcpPacket,
  arbUdpPacket,
} from '../../src/testing/index.js';

const kinds = (f: Uint8Array): string[] => parsePacket(f).layers.map((l) => l.kind);

describe('testing', () => {
  describe('arbitraries', () => {
    it('generate addresses that parse', () => {
      fc.assert(
        fc.property(arbMac({ unicast: true }), arbIpv4(), arbIpv6(), (mac, v4, v6) => {
          expect(parseMac(mac)[0]! & 1).toBe(0);
          expect(parseIpv4(v4)).toHaveLength(4);
          expect(parseIpv6(v6)).toHaveLength(16);
        }),
      );
    });

    it.each([
      { name: 'arbTcpPacket', have: arbTcpPacket(), want: 'tcp' },
      { name: 'arbUdpPacket', have: arbUdpPacket(), want: 'udp' },
      { name: 'arbIpv4Packet', have: arbIpv4Packet(), want: 'ipv4' },
      { name: 'arbIpv6Packet', have: arbIpv6Packet(), want: 'ipv6' },
      { name: 'arbEthernetFrame', have: arbEthernetFrame(), want: 'eth' },
    ])('$name generates frames that parse with right checksums', ({ have, want }) => {
      fc.assert(
        fc.property(have, (frame) => {
          expect(kinds(frame)).toContain(want);
          const r = checkChecksums(frame);
          expect(r.ip).not.toBe('bad');
          expect(r.l4).not.toBe('bad');
        }),
        { numRuns: 150 },
      );
    });

    it('never sends a random UDP payload to a tunnel port, which the parser would read as a tunnel header', () => {
      const dports = fc.sample(arbUdpPacket({ ipVersion: 4, payload: fc.constant(new Uint8Array(0)) }), { numRuns: 60_000, seed: 7 }).map((f) => {
        const udp = parsePacket(f, { lenient: true }).layers.find((l) => l.kind === 'udp');
        return udp?.kind === 'udp' ? udp.dport : -1;
      });
      expect(new Set(dports).size).toBeGreaterThan(30_000);
      expect(dports).not.toContain(4789);
      expect(dports).not.toContain(6081);
    });

    it('pins the fields a test asks for', () => {
      fc.assert(
        fc.property(arbTcpPacket({ ipVersion: 4, dst: '10.9.0.1', dport: 443, vlan: false }), (frame) => {
          const p = parsePacket(frame);
          expect(p.layers.map((l) => l.kind)).toEqual(['eth', 'ipv4', 'tcp']);
          expect(p.layers[1]).toMatchObject({ dst: '10.9.0.1' });
          expect((p.layers[2] as TcpLayer).dport).toBe(443);
        }),
        { numRuns: 50 },
      );
      fc.assert(
        fc.property(arbUdpPacket({ ipVersion: 6, sport: fc.integer({ min: 1000, max: 1010 }), vlan: 7 }), (frame) => {
          const p = parsePacket(frame);
          expect(p.layers[1]).toMatchObject({ kind: 'vlan', vid: 7 });
          const udp = p.layers.find((l) => l.kind === 'udp') as UdpLayer;
          expect(udp.sport).toBeGreaterThanOrEqual(1000);
          expect(udp.sport).toBeLessThanOrEqual(1010);
        }),
        { numRuns: 50 },
      );
    });

    it('carries a raw protocol number with random bytes', () => {
      fc.assert(
        fc.property(arbIpv4Packet({ proto: 132 }), (frame) => {
          expect(kinds(frame).at(-1)).toBe('ipv4');
          expect(parsePacket(frame).layers.at(-1)).toMatchObject({ protocol: 132 });
        }),
        { numRuns: 30 },
      );
    });

    it('reaches tunnels', () => {
      const seen = new Set(fc.sample(arbEthernetFrame(), { numRuns: 300, seed: 1 }).flatMap(kinds));
      for (const k of ['vxlan', 'geneve', 'gre', 'arp', 'icmp', 'icmpv6', 'vlan', 'ipv6-frag']) expect(seen).toContain(k);
    });
  });
});
