import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PacketError } from '../../src/internal/errors.js';
import { buildLayers, buildPacket } from '../../src/packet/build.js';
import { parsePacket } from '../../src/packet/parse.js';
import { arbEthernetFrame, arbPacketSpec } from '../../src/testing/arbitraries.js';
import { packetErrorOf } from '../support/errors.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s|#.*$/gm, ''), 'hex'));

/** A SYN from 10.0.0.1:1234 to 10.0.0.2:80 with an MSS option, as tcpdump -xx shows it. */
const SYN = hex(`
  020000000002 020000000001 0800                  # eth
  4500 002c 0001 4000 4006 66c8 0a000001 0a000002 # ipv4, DF, ttl 64
  04d2 0050 00000001 00000000 6002 ffff 0000 0000 # tcp, data offset 6, SYN
  0204 05b4                                       # MSS 1460
`);

describe('packet', () => {
  describe('parse', () => {
    it('parses Ethernet, IPv4 and TCP fields', () => {
      const p = parsePacket(SYN);
      expect(p.layers.map((l) => l.kind)).toEqual(['eth', 'ipv4', 'tcp']);
      expect(p.layers[0]).toEqual({ kind: 'eth', offset: 0, length: 14, dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800 });
      expect(p.layers[1]).toMatchObject({ kind: 'ipv4', offset: 14, length: 20, ttl: 64, flags: 2, protocol: 6, src: '10.0.0.1', dst: '10.0.0.2', totalLength: 44 });
      expect(p.layers[2]).toMatchObject({ kind: 'tcp', offset: 34, length: 24, sport: 1234, dport: 80, seq: 1, flags: 2, dataOffset: 6 });
      expect(p.layers[2]).toMatchObject({ options: [{ type: 2, data: Uint8Array.of(0x05, 0xb4) }] });
      expect(p.payload).toHaveLength(0);
      expect(p.truncated).toBe(false);
    });

    it('walks VLAN tags and IPv6 extension headers', () => {
      const f = buildPacket({
        eth: { vlans: [{ vid: 100 }, { vid: 200, pcp: 5 }] },
        ipv6: { ext: [{ kind: 'ipv6-hopopts' }, { kind: 'ipv6-routing' }, { kind: 'ipv6-frag', id: 9 }, { kind: 'ipv6-dstopts' }] },
        udp: { dport: 53 },
        payload: 'q',
      });
      const p = parsePacket(f);
      expect(p.layers.map((l) => l.kind)).toEqual(['eth', 'vlan', 'vlan', 'ipv6', 'ipv6-hopopts', 'ipv6-routing', 'ipv6-frag', 'ipv6-dstopts', 'udp']);
      expect(p.layers[0]).toMatchObject({ type: 0x88a8 });
      expect(p.layers[1]).toMatchObject({ vid: 100, type: 0x8100 });
      expect(p.layers[2]).toMatchObject({ vid: 200, pcp: 5, type: 0x86dd });
      expect(p.layers[6]).toMatchObject({ id: 9, more: false, fragOffset: 0 });
      expect(new TextDecoder().decode(p.payload)).toBe('q');
    });

    it.each([
      { name: 'VXLAN', have: { ipv4: {}, vxlan: { vni: 42 }, inner: { ipv4: {}, tcp: {} } }, want: ['eth', 'ipv4', 'udp', 'vxlan', 'eth', 'ipv4', 'tcp'] },
      { name: 'Geneve to IPv6', have: { ipv6: {}, geneve: { vni: 1 }, inner: { ipv6: {}, icmpv6: {} } }, want: ['eth', 'ipv6', 'udp', 'geneve', 'ipv6', 'icmpv6'] },
      { name: 'Geneve to Ethernet', have: { ipv4: {}, geneve: {}, inner: { eth: {}, arp: {} } }, want: ['eth', 'ipv4', 'udp', 'geneve', 'eth', 'arp'] },
      { name: 'GRE with key', have: { ipv4: {}, gre: { key: 7 }, inner: { ipv4: {}, udp: {} } }, want: ['eth', 'ipv4', 'gre', 'ipv4', 'udp'] },
      { name: 'IP in IP', have: { ipv4: {}, inner: { ipv4: {}, icmp: {} } }, want: ['eth', 'ipv4', 'ipv4', 'icmp'] },
      { name: 'IPv6 in IPv4', have: { ipv4: {}, inner: { ipv6: {}, udp: {} } }, want: ['eth', 'ipv4', 'ipv6', 'udp'] },
    ])('follows tunnels into the inner packet ($name)', ({ have, want }) => {
      expect(parsePacket(buildPacket(have)).layers.map((l) => l.kind)).toEqual(want);
    });

    it('keeps unknown protocols, non-first fragments and other ARP sizes as payload', () => {
      expect(parsePacket(buildPacket({ eth: { type: 0x88cc }, payload: 10 })).layers).toHaveLength(1);
      expect(parsePacket(buildPacket({ ipv4: { fragOffset: 3 }, tcp: {} })).layers.map((l) => l.kind)).toEqual(['eth', 'ipv4']);
      const arp = buildPacket({ arp: {} });
      arp[14 + 4] = 8; // hlen 8: not Ethernet
      expect(parsePacket(arp).layers).toHaveLength(1);
    });

    it('separates Ethernet padding into the trailer', () => {
      const f = buildPacket({ ipv4: {}, udp: {}, payload: 'a', padTo: 60 });
      const p = parsePacket(f);
      expect(p.payload).toEqual(Uint8Array.of(0x61));
      expect(p.trailer).toHaveLength(60 - 43);
      expect(buildLayers(p.layers, p.payload, p.trailer)).toEqual(f);
    });

    it('marks a datagram longer than the frame as truncated without failing', () => {
      const f = buildPacket({ ipv4: {}, tcp: {}, payload: 10 });
      const p = parsePacket(f.subarray(0, f.length - 3));
      expect(p.truncated).toBe(true);
      expect(p.layers.map((l) => l.kind)).toEqual(['eth', 'ipv4', 'tcp']);
    });

    const opt = SYN.slice();
    opt[14] = 0x46; // IHL 6: one option word, NOP NOP then a 4-byte option cut at the end
    opt.set([0x01, 0x01, 0x44, 0x04], 34);
    it.each([
      { name: 'short Ethernet', have: SYN.subarray(0, 10), want: { code: 'packet/truncated', path: 'eth' } },
      { name: 'short IPv4', have: SYN.subarray(0, 30), want: { code: 'packet/truncated', path: 'ipv4' } },
      { name: 'option past the header', have: opt, want: { code: 'packet/truncated', path: 'ipv4/options/2' } },
      { name: 'IHL below 5', have: (() => { const f = SYN.slice(); f[14] = 0x44; return f; })(), want: { code: 'packet/bad-field', path: 'ipv4/ihl' } },
      { name: 'wrong IP version', have: (() => { const f = SYN.slice(); f[14] = 0x65; return f; })(), want: { code: 'packet/bad-field', path: 'ipv4/version' } },
      { name: 'total length below the header', have: (() => { const f = SYN.slice(); f[17] = 10; return f; })(), want: { code: 'packet/bad-field', path: 'ipv4/totalLength' } },
      { name: 'TCP data offset below 5', have: (() => { const f = SYN.slice(); f[46] = 0x40; return f; })(), want: { code: 'packet/bad-field', path: 'tcp/dataOffset' } },
      { name: 'TCP past the IP length', have: (() => { const f = SYN.slice(); f[17] = 40; return f; })(), want: { code: 'packet/truncated', path: 'tcp' } },
      { name: 'UDP length below 8', have: (() => { const f = buildPacket({ ipv4: {}, udp: {} }); f[39] = 4; return f; })(), want: { code: 'packet/bad-field', path: 'udp/len' } },
      {
        name: 'Geneve option past its header',
        have: (() => { const f = buildPacket({ ipv4: {}, geneve: { options: [{ class: 1, type: 2, data: new Uint8Array(4) }] } }); f[42 + 8 + 3] = 2; return f; })(),
        want: { code: 'packet/truncated', path: 'geneve/options/0' },
      },
      { name: 'short inner Ethernet in VXLAN', have: buildPacket({ ipv4: {}, vxlan: {}, payload: 10 }), want: { code: 'packet/truncated', path: 'eth[1]' } },
    ])('rejects a malformed frame with a path ($name)', ({ have, want }) => {
      expect(packetErrorOf(() => parsePacket(have))).toEqual(want);
    });

    it('reports the error and keeps what parsed when lenient', () => {
      const p = parsePacket(SYN.subarray(0, 40), { lenient: true });
      expect(p.layers.map((l) => l.kind)).toEqual(['eth', 'ipv4']);
      expect(p.error?.code).toBe('packet/truncated');
      expect(p.payloadOffset).toBe(34);
    });

    it('does not fail on a first fragment too short for its transport header', () => {
      const f = buildPacket({ ipv4: { flags: 1, protocol: 6 }, payload: 8 });
      expect(parsePacket(f).layers.map((l) => l.kind)).toEqual(['eth', 'ipv4']);
    });

    it('parses raw IP when asked to start there', () => {
      const ip = SYN.subarray(14);
      expect(parsePacket(ip, { first: 'ipv4' }).layers.map((l) => l.kind)).toEqual(['ipv4', 'tcp']);
    });

    it('rebuilds a built frame from its parsed layers (build, parse, build)', () => {
      fc.assert(
        fc.property(arbPacketSpec({ depth: 2 }), (spec) => {
          const frame = buildPacket(spec);
          const p = parsePacket(frame);
          expect(p.error).toBeUndefined();
          expect(buildLayers(p.layers, p.payload, p.trailer)).toEqual(frame);
        }),
        { numRuns: 300 },
      );
    });

    it('rebuilds any frame it parses byte for byte', () => {
      const mutated = fc.tuple(arbEthernetFrame(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 })).map(([f, edits]) => {
        const out = f.slice();
        for (const [at, v] of edits) out[at % out.length] = v;
        return out;
      });
      fc.assert(
        fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 128 })), (frame) => {
          let p;
          try {
            p = parsePacket(frame);
          } catch (err) {
            expect(err).toBeInstanceOf(PacketError);
            return;
          }
          expect(buildLayers(p.layers, p.payload, p.trailer)).toEqual(frame);
        }),
        { numRuns: 500 },
      );
    });

    it('returns a packet or throws a PacketError for random bytes, nothing else', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('eth' as const, 'ipv4' as const, 'ipv6' as const), (bytes, first) => {
          try {
            parsePacket(bytes, { first });
          } catch (err) {
            expect(err).toBeInstanceOf(PacketError);
          }
          expect(parsePacket(bytes, { first, lenient: true }).layers).toBeDefined();
        }),
        { numRuns: 1000 },
      );
    });
  });
});
