import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePacket } from '../../src/packet/describe.js';
import { PcapngWriter } from '../../src/pcap/pcapng-writer.js';
import { arbEthernetFrame } from '../../src/testing/arbitraries.js';

// tshark is a declared dependency (scripts/setup.sh installs it): Wireshark is the independent check.
function tshark(path: string, ...args: string[]): string[][] {
  const out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-E', 'separator=|', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out
    .trimEnd()
    .split('\n')
    .map((l) => l.split('|'));
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bpfsim-tshark-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pcap', () => {
  describe('pcapng as Wireshark reads it', () => {
    it('shows each packet’s comment and interface name', async () => {
      const path = join(dir, 'ifaces.pcapng');
      const w = await PcapngWriter.open(path);
      const eth1 = w.addInterface({ name: 'eth1' });
      await w.writePacket({ data: new Uint8Array(60), interfaceIndex: eth1, comment: 'XDP_PASS', timestampNs: 1_700_000_000_123_456_789n });
      const eth2 = w.addInterface({ name: 'eth2', tsresol: 6 });
      await w.writePacket({ data: new Uint8Array(60), interfaceIndex: eth2, comment: 'XDP_REDIRECT → eth2' });
      await w.writePacket({ data: new Uint8Array(60), interfaceIndex: eth1 });
      await w.close();
      expect(tshark(path, '-e', 'frame.comment', '-e', 'frame.interface_name', '-e', 'frame.time_epoch')).toEqual([
        ['XDP_PASS', 'eth1', '1700000000.123456789'],
        ['XDP_REDIRECT → eth2', 'eth2', '0.000000000'],
        ['', 'eth1', '0.000000000'],
      ]);
    });

    it('finds every checksum of generated frames good', async () => {
      const frames = fc.sample(arbEthernetFrame({ depth: 1 }), { numRuns: 150, seed: 42 });
      const path = join(dir, 'checksums.pcapng');
      const w = await PcapngWriter.open(path);
      w.addInterface({});
      for (const data of frames) await w.writePacket({ data });
      await w.close();
      const fields = ['ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'icmp.checksum.status', 'icmpv6.checksum.status'];
      const rows = tshark(path, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', ...fields.flatMap((f) => ['-e', f]));
      expect(rows).toHaveLength(frames.length);
      // Status 0 is "bad" in Wireshark (1 good, 2 unverified); several values are comma-separated for tunnels.
      const bad = rows.flatMap((r, i) => (r.some((v) => v.split(',').includes('0')) ? [`${i}: ${describePacket(frames[i]!)} ${r.join('|')}`] : []));
      expect(bad).toEqual([]);
      expect(rows.filter((r) => r.some((v) => v.split(',').includes('1'))).length).toBeGreaterThan(frames.length / 2);
    });
  });
});
