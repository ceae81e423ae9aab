/**
 * A synthetic capture for replay benchmarks and profiles: a mix of IPv4 TCP and UDP flows (one
 * source in 16 is the blacklist example's denied 10.0.0.66), IPv6 TCP flows and ARP, cycled
 * over `count` packets 10 µs apart, written as pcapng in 1 MiB writes.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { buildPacket, type PacketSpec } from '../src/packet/index.js';
import { encodeEnhancedPacket, encodeInterface, encodeSectionHeader } from '../src/pcap/index.js';

/** The frames cycled through: 256 of them, 60 to 86 bytes. */
export function syntheticFrames(): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 256; i++) {
    let spec: PacketSpec;
    if (i % 32 === 31) spec = { arp: { op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tha: '00:00:00:00:00:00', tpa: `10.0.0.${i & 0x7f}` } };
    else if (i % 8 === 7) spec = { ipv6: { src: `fd00::${(i % 64).toString(16)}`, dst: 'fd00::2' }, tcp: { sport: 1024 + i, dport: 443, flags: 'S' } };
    else {
      const src = i % 16 === 0 ? '10.0.0.66' : `10.0.${i >> 4}.${i & 15}`;
      spec = i % 3 === 0 ? { ipv4: { src, dst: '10.0.0.2' }, udp: { sport: 2000 + i, dport: 53 }, payload: 20 } : { ipv4: { src, dst: '10.0.0.2' }, tcp: { sport: 3000 + i, dport: 80, flags: 'S' } };
    }
    frames.push(buildPacket({ ...spec, padTo: 60 }));
  }
  return frames;
}

/** Writes `count` packets of {@link syntheticFrames} to a pcapng file at `path`. */
export function writeSyntheticCapture(path: string, count: number, t0 = 1_700_000_000_000_000_000n): void {
  const frames = syntheticFrames();
  const fd = openSync(path, 'w');
  try {
    const chunks: Uint8Array[] = [encodeSectionHeader(), encodeInterface({ name: 'eth0' })];
    let bytes = 0;
    const flush = () => {
      writeSync(fd, Buffer.concat(chunks));
      chunks.length = 0;
      bytes = 0;
    };
    for (let i = 0; i < count; i++) {
      const block = encodeEnhancedPacket({ data: frames[i % frames.length]!, timestampNs: t0 + BigInt(i) * 10_000n });
      chunks.push(block);
      bytes += block.length;
      if (bytes >= 1 << 20) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
}
