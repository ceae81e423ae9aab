import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { PcapngWriter, readCaptureAll } from '../../src/pcap/index.js';
import { ROOT, testObject } from '../kernel/require-kernel.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfsim-cli-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the bpfsim command from source. */
function bpfsim(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
}

/** The blacklist example without a packet (replay does not need one): 10.0.0.66 is denied. */
const CASE = join(dir, 'blacklist.json');
const DENIED = buildPacket({ ipv4: { src: '10.0.0.66', dst: '10.0.0.2' }, tcp: { sport: 1, dport: 80, flags: 'S' } });
const ALLOWED = buildPacket({ ipv4: { src: '10.0.0.7', dst: '10.0.0.2' }, tcp: { sport: 2, dport: 80, flags: 'S' } });
const ARP = buildPacket({ arp: { op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tha: '00:00:00:00:00:00', tpa: '10.0.0.2' } });
const INPUT = join(dir, 'in.pcapng');

beforeAll(async () => {
  writeFileSync(CASE, JSON.stringify({ object: join(ROOT, 'build/bpf/xdp_blacklist.o'), program: 'xdp_blacklist', ctx: { ingress_ifindex: 1 }, maps: { deny_v4: [{ key: '0a000042', value: '00000000' }] } }));
  const w = await PcapngWriter.open(INPUT);
  w.addInterface({ name: 'eth0' });
  for (const data of [ALLOWED, DENIED, ARP]) await w.writePacket({ data });
  await w.close();
});

describe('cli', () => {
  describe('replay', () => {
    it('prints the action counts as JSON and writes the packets that leave', async () => {
      const out = join(dir, 'out.pcapng');
      const r = bpfsim('replay', CASE, '--pcap', INPUT, '--out', out, '--json');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const json = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(json).toMatchObject({ packets: 3, actions: { XDP_PASS: 2, XDP_DROP: 1 } });
      expect(typeof json.packets_per_second).toBe('number');
      const written = await readCaptureAll(out);
      expect(written.map((p) => [toHex(p.data), p.comment])).toEqual([[toHex(ALLOWED), 'XDP_PASS'], [toHex(ARP), 'XDP_PASS']]);
    });

    it('prints a summary table on the interpreter too', () => {
      const r = bpfsim('replay', CASE, '--pcap', INPUT, '--engine', 'interp');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/XDP_PASS\s*│\s*2\s*│\s*66\.7%/);
      expect(r.stdout).toMatch(/XDP_DROP\s*│\s*1\s*│/);
      expect(r.stdout).toMatch(/^3 packets in /m);
    });

    it('exits 2 with one line on a truncated capture and creates no output file', () => {
      const cut = join(dir, 'cut.pcapng');
      const whole = readFileSync(INPUT);
      writeFileSync(cut, whole.subarray(0, whole.length - 7));
      const out = join(dir, 'cut-out.pcapng');
      const r = bpfsim('replay', CASE, '--pcap', cut, '--out', out);
      expect(r.status).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^bpfsim: /);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });

    it('exits 2 before the first packet on a program the verifier refuses, with no output file', async () => {
      const faultCase = join(dir, 'fault.json');
      writeFileSync(faultCase, JSON.stringify({ object: testObject('bad_oob'), program: 'bad_oob' }));
      const big = new Uint8Array(240);
      big.set(ALLOWED);
      const input = join(dir, 'fault.pcapng');
      const w = await PcapngWriter.open(input);
      w.addInterface({});
      for (const data of [big, ALLOWED]) await w.writePacket({ data });
      await w.close();
      const out = join(dir, 'fault-out.pcapng');
      const r = bpfsim('replay', faultCase, '--pcap', input, '--out', out);
      expect(r.status).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^bpfsim: .*program 'bad_oob': R1 offset is outside of the packet \(bad_oob\.c:19\)$/m);
      expect(existsSync(out)).toBe(false);
    });

    it.each([
      { name: 'a missing --pcap', have: [] as string[] },
      { name: 'an unknown engine', have: ['--pcap', 'x.pcap', '--engine', 'jit'] },
      { name: 'a missing capture', have: ['--pcap', '/nonexistent.pcap'] },
      { name: '--cpus 0', have: ['--pcap', INPUT, '--cpus', '0'], code: 'cli/bad-option' },
      { name: '--jobs abc', have: ['--pcap', INPUT, '--jobs', 'abc'], code: 'cli/bad-option' },
      { name: '--jobs with --out', have: ['--pcap', INPUT, '--jobs', '2', '--out', join(dir, 'jobs.pcapng')], code: 'cli/bad-option' },
      { name: 'a missing capture among several', have: ['--pcap', INPUT, '/nonexistent.pcap'], code: 'pcap/io' },
      { name: 'a missing capture among several, in jobs', have: ['--pcap', INPUT, '/nonexistent.pcap', '--jobs', '2'], code: 'pcap/io' },
    ])('exits 2 with one line on $name', ({ have, code }) => {
      const r = bpfsim('replay', CASE, ...have);
      expect(r.status).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/internal error/);
      if (code) {
        const j = bpfsim('replay', CASE, ...have, '--json');
        expect((JSON.parse(j.stdout) as { error: { code: string } }).error.code).toBe(code);
      }
    });

    it('prints tables of actions, egress, checksums and CPUs, and no progress bar when piped', () => {
      const r = bpfsim('replay', CASE, '--pcap', INPUT, INPUT, '--cpus', '2');
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/XDP_PASS\s*│\s*4\s*│\s*66\.7%/);
      expect(r.stdout).toMatch(/ingress\s*│\s*4\s*│\s*100\.0%/);
      expect(r.stdout).toMatch(/IPv4 header\s*│\s*2\s*│\s*0\s*│\s*2/);
      expect(r.stdout).toMatch(/cpu\s*│\s*packets/);
      expect(r.stdout).toMatch(/^6 packets in /m);
    });

    it('prints one JSON line per packet with its CPU, then the summary with each capture', () => {
      const r = bpfsim('replay', CASE, '--pcap', INPUT, INPUT, '--cpus', '4', '--json', '--per-packet');
      expect(r.status).toBe(0);
      const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(7);
      expect(lines.slice(0, 3).map((l) => l.action)).toEqual(['XDP_PASS', 'XDP_DROP', 'XDP_PASS']);
      expect(lines[2]).toMatchObject({ capture: 0, packet: 2, cpu: 0, egress: 'ingress' });
      // The same packets on the same CPUs in the second capture.
      expect(lines.slice(3, 6).map((l) => l.cpu)).toEqual(lines.slice(0, 3).map((l) => l.cpu));
      const summary = lines[6]!;
      expect(summary).toMatchObject({ packets: 6, actions: { XDP_PASS: 4, XDP_DROP: 2 } });
      expect(Object.values(summary.cpus as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(6);
      expect((summary.captures as unknown[]).length).toBe(2);
    });

    it('writes the CPU in each packet comment with --cpus', async () => {
      const out = join(dir, 'cpus-out.pcapng');
      const r = bpfsim('replay', CASE, '--pcap', INPUT, '--cpus', '4', '--out', out);
      expect(r.status).toBe(0);
      expect((await readCaptureAll(out)).map((p) => p.comment)).toEqual([expect.stringMatching(/^XDP_PASS cpu [0-3]$/), 'XDP_PASS cpu 0']);
    });
  });
});
