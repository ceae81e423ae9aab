import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/internal/hex.js';
import { helperImplemented, helperByName } from '../../src/helpers/table.js';
import { buildPacket, parsePacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';

/**
 * bpf_skb_ecn_set_ce (bpf/tests/helpers_ecn.c returns its result) on every backend: an
 * ECN-capable IPv4 or IPv6 packet becomes CE with a still valid header checksum, a Not-ECT or
 * non-IP packet is left alone with 0, as INET_ECN_set_ce does on the kernel.
 */

const OBJECT = testObject('helpers_ecn');
const backends = await availableBackends();

const v4 = (ecn: number, vlans?: { vid: number }[]) => buildPacket({ eth: vlans ? { vlans } : {}, ipv4: { src: '10.0.0.1', dst: '10.0.0.2', dscp: 10, ecn }, udp: { sport: 1000, dport: 53 } });
const v6 = (trafficClass: number) => buildPacket({ ipv6: { src: 'fd00::1', dst: 'fd00::2', trafficClass }, udp: { sport: 1000, dport: 53 } });

/** The IPv4 TOS (or IPv6 traffic class) byte of a frame. */
function tosOf(frame: Uint8Array): number {
  const ip = parsePacket(frame).layers.find((l) => l.kind === 'ipv4' || l.kind === 'ipv6') as { kind: string; dscp?: number; ecn?: number; trafficClass?: number };
  return ip.kind === 'ipv4' ? (ip.dscp! << 2) | ip.ecn! : ip.trafficClass!;
}

const CASES = [
  { name: 'IPv4 Not-ECT', packet: v4(0), retval: 0, tos: (10 << 2) | 0 },
  { name: 'IPv4 ECT(1)', packet: v4(1), retval: 1, tos: (10 << 2) | 3 },
  { name: 'IPv4 ECT(0)', packet: v4(2), retval: 1, tos: (10 << 2) | 3 },
  { name: 'IPv4 already CE', packet: v4(3), retval: 1, tos: (10 << 2) | 3 },
  { name: 'IPv6 Not-ECT', packet: v6(0x28), retval: 0, tos: 0x28 },
  { name: 'IPv6 ECT(0)', packet: v6(0x2a), retval: 1, tos: 0x2b },
  { name: 'IPv6 already CE', packet: v6(0x2b), retval: 1, tos: 0x2b },
];

describe.each(backends)('bpf_skb_ecn_set_ce on $name', ({ runJson }) => {
  it.each(CASES)('marks $name as the kernel does', async ({ packet, retval, tos }) => {
    const r = await runJson(parseCase({ object: OBJECT, program: 'tc_ecn_set_ce', packet: toHex(packet) }, '/'));
    expect(r.retval).toBe(retval);
    expect(tosOf(Buffer.from(r.packet, 'hex'))).toBe(tos);
    expect(r.checksums.ip).not.toBe('bad');
    expect(r.checksums.l4).toBe('ok');
    if (retval === 0) expect(r.packet).toBe(toHex(packet));
  });

  it('leaves a non-IP frame alone', async () => {
    const packet = toHex(buildPacket({ eth: { type: 0x0806 } }).slice(0, 14)) + '00'.repeat(28);
    const r = await runJson(parseCase({ object: OBJECT, program: 'tc_ecn_set_ce', packet }, '/'));
    expect([r.retval, r.packet]).toEqual([0, packet]);
  });

  it('marks the bytes at the network header of a VLAN-tagged frame, which test_run leaves on the tag', async () => {
    // vlan_get_protocol looks past the tag, but ip_hdr() is still the tag: its TCI low byte
    // (VID 5) reads as an ECT(1) TOS byte and becomes CE, and the IPv4 id field takes the patch.
    const packet = toHex(v4(2, [{ vid: 5 }]));
    const r = await runJson(parseCase({ object: OBJECT, program: 'tc_ecn_set_ce', packet }, '/'));
    expect(r.retval).toBe(1);
    expect(r.packet).toBe(packet.slice(0, 30) + '07' + packet.slice(32, 48) + 'fffd' + packet.slice(52));
  });
});

describe('the helper table', () => {
  it('implements skb_ecn_set_ce', () => {
    expect(helperImplemented(helperByName('skb_ecn_set_ce')!.id)).toBe(true);
  });
});
