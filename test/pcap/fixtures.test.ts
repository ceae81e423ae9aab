import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readCaptureAll } from '../../src/pcap/read-capture.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/pcap/${name}`, import.meta.url));

const FRAMES = [
  '02000000000202000000000108004500002800000000400666ce0a0000010a00000204d2005000000000000000005002ffff96be0000',
  '02000000000202000000000186dd60000000000d1140fd000000000000000000000000000001fd00000000000000000000000000000214e90035000da0c97175657279',
  '020000000002020000000001080600010800060400010200000000010a0000010000000000000a000002000000000000000000000000000000000000',
];

describe('pcap', () => {
  describe('fixtures written by Wireshark tools', () => {
    it.each([
      { name: 'text2pcap.pcapng', want: { comments: ['first packet', undefined, 'arp, padded'] } },
      { name: 'text2pcap-nsec.pcap', want: { comments: [undefined, undefined, undefined] } },
      { name: 'text2pcap-usec.pcap', want: { comments: [undefined, undefined, undefined] } },
    ])('reads $name', async ({ name, want }) => {
      const packets = await readCaptureAll(fixture(name));
      expect(packets.map((p) => Buffer.from(p.data).toString('hex'))).toEqual(FRAMES);
      expect(packets.map((p) => p.timestampNs)).toEqual([1700000000n, 1700000001n, 1700000002n].map((s) => s * 1_000_000_000n));
      expect(packets.map((p) => p.comment)).toEqual(want.comments);
      expect(packets.every((p) => p.linkType === 1 && p.interfaceIndex === 0 && p.originalLength === p.data.length)).toBe(true);
    });
  });
});
