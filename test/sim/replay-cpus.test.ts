import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPacket } from '../../src/packet/index.js';
import { PcapngWriter } from '../../src/pcap/index.js';
import { parseCase } from '../../src/sim/case.js';
import { replayCapture, replayCaptures, type PacketVerdict } from '../../src/sim/replay.js';
import { replayInWorkers } from '../../src/sim/replay-jobs.js';
import { ROOT } from '../kernel/require-kernel.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfsim-replay-cpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const blacklist = parseCase({ object: join(ROOT, 'build/bpf/xdp_blacklist.o'), program: 'xdp_blacklist', ctx: { ingress_ifindex: 1 }, maps: { deny_v4: [{ key: '0a000042', value: '00000000' }] } }, '/', 'inline', true);

/** 64 UDP flows, each sent 3 times, flow by flow interleaved; every 8th from the denied source. */
async function flowsCapture(name: string, flows = 64): Promise<string> {
  const path = join(dir, name);
  const w = await PcapngWriter.open(path);
  w.addInterface({});
  for (let round = 0; round < 3; round++) {
    for (let f = 0; f < flows; f++) {
      const src = f % 8 === 0 ? '10.0.0.66' : `10.0.1.${f}`;
      await w.writePacket({ data: buildPacket({ ipv4: { src, dst: '10.0.0.2' }, udp: { sport: 4000 + f, dport: 53 } }), timestampNs: BigInt(round * flows + f) * 1000n });
    }
  }
  await w.close();
  return path;
}

describe('sim', () => {
  describe('replay --cpus', () => {
    it('steers each flow to one CPU, the same on every replay, spread over all of them', async () => {
      const input = await flowsCapture('flows.pcapng');
      const runs: PacketVerdict[][] = [];
      for (let i = 0; i < 2; i++) {
        const verdicts: PacketVerdict[] = [];
        await replayCapture(blacklist, input, { cpus: 4, onPacket: (v) => verdicts.push(v) });
        runs.push(verdicts);
      }
      expect(runs[0]!.map((v) => v.cpu)).toEqual(runs[1]!.map((v) => v.cpu));
      const cpus = runs[0]!.map((v) => v.cpu);
      for (let f = 0; f < 64; f++) expect(new Set([cpus[f], cpus[64 + f], cpus[128 + f]]).size).toBe(1);
      expect(new Set(cpus).size).toBe(4);
    });

    it('shows the spreading in the per-CPU verdict counters and in the stats', async () => {
      const input = await flowsCapture('flows-map.pcapng');
      const stats = await replayCapture(blacklist, input, { cpus: 4 });
      const perCpu = stats.object.map('verdicts').get(0) as bigint[];
      expect(perCpu).toHaveLength(4);
      const passed = Object.fromEntries(perCpu.map((n, cpu) => [String(cpu), Number(n)]));
      const dropped = (stats.object.map('verdicts').get(1) as bigint[]).map(Number);
      const counted = Object.fromEntries(Object.entries(passed).map(([cpu, n]) => [cpu, n + dropped[Number(cpu)]!]));
      expect(counted).toEqual(stats.cpus);
      expect(Object.values(stats.cpus!).filter((n) => n > 0)).toHaveLength(4);
    });

    it('keeps every packet on CPU 0 without it', async () => {
      const stats = await replayCapture(blacklist, await flowsCapture('flows-default.pcapng'));
      expect(stats.cpus).toBeUndefined();
      expect((stats.object.map('verdicts').get(0) as bigint[]).slice(1).every((n) => n === 0n)).toBe(true);
    });
  });

  describe('several captures', () => {
    it('carries map state from one capture to the next on one machine', async () => {
      const a = await flowsCapture('a.pcapng', 8);
      const stats = await replayCaptures(blacklist, [a, a]);
      expect(stats.captures.map((s) => s.packets)).toEqual([24, 24]);
      expect(stats.packets).toBe(48);
      // The denied source's hit counter counts over both captures.
      expect(stats.object.map('deny_v4').get(Uint8Array.of(10, 0, 0, 66))).toEqual(6);
    });

    it('gives in worker threads the counts of separate replays of each capture', async () => {
      const a = await flowsCapture('ja.pcapng', 16);
      const b = await flowsCapture('jb.pcapng', 40);
      const jobs = await replayInWorkers(blacklist, [a, b], { cpus: 2 }, 2);
      for (const [i, path] of [a, b].entries()) {
        const alone = await replayCapture(blacklist, path, { cpus: 2 });
        expect(jobs.captures[i]).toMatchObject({ packets: alone.packets, actions: alone.actions, egress: alone.egress, cpus: alone.cpus, checksums: alone.checksums });
      }
      expect(jobs.packets).toBe(3 * 56);
    });

    it('names the missing capture among several with a typed error', async () => {
      const a = await flowsCapture('m.pcapng', 4);
      await expect(replayCaptures(blacklist, [a, join(dir, 'missing.pcapng')])).rejects.toMatchObject({ code: 'pcap/io' });
      await expect(replayInWorkers(blacklist, [a, join(dir, 'missing.pcapng')], {}, 2)).rejects.toMatchObject({ code: 'pcap/io' });
    });
  });
});
