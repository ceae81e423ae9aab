import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildPacket } from '../../src/packet/build.js';
import {
  checkChecksums,
  fixChecksums,
  foldChecksum,
  incrementalUpdate,
  incrementalUpdateBytes,
  internetChecksum,
  onesComplementAdd,
  pseudoHeaderSumV4,
  pseudoHeaderSumV6,
} from '../../src/packet/checksum.js';
import { parsePacket } from '../../src/packet/parse.js';
import { arbEthernetFrame } from '../../src/testing/arbitraries.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));

/** A frame with its byte at `off` xor-ed with `mask`. */
function flip(frame: Uint8Array, off: number, mask = 0x01): Uint8Array {
  const out = frame.slice();
  out[off] = out[off]! ^ mask;
  return out;
}

describe('packet', () => {
  describe('checksum', () => {
    it.each([
      // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement), checksum 220d.
      { name: 'RFC 1071 §3 example', have: '0001 f203 f4f5 f6f7', want: 0x220d },
      // The classic IPv4 header example (192.168.0.1 → 192.168.0.199, UDP) with its checksum field zeroed.
      { name: 'IPv4 header', have: '4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7', want: 0xb861 },
      { name: 'odd length pads with a zero byte', have: '0102 03', want: ~(0x0102 + 0x0300) & 0xffff },
      { name: 'empty', have: '', want: 0xffff },
      { name: 'all ones', have: 'ffff ffff', want: 0x0000 },
    ])('computes the internet checksum ($name)', ({ have, want }) => {
      expect(internetChecksum(hex(have))).toBe(want);
    });

    it('gives 0 over data that includes its right checksum', () => {
      expect(internetChecksum(hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7'))).toBe(0);
    });

    it.each([
      { name: 'no carry', have: [0x1234, 0x1111], want: 0x2345 },
      { name: 'end-around carry', have: [0xffff, 0x0002], want: 0x0002 },
      { name: 'negative zero', have: [0xffff, 0x0000], want: 0xffff },
    ])('adds in one’s complement ($name)', ({ have, want }) => {
      expect(onesComplementAdd(have[0]!, have[1]!)).toBe(want);
    });

    it('folds a wide sum into 16 bits', () => {
      expect(foldChecksum(0x2_fffe)).toBe(0x0001);
      expect(foldChecksum(0x1_ffff)).toBe(0x0001);
      expect(foldChecksum(0xffff)).toBe(0xffff);
    });

    it('sums the IPv4 and IPv6 pseudo-headers', () => {
      // 10.0.0.1 + 10.0.0.2 + proto 6 + length 20 = 0x0a00+0x0001+0x0a00+0x0002+6+20
      expect(pseudoHeaderSumV4('10.0.0.1', '10.0.0.2', 6, 20)).toBe(0x0a00 + 1 + 0x0a00 + 2 + 6 + 20);
      expect(pseudoHeaderSumV6('::1', '::2', 17, 0x10008)).toBe(1 + 2 + 1 + 8 + 17);
    });

    it('updates incrementally as a full recompute would (RFC 1624)', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 2, maxLength: 64 }).filter((b) => b.length % 2 === 0),
          fc.nat(),
          fc.integer({ min: 0, max: 0xffff }),
          (data, at, word) => {
            const i = (at % (data.length / 2)) * 2;
            const before = internetChecksum(data);
            const oldWord = (data[i]! << 8) | data[i + 1]!;
            const changed = data.slice();
            changed[i] = word >> 8;
            changed[i + 1] = word & 0xff;
            const full = internetChecksum(changed);
            const inc = incrementalUpdate(before, oldWord, word);
            // One's complement has two zeros; eqn. 3 can give 0xffff where a recompute gives 0 only for all-zero data.
            expect(inc === full || (full === 0xffff && inc === 0) || (full === 0 && inc === 0xffff)).toBe(true);
          },
        ),
      );
    });

    it('rewrites an IPv4 address in a header checksum as a recompute does', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (addr) => {
          const frame = buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: {} });
          const ip = frame.subarray(14, 34);
          const check = (ip[10]! << 8) | ip[11]!;
          const next = incrementalUpdateBytes(check, ip.slice(16, 20), addr);
          ip.set(addr, 16);
          ip[10] = next >> 8;
          ip[11] = next & 0xff;
          expect(internetChecksum(ip)).toBe(0);
        }),
      );
    });

    it('rejects fields of different lengths for a multi-word update', () => {
      expect(() => incrementalUpdateBytes(0, new Uint8Array(4), new Uint8Array(2))).toThrow(RangeError);
    });

    const tcp4 = buildPacket({ ipv4: {}, tcp: { flags: 'S' }, payload: 'abc' });
    const udp4 = buildPacket({ ipv4: {}, udp: {}, payload: 'abc' });
    const udp6 = buildPacket({ ipv6: {}, udp: {}, payload: 'abc' });
    const zeroUdp = (f: Uint8Array, off: number): Uint8Array => {
      const out = f.slice();
      out[off] = 0;
      out[off + 1] = 0;
      return out;
    };
    const ipv4Udp = 14 + 20 + 6;
    const ipv6Udp = 14 + 40 + 6;
    it.each([
      { name: 'IPv4 TCP', have: tcp4, want: { ip: 'ok', l4: 'ok' } },
      { name: 'IPv4 header bit flipped', have: flip(tcp4, 14 + 8), want: { ip: 'bad', l4: 'ok' } },
      { name: 'TCP payload bit flipped', have: flip(tcp4, 54 + 1), want: { ip: 'ok', l4: 'bad' } },
      { name: 'IPv6 UDP', have: udp6, want: { ip: null, l4: 'ok' } },
      { name: 'UDP checksum 0 over IPv4 (no checksum)', have: zeroUdp(udp4, ipv4Udp), want: { ip: 'ok', l4: 'ok' } },
      { name: 'UDP checksum 0 over IPv6', have: zeroUdp(udp6, ipv6Udp), want: { ip: null, l4: 'bad' } },
      { name: 'ARP', have: buildPacket({ arp: {} }), want: { ip: null, l4: null } },
      { name: 'IPv4 without a transport', have: buildPacket({ ipv4: { protocol: 99 }, payload: 4 }), want: { ip: 'ok', l4: null } },
      { name: 'a fragment', have: buildPacket({ ipv4: { flags: 1 }, tcp: {}, payload: 8 }), want: { ip: 'ok', l4: null } },
      { name: 'truncated datagram', have: tcp4.subarray(0, tcp4.length - 1), want: { ip: 'ok', l4: null } },
      { name: 'not a packet', have: hex('0102'), want: { ip: null, l4: null } },
      { name: 'ICMP', have: buildPacket({ ipv4: {}, icmp: { id: 1, seq: 1 }, payload: 56 }), want: { ip: 'ok', l4: 'ok' } },
      { name: 'ICMPv6', have: buildPacket({ ipv6: {}, icmpv6: {}, payload: 56 }), want: { ip: null, l4: 'ok' } },
      {
        name: 'bad inner TCP in VXLAN',
        have: flip(buildPacket({ ipv4: {}, vxlan: {}, inner: { ipv4: {}, tcp: {}, payload: 'x' } }), 14 + 20 + 8 + 8 + 14 + 20 + 20),
        want: { ip: 'ok', l4: 'bad' },
      },
    ])('checks a frame’s checksums ($name)', ({ have, want }) => {
      expect(checkChecksums(have)).toEqual(want);
    });

    it('checks TCP over IPv6 through a segment routing header against the final destination', () => {
      const seg0 = new Uint8Array(20);
      seg0.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9], 4);
      const f = buildPacket({ ipv6: { ext: [{ kind: 'ipv6-routing', routingType: 4, segmentsLeft: 1, data: seg0 }] }, tcp: {} });
      expect(checkChecksums(f)).toEqual({ ip: null, l4: 'ok' });
      const plain = buildPacket({ ipv6: { ext: [{ kind: 'ipv6-routing', routingType: 4, segmentsLeft: 0, data: seg0 }] }, tcp: {} });
      expect(plain.subarray(-4)).not.toEqual(f.subarray(-4));
    });

    it('fixes every checksum of a damaged frame', () => {
      fc.assert(
        fc.property(arbEthernetFrame(), fc.nat(), (frame, at) => {
          const p = parsePacket(frame);
          const l = p.layers[at % p.layers.length]!;
          const damaged = flip(frame, l.offset + (l.length > 1 ? 1 : 0), 0xff);
          const fixed = fixChecksums(damaged);
          const r = checkChecksums(fixed);
          expect(r.ip).not.toBe('bad');
          expect(r.l4).not.toBe('bad');
        }),
        { numRuns: 200 },
      );
    });

    it('leaves a frame with right checksums as it is', () => {
      fc.assert(
        fc.property(arbEthernetFrame(), (frame) => {
          expect(fixChecksums(frame)).toEqual(frame);
        }),
        { numRuns: 200 },
      );
    });
  });
});
