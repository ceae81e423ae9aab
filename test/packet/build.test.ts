import { describe, expect, it } from 'vitest';
import { buildLayers, buildPacket, type PacketSpec } from '../../src/packet/build.js';
import { checkChecksums } from '../../src/packet/checksum.js';
import { formatTcpFlags, parseTcpFlags } from '../../src/packet/layers.js';
import { parsePacket } from '../../src/packet/parse.js';
import { packetErrorOf } from '../support/errors.js';

describe('packet', () => {
  describe('build', () => {
    it('builds the frame of the friendly example with right lengths and checksums', () => {
      const f = buildPacket({
        eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' },
        ipv4: { src: '10.0.0.1', dst: '10.0.0.2', ttl: 64 },
        tcp: { sport: 1234, dport: 80, flags: 'S' },
        payload: 'hello',
      });
      expect(f).toHaveLength(14 + 20 + 20 + 5);
      expect(Buffer.from(f.subarray(0, 14)).toString('hex')).toBe('020000000002020000000001' + '0800');
      const p = parsePacket(f);
      expect(p.layers[1]).toMatchObject({ totalLength: 45, protocol: 6, ttl: 64 });
      expect(p.layers[2]).toMatchObject({ sport: 1234, dport: 80, flags: 0x02, dataOffset: 5 });
      expect(checkChecksums(f)).toEqual({ ip: 'ok', l4: 'ok' });
    });

    it.each([
      { name: 'VXLAN port and flags', have: { ipv4: {}, vxlan: { vni: 5 }, inner: {} }, want: { 2: { dport: 4789 }, 3: { flags: 0x08, vni: 5 } } },
      { name: 'Geneve port and protocol', have: { ipv6: {}, geneve: {}, inner: { ipv4: {} } }, want: { 2: { dport: 6081 }, 3: { protocol: 0x0800 } } },
      { name: 'GRE flags from fields', have: { ipv4: {}, gre: { key: 1, seq: 2 }, inner: { eth: {}, arp: {} } }, want: { 2: { flags: 0x3000, protocol: 0x6558, key: 1, seq: 2 } } },
      { name: 'one VLAN tag', have: { eth: { vlans: [{ vid: 7 }] }, ipv4: {} }, want: { 0: { type: 0x8100 }, 1: { vid: 7, type: 0x0800 } } },
      { name: 'QinQ TPIDs', have: { eth: { vlans: [{ vid: 1 }, { vid: 2 }] }, ipv6: {} }, want: { 0: { type: 0x88a8 }, 1: { type: 0x8100 }, 2: { type: 0x86dd } } },
      { name: 'IPv6 extension chain', have: { ipv6: { ext: [{ kind: 'ipv6-frag' }] }, udp: {} }, want: { 1: { nextHeader: 44, payloadLength: 16 }, 2: { nextHeader: 17 } } },
      { name: 'IPv4 options pad to a word', have: { ipv4: { options: [{ type: 1, data: new Uint8Array() }] } }, want: { 1: { ihl: 6, totalLength: 24 } } },
      { name: 'UDP length', have: { ipv4: {}, udp: {}, payload: 3 }, want: { 2: { len: 11 } } },
      { name: 'ICMPv6 echo request', have: { ipv6: {}, icmpv6: { id: 3 } }, want: { 1: { nextHeader: 58 }, 2: { type: 128, id: 3 } } },
    ] as { name: string; have: PacketSpec; want: Record<number, object> }[])('fills in defaults ($name)', ({ have, want }) => {
      const p = parsePacket(buildPacket(have));
      for (const [i, fields] of Object.entries(want)) expect(p.layers[Number(i)]).toMatchObject(fields);
      expect(checkChecksums(buildPacket(have)).l4).not.toBe('bad');
    });

    it('keeps a given checksum even when it is wrong', () => {
      const f = buildPacket({ ipv4: { check: 0x1234 }, tcp: { check: 0xabcd } });
      expect(parsePacket(f).layers[1]).toMatchObject({ check: 0x1234 });
      expect(parsePacket(f).layers[2]).toMatchObject({ check: 0xabcd });
      expect(checkChecksums(f)).toEqual({ ip: 'bad', l4: 'bad' });
    });

    it('takes the payload as bytes, text or a length', () => {
      expect(buildPacket({ ipv4: {}, udp: {}, payload: Uint8Array.of(1, 2) })).toHaveLength(44);
      expect(buildPacket({ ipv4: {}, udp: {}, payload: 'héllo' })).toHaveLength(42 + 6);
      expect(buildPacket({ ipv4: {}, udp: {}, payload: 10 })).toHaveLength(52);
    });

    it('pads to a minimum frame length outside the IP datagram', () => {
      const f = buildPacket({ ipv4: {}, udp: {}, padTo: 60 });
      expect(f).toHaveLength(60);
      expect(parsePacket(f).trailer).toHaveLength(60 - 42);
      expect(checkChecksums(f)).toEqual({ ip: 'ok', l4: 'ok' });
    });

    it('builds from a list of layers', () => {
      const f = buildLayers([{ kind: 'eth' }, { kind: 'ipv4', ttl: 1 }, { kind: 'udp', dport: 53 }], Uint8Array.of(0));
      expect(parsePacket(f).layers.map((l) => l.kind)).toEqual(['eth', 'ipv4', 'udp']);
      expect(checkChecksums(f)).toEqual({ ip: 'ok', l4: 'ok' });
    });

    it('formats and parses TCP flags', () => {
      expect(formatTcpFlags(0x12)).toBe('SA');
      expect(formatTcpFlags(0x18)).toBe('PA');
      expect(formatTcpFlags(0)).toBe('none');
      expect(parseTcpFlags('S.')).toBe(0x12);
      expect(parseTcpFlags('x')).toBeUndefined();
    });

    it.each([
      { name: 'VID over 12 bits', have: { eth: { vlans: [{ vid: 5000 }] } }, want: { code: 'packet/bad-spec', path: 'vlan/vid' } },
      { name: 'TTL over 8 bits', have: { ipv4: { ttl: 256 } }, want: { code: 'packet/bad-spec', path: 'ipv4/ttl' } },
      { name: 'bad flag letter', have: { ipv4: {}, tcp: { flags: 'SX' } }, want: { code: 'packet/bad-spec', path: 'tcp/flags' } },
      { name: 'IHL too small for the options', have: { ipv4: { ihl: 5, options: [{ type: 1, data: new Uint8Array() }] } }, want: { code: 'packet/bad-spec', path: 'ipv4/ihl' } },
      { name: 'two network headers', have: { ipv4: {}, ipv6: {} }, want: { code: 'packet/bad-spec', path: '' } },
      { name: 'two transports', have: { ipv4: {}, tcp: {}, udp: {} }, want: { code: 'packet/bad-spec', path: '' } },
      { name: 'Geneve option of 3 bytes', have: { ipv4: {}, geneve: { options: [{ class: 1, type: 1, flags: 0, data: new Uint8Array(3) }] } }, want: { code: 'packet/bad-spec', path: 'geneve/options/0/data' } },
      { name: 'bad MAC', have: { eth: { src: 'nope' } }, want: { code: 'packet/bad-address', path: 'eth/src' } },
      { name: 'bad inner address', have: { ipv4: {}, vxlan: {}, inner: { ipv4: { dst: '1.2.3' } } }, want: { code: 'packet/bad-address', path: 'ipv4[1]/dst' } },
      { name: 'payload beside inner', have: { ipv4: {}, inner: { ipv4: {} }, payload: 1 }, want: { code: 'packet/bad-spec', path: 'payload' } },
    ] as { name: string; have: PacketSpec; want: object }[])('rejects a spec it cannot encode ($name)', ({ have, want }) => {
      expect(packetErrorOf(() => buildPacket(have))).toEqual(want);
    });
  });
});

describe('packet: buildPacket without a network header', () => {
  it('puts IPv4 under a transport header that has no network header (IPv6 under ICMPv6)', () => {
    expect(parsePacket(buildPacket({ tcp: {} })).layers.map((l) => l.kind)).toEqual(['eth', 'ipv4', 'tcp']);
    expect(parsePacket(buildPacket({ udp: {} })).layers.map((l) => l.kind)).toEqual(['eth', 'ipv4', 'udp']);
    expect(parsePacket(buildPacket({ icmpv6: {} })).layers.map((l) => l.kind)).toEqual(['eth', 'ipv6', 'icmpv6']);
  });

  it.each([
    { name: 'TCP over ARP', have: { arp: {}, tcp: {} }, path: 'tcp' },
    { name: 'ICMPv6 over IPv4', have: { ipv4: {}, icmpv6: {} }, path: 'icmpv6' },
    { name: 'ICMP over IPv6', have: { ipv6: {}, icmp: {} }, path: 'icmp' },
    { name: 'an unknown header', have: { tpc: {} }, path: 'tpc' },
    { name: 'null', have: null, path: '/' },
  ])('refuses $name with packet/bad-spec at $path', ({ have, path }) => {
    expect(packetErrorOf(() => buildPacket(have as never))).toEqual({ code: 'packet/bad-spec', path });
  });
});
