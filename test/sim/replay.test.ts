import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaseError, PcapError, VmFault } from '../../src/internal/errors.js';
import { toHex } from '../../src/internal/hex.js';
import { dumpMap } from '../../src/maps/index.js';
import { buildPacket, type PacketSpec } from '../../src/packet/index.js';
import { PcapngWriter, PcapWriter, readCaptureAll, type CaptureRecord } from '../../src/pcap/index.js';
import { parseCase, readCase } from '../../src/sim/case.js';
import { egressOf, replayCapture } from '../../src/sim/replay.js';
import { DEFAULT_CLOCK_NS } from '../../src/sim/object.js';
import { runCaseOnVm } from '../../src/sim/run-case.js';
import { BPF_PROG_TYPE } from '../../src/uapi/index.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { ROOT, testObject } from '../kernel/require-kernel.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfsim-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const XDP = BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
const TC = BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS;
const T0 = 1_700_000_000_000_000_000n;

/** The tc_stateful example with port 22 open and an empty flow table. */
const stateful = parseCase({ object: join(ROOT, 'build/bpf/tc_stateful.o'), program: 'tc_stateful', maps: { open_ports: [{ key: '16000000', value: '01' }] } }, '/', 'inline', true);
const client = { src: '10.1.0.5', dst: '10.2.0.9' };
const server = { src: '10.2.0.9', dst: '10.1.0.5' };
const STATEFUL_PACKETS: PacketSpec[] = [
  // A reply before any connection: no flow, port 33000 closed: shot.
  { ipv4: server, tcp: { sport: 22, dport: 33000, flags: 'SA' } },
  // The connection opens towards port 22 and creates the flow...
  { ipv4: client, tcp: { sport: 33000, dport: 22, flags: 'S' } },
  // ...so the same reply now passes: map state carried over from the packet before.
  { ipv4: server, tcp: { sport: 22, dport: 33000, flags: 'SA' } },
  { arp: { op: 1, sha: '02:00:00:00:00:01', spa: '10.1.0.5', tha: '00:00:00:00:00:00', tpa: '10.1.0.1' } },
];
const records = (specs: PacketSpec[]): CaptureRecord[] => specs.map((s, i) => ({ data: buildPacket(s), timestampNs: T0 + BigInt(i) * 1_000_000n }));

async function writePcapng(name: string, recs: CaptureRecord[]): Promise<string> {
  const path = join(dir, name);
  const w = await PcapngWriter.open(path);
  w.addInterface({ name: 'veth0' });
  for (const r of recs) await w.writePacket(r);
  await w.close();
  return path;
}

async function writePcap(name: string, recs: CaptureRecord[]): Promise<string> {
  const path = join(dir, name);
  const w = await PcapWriter.open(path);
  for (const r of recs) await w.writePacket(r);
  await w.close();
  return path;
}

/** The `if_name` of every interface description block of a little-endian pcapng file, in order. */
function interfaceNames(path: string): string[] {
  const b = readFileSync(path);
  const names: string[] = [];
  for (let off = 0; off < b.length; off += b.readUInt32LE(off + 4)) {
    if (b.readUInt32LE(off) !== 1) continue;
    const end = off + b.readUInt32LE(off + 4) - 4;
    for (let o = off + 16; o + 4 <= end; ) {
      const code = b.readUInt16LE(o);
      const len = b.readUInt16LE(o + 2);
      if (code === 0) break;
      if (code === 2) names.push(b.toString('utf8', o + 4, o + 4 + len));
      o += 4 + ((len + 3) & ~3);
    }
  }
  return names;
}

const leftovers = () => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('sim', () => {
  describe('egressOf', () => {
    const redirect = (ifindex: number, flags = 0) => ({ ifindex, flags });
    it.each([
      { name: 'XDP_PASS', have: { type: XDP, retval: 2, redirect: null }, want: { iface: 'ingress', comment: 'XDP_PASS' } },
      { name: 'XDP_TX', have: { type: XDP, retval: 3, redirect: null }, want: { iface: 'tx', comment: 'XDP_TX' } },
      { name: 'XDP_REDIRECT', have: { type: XDP, retval: 4, redirect: redirect(3) }, want: { iface: 'redirect:3', comment: 'XDP_REDIRECT ifindex 3' } },
      { name: 'XDP_REDIRECT to no device', have: { type: XDP, retval: 4, redirect: redirect(9) }, want: null },
      { name: 'XDP_REDIRECT without a target', have: { type: XDP, retval: 4, redirect: null }, want: null },
      { name: 'XDP_DROP', have: { type: XDP, retval: 1, redirect: null }, want: null },
      { name: 'XDP_ABORTED', have: { type: XDP, retval: 0, redirect: null }, want: null },
      { name: 'an unknown XDP action', have: { type: XDP, retval: 9, redirect: null }, want: null },
      { name: 'TC_ACT_OK', have: { type: TC, retval: 0, redirect: null }, want: { iface: 'ingress', comment: 'TC_ACT_OK' } },
      { name: 'TC_ACT_UNSPEC', have: { type: TC, retval: 0xffffffff, redirect: null }, want: { iface: 'ingress', comment: 'TC_ACT_UNSPEC' } },
      { name: 'TC_ACT_PIPE', have: { type: TC, retval: 3, redirect: null }, want: { iface: 'ingress', comment: 'TC_ACT_PIPE' } },
      { name: 'TC_ACT_SHOT', have: { type: TC, retval: 2, redirect: null }, want: null },
      { name: 'TC_ACT_STOLEN', have: { type: TC, retval: 4, redirect: null }, want: null },
      { name: 'TC_ACT_REDIRECT', have: { type: TC, retval: 7, redirect: redirect(3) }, want: { iface: 'redirect:3', comment: 'TC_ACT_REDIRECT ifindex 3' } },
      { name: 'TC_ACT_REDIRECT to ingress', have: { type: TC, retval: 7, redirect: redirect(3, 1) }, want: { iface: 'redirect:3:ingress', comment: 'TC_ACT_REDIRECT ifindex 3 ingress' } },
    ])('sends $name where the kernel does', ({ have, want }) => {
      const names: Record<number, Record<number, string>> = {
        [XDP]: { 0: 'XDP_ABORTED', 1: 'XDP_DROP', 2: 'XDP_PASS', 3: 'XDP_TX', 4: 'XDP_REDIRECT', 9: 'unknown(9)' },
        [TC]: { 0: 'TC_ACT_OK', 2: 'TC_ACT_SHOT', 3: 'TC_ACT_PIPE', 4: 'TC_ACT_STOLEN', 7: 'TC_ACT_REDIRECT', 0xffffffff: 'TC_ACT_UNSPEC' },
      };
      const out = { retval: have.retval, action: names[have.type]![have.retval]!, redirect: have.redirect };
      expect(egressOf(have.type, out, (ifindex) => ifindex === 3)).toEqual(want);
    });
  });

  describe.each(ENGINE_NAMES)('replay on %s', (engine) => {
    it('runs every packet in order on one machine and writes those that leave', async () => {
      const input = await writePcapng(`stateful-${engine}.pcapng`, records(STATEFUL_PACKETS));
      const out = join(dir, `stateful-${engine}-out.pcapng`);
      const stats = await replayCapture(stateful, input, { engine, out });
      expect(stats.packets).toBe(4);
      expect(stats.actions).toEqual({ TC_ACT_SHOT: 1, TC_ACT_OK: 3 });
      expect(stats.egress).toEqual({ ingress: 3 });
      expect(stats.packetsPerSecond).toBeGreaterThan(0);
      const written = await readCaptureAll(out);
      expect(written.map((p) => p.comment)).toEqual(['TC_ACT_OK', 'TC_ACT_OK', 'TC_ACT_OK']);
      expect(written.map((p) => toHex(p.data))).toEqual(STATEFUL_PACKETS.slice(1).map((s) => toHex(buildPacket(s))));
      expect(written.map((p) => p.timestampNs)).toEqual([T0 + 1_000_000n, T0 + 2_000_000n, T0 + 3_000_000n]);
      expect(interfaceNames(out)).toEqual(['ingress']);
    });

    it('reads a pcap capture as it reads pcapng', async () => {
      const input = await writePcap(`stateful-${engine}.pcap`, records(STATEFUL_PACKETS));
      const stats = await replayCapture(stateful, input, { engine });
      expect(stats.actions).toEqual({ TC_ACT_SHOT: 1, TC_ACT_OK: 3 });
    });

    it('writes one interface per egress, with the rewritten packet and its action', async () => {
      const lb = await readCase(join(ROOT, 'fixtures/cases/xdp_lb_redirect.json'), true);
      const notVip = await readCase(join(ROOT, 'fixtures/cases/xdp_lb_not_vip.json'));
      const input = await writePcapng(`lb-${engine}.pcapng`, [{ data: lb.packet }, { data: notVip.packet }, { data: lb.packet }]);
      const out = join(dir, `lb-${engine}-out.pcapng`);
      const stats = await replayCapture(lb, input, { engine, out });
      expect(stats.actions).toEqual({ XDP_REDIRECT: 2, XDP_PASS: 1 });
      const written = await readCaptureAll(out);
      expect(written.map((p) => p.comment)).toEqual(['XDP_REDIRECT ifindex 3', 'XDP_PASS', 'XDP_REDIRECT ifindex 3']);
      expect(interfaceNames(out)).toEqual(['redirect:3', 'ingress']);
      expect(written.map((p) => p.interfaceIndex)).toEqual([0, 1, 0]);
      const single = await runCaseOnVm(lb, { engine });
      expect(toHex(written[0]!.data)).toBe(toHex(single.packet));
      expect(toHex(written[1]!.data)).toBe(toHex(notVip.packet));
    });

    it('fails on a truncated capture and leaves no output file', async () => {
      const whole = readFileSync(await writePcapng(`trunc-${engine}.pcapng`, records(STATEFUL_PACKETS)));
      const input = join(dir, `trunc-${engine}-cut.pcapng`);
      writeFileSync(input, whole.subarray(0, whole.length - 10));
      const out = join(dir, `trunc-${engine}-out.pcapng`);
      const err = await replayCapture(stateful, input, { engine, out }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PcapError);
      expect((err as PcapError).code).toBe('pcap/truncated');
      expect(existsSync(out)).toBe(false);
      expect(leftovers()).toEqual([]);
    });

    it('names the packet a fault happened on and leaves no output file (a program the verifier refuses, with verify: false)', async () => {
      const fault = parseCase({ object: testObject('bad_oob'), program: 'bad_oob' }, '/', 'inline', true);
      // data[200] is inside the first frame (it reads 2: XDP_PASS), past the end of the second.
      const big = new Uint8Array(240);
      big.set(buildPacket({ ipv4: {}, udp: {} }));
      big[200] = 2;
      const input = await writePcapng(`fault-${engine}.pcapng`, [{ data: big }, { data: buildPacket({ ipv4: {}, udp: {} }) }, { data: big }]);
      const out = join(dir, `fault-${engine}-out.pcapng`);
      const err = await replayCapture(fault, input, { engine, out, verify: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VmFault);
      expect((err as VmFault).code).toBe('vm/out-of-bounds');
      expect((err as VmFault).message).toMatch(/^packet 1 \(frame 2\): /);
      expect(existsSync(out)).toBe(false);
      expect(leftovers()).toEqual([]);
    });

    it('writes a frame larger than the linear XDP buffer whole, fragments included', async () => {
      const notVip = await readCase(join(ROOT, 'fixtures/cases/xdp_lb_not_vip.json'));
      const big = buildPacket({ ipv4: { src: '10.9.0.1', dst: '10.9.0.2' }, udp: { sport: 5000, dport: 5001 }, payload: 6000 });
      const input = await writePcapng(`frags-${engine}.pcapng`, [{ data: big }]);
      const out = join(dir, `frags-${engine}-out.pcapng`);
      const stats = await replayCapture(notVip, input, { engine, out });
      expect(stats.actions).toEqual({ XDP_PASS: 1 });
      const written = await readCaptureAll(out);
      expect(written.map((p) => p.data.length)).toEqual([big.length]);
      expect(toHex(written[0]!.data)).toBe(toHex(big));
    });

    it('refuses a frame the kernel would refuse, naming it', async () => {
      const input = await writePcapng(`runt-${engine}.pcapng`, [...records(STATEFUL_PACKETS.slice(0, 1)), { data: new Uint8Array(10) }]);
      const err = await replayCapture(stateful, input, { engine }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CaseError);
      expect((err as CaseError).code).toBe('case/bad-packet');
    });
  });

  it('moves the simulated clock with the capture timestamps', async () => {
    // Two packets 1.999 s apart: the flow's last_seen (bpf_ktime_get_ns) moves by as much.
    const recs = [{ data: buildPacket(STATEFUL_PACKETS[1]!), timestampNs: T0 + 1_000_000n }, { data: buildPacket(STATEFUL_PACKETS[2]!), timestampNs: T0 + 2_000_000_000n }];
    const stats = await replayCapture(stateful, await writePcapng('clock.pcapng', recs));
    expect(stats.actions).toEqual({ TC_ACT_OK: 2 });
    const start = DEFAULT_CLOCK_NS;
    const lastSeen = dumpMap(stats.object.maps[stats.object.mapNames.indexOf('flows')]!).map((e) => new DataView(e.values[0]!.buffer, e.values[0]!.byteOffset).getBigUint64(0, true));
    expect(lastSeen.sort()).toEqual([start, start + 1_999_000_000n]);
  });
});
