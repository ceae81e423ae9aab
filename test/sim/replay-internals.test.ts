import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPacket } from '../../src/packet/index.js';
import { checkChecksums } from '../../src/packet/checksum.js';
import { checksumVerdicts, checksumVerdictsIn, CHECKSUM_BAD, CHECKSUM_NONE, CHECKSUM_OK } from '../../src/sim/checksum-verdicts.js';
import { cpuOfHash, flowHash } from '../../src/sim/flow-hash.js';
import { arbIpv4Packet, arbIpv6Packet } from '../../src/testing/arbitraries.js';

const code = (v: 'ok' | 'bad' | null) => (v === 'ok' ? CHECKSUM_OK : v === 'bad' ? CHECKSUM_BAD : CHECKSUM_NONE);
const reference = (frame: Uint8Array) => {
  const r = checkChecksums(frame);
  return code(r.ip) | (code(r.l4) << 2);
};

/** A frame with some bytes changed: checksums, lengths, flags and ports go wrong in every way. */
const arbMutated = fc.tuple(fc.oneof(arbIpv4Packet(), arbIpv6Packet()), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat()).map(([frame, edits, cut]) => {
  const out = frame.slice(0, cut % 4 === 0 ? Math.max(0, frame.length - (cut % 40)) : frame.length);
  for (const [at, byte] of edits) if (out.length) out[at % out.length] = byte;
  return out;
});

describe('sim', () => {
  describe('checksumVerdicts', () => {
    it('gives checkChecksums verdicts on random frames, good and mutated', () => {
      fc.assert(
        fc.property(fc.oneof(arbIpv4Packet(), arbIpv6Packet(), arbMutated), (frame) => {
          expect(checksumVerdicts(frame)).toBe(reference(frame));
        }),
        { numRuns: 10000 },
      );
    });

    it('gives the same verdicts on a frame inside a larger buffer, reading nothing around it', () => {
      fc.assert(
        fc.property(fc.oneof(arbIpv4Packet(), arbIpv6Packet(), arbMutated), fc.nat(40), fc.nat(40), (frame, before, after) => {
          // Bytes around the frame that would turn any verdict that read them.
          const buf = new Uint8Array(before + frame.length + after).fill(0xa5);
          buf.set(frame, before);
          expect(checksumVerdictsIn(buf, before, frame.length)).toBe(reference(frame));
        }),
        { numRuns: 5000 },
      );
    });

    it('finds a wrong TCP checksum over IPv4 and a zero UDP checksum over IPv6 bad', () => {
      const tcp = buildPacket({ ipv4: {}, tcp: { sport: 1, dport: 2 } });
      tcp[tcp.length - 1]! ^= 1;
      expect(checksumVerdicts(tcp)).toBe(CHECKSUM_OK | (CHECKSUM_BAD << 2));
      const udp = buildPacket({ ipv6: {}, udp: { sport: 1, dport: 2 }, payload: 4 });
      udp[54 + 6] = 0;
      udp[54 + 7] = 0;
      expect(checksumVerdicts(udp)).toBe(CHECKSUM_BAD << 2);
    });
  });

  describe('flowHash', () => {
    // Microsoft's "Verifying the RSS Hash Calculation": 66.9.149.187:2794 -> 161.142.100.80:1766.
    const tcp = buildPacket({ ipv4: { src: '66.9.149.187', dst: '161.142.100.80' }, tcp: { sport: 2794, dport: 1766 } });
    it('is the Toeplitz hash of the RSS verification suite for TCP over IPv4', () => {
      expect(flowHash(tcp).toString(16)).toBe('51ccc178');
    });

    it('hashes the addresses alone for other IPv4 protocols', () => {
      expect(flowHash(buildPacket({ ipv4: { src: '66.9.149.187', dst: '161.142.100.80' }, icmp: {} })).toString(16)).toBe('323e8fc2');
    });

    it('matches the suite for TCP over IPv6', () => {
      // 3ffe:2501:200:1fff::7:2794 -> 3ffe:2501:200:3::1:1766.
      const v6 = buildPacket({ ipv6: { src: '3ffe:2501:200:1fff::7', dst: '3ffe:2501:200:3::1' }, tcp: { sport: 2794, dport: 1766 } });
      expect(flowHash(v6).toString(16)).toBe('40207d3d');
    });

    it('sends frames that are not IP to CPU 0 and spreads flows over the CPUs', () => {
      expect(flowHash(buildPacket({ arp: { op: 1 } }))).toBe(0);
      const cpus = new Set<number>();
      for (let port = 1000; port < 1064; port++) cpus.add(cpuOfHash(flowHash(buildPacket({ ipv4: {}, udp: { sport: port, dport: 53 } })), 4));
      expect([...cpus].sort()).toEqual([0, 1, 2, 3]);
    });
  });
});
