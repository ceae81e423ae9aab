import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimError } from '../../src/internal/errors.js';
import { toHex } from '../../src/internal/hex.js';
import { dumpMap } from '../../src/maps/index.js';
import { checkChecksums } from '../../src/packet/checksum.js';
import { buildPacket } from '../../src/packet/index.js';
import { PcapngWriter, readCaptureAll } from '../../src/pcap/index.js';
import { parseCase, readCase, type Case } from '../../src/sim/case.js';
import { BpfObject, resolveProgType } from '../../src/sim/object.js';
import { egressOf, replayCapture, type PacketVerdict } from '../../src/sim/replay.js';
import { objectForCase } from '../../src/sim/run-case.js';
import { BPF_F_INGRESS } from '../../src/uapi/index.js';
import { ENGINE_NAMES, type EngineName } from '../../src/vm/engines.js';
import { ROOT, testObject } from '../kernel/require-kernel.js';

/**
 * The replay loop (PacketRunner, the reused XDP frame layout, counters by number, output written
 * from VM memory) against Program.run on a fresh object, packet by packet: the same verdicts,
 * egress, written packets and comments, checksum counts, and map contents at the end.
 */

const dir = mkdtempSync(join(tmpdir(), 'bpfsim-replay-fast-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000_000_000n;

/**
 * Frames of every shape the examples tell apart, some with bad checksums, one past the linear XDP
 * buffer (fragments) when `big`; with `many`, thousands of full-size frames after them, more than
 * one batch's staging and output areas hold.
 */
function frames(own: Uint8Array, big: boolean, many = 0): Uint8Array[] {
  const list: Uint8Array[] = [own];
  for (let i = 0; i < 24; i++) {
    const src = i % 4 === 0 ? '10.0.0.66' : `10.0.${i}.7`;
    if (i % 6 === 5) list.push(buildPacket({ ipv6: { src: `fd00::${i}`, dst: 'fd00::66' }, tcp: { sport: 1000 + i, dport: i % 2 ? 22 : 443, flags: 'S' }, padTo: 60 }));
    else if (i % 6 === 4) list.push(buildPacket({ arp: { op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tha: '00:00:00:00:00:00', tpa: `10.0.0.${i}` }, padTo: 60 }));
    else if (i % 3 === 0) list.push(buildPacket({ ipv4: { src, dst: '10.0.0.100' }, udp: { sport: 2000 + i, dport: i % 2 ? 4789 : 53 }, payload: 8 + i }));
    else list.push(buildPacket({ ipv4: { src, dst: '10.0.0.100' }, tcp: { sport: 3000 + i, dport: i % 2 ? 22 : 80, flags: i % 5 ? 'S' : 'SA' }, payload: i }));
    if (i === 7) {
      const bad = list[list.length - 1]!.slice();
      bad[bad.length - 1]! ^= 0x5a;
      list.push(bad);
    }
    if (i % 8 === 3) list.push(own);
    if (big && i % 10 === 9) list.push(buildPacket({ ipv4: { src: '10.9.0.1', dst: '10.9.0.2' }, udp: { sport: 5000, dport: 5001 }, payload: 5000 }));
  }
  for (let i = 0; i < many; i++) list.push(buildPacket({ ipv4: { src: i % 7 === 0 ? '10.0.0.66' : `10.1.${i >> 8}.${i & 255}`, dst: '10.0.0.100' }, udp: { sport: 1024 + (i % 60000), dport: 53 }, payload: 1400 + (i % 50) }));
  return list;
}

async function writeCapture(name: string, data: Uint8Array[]): Promise<{ path: string; times: bigint[] }> {
  const path = join(dir, name);
  const w = await PcapngWriter.open(path);
  w.addInterface({ name: 'veth0' });
  // 1 ms apart, once 3 ms back: the clock never goes back.
  const times = data.map((_, i) => T0 + BigInt(i === 5 ? 1 : i) * 1_000_000n);
  for (let i = 0; i < data.length; i++) await w.writePacket({ data: data[i]!, timestampNs: times[i]! });
  await w.close();
  return { path, times };
}

interface Written {
  iface: string;
  comment: string;
  hex: string;
}

interface Expected {
  verdicts: Omit<PacketVerdict, 'capture'>[];
  written: Written[];
  checksums: { ip: Record<string, number>; l4: Record<string, number> };
  maps: string[];
  /** The message of the first packet's fault, with the replay's context, and its code. */
  fault?: { code: string; message: string };
}

const dumpMaps = (obj: BpfObject): string[] => obj.maps.map((m, i) => `${obj.mapNames[i]}: ${dumpMap(m).map((e) => `${toHex(e.key)}=${e.values.map(toHex).join('/')}`).join(' ')}`);

/** Program.run on every frame in order, on a fresh object, with the clock as replay moves it. */
async function reference(c: Case, data: Uint8Array[], times: bigint[], engine: EngineName, verify?: boolean): Promise<Expected> {
  const spec = await BpfObject.readSpec(c.objectPath, c.type, c.kernelBtfPath, c.kconfig);
  const obj = objectForCase(c, spec, { engine, keyWarnings: false, verify });
  const program = obj.program(c.program);
  const progType = resolveProgType(program.spec, c.type);
  const start = obj.kernel.clockNs;
  const exists = (ifindex: number) => obj.kernel.network.interface(ifindex) !== undefined;
  const want: Expected = { verdicts: [], written: [], checksums: { ip: { ok: 0, bad: 0, none: 0 }, l4: { ok: 0, bad: 0, none: 0 } }, maps: [] };
  const count = (packet: Uint8Array) => {
    const r = checkChecksums(packet);
    want.checksums.ip[r.ip ?? 'none']!++;
    want.checksums.l4[r.l4 ?? 'none']!++;
  };
  let furthest = -1n;
  for (let i = 0; i < data.length; i++) {
    const delta = times[i]! - times[0]!;
    if (delta > furthest) {
      furthest = delta;
      if (start + delta > obj.kernel.clockNs) obj.kernel.clockNs = start + delta;
    }
    let r;
    try {
      r = program.run(data[i]!, { ctx: c.ctx ?? {}, cpu: 0 });
    } catch (err) {
      if (!(err instanceof SimError)) throw err;
      want.fault = { code: err.code, message: `packet ${i} (frame ${i + 1}): ${err.message}` };
      return want;
    }
    const egress = egressOf(progType, r, exists);
    for (const clone of r.clones) {
      const ingress = (clone.flags & BPF_F_INGRESS) !== 0;
      want.written.push({ iface: `redirect:${clone.ifindex}${ingress ? ':ingress' : ''}`, comment: `bpf_clone_redirect ifindex ${clone.ifindex}${ingress ? ' ingress' : ''}`, hex: toHex(clone.packet) });
      count(clone.packet);
    }
    if (egress) {
      want.written.push({ iface: egress.iface, comment: egress.comment, hex: toHex(r.packet) });
      count(r.packet);
    }
    want.verdicts.push({ index: i, retval: r.retval, action: r.action, cpu: 0, egress: egress ? egress.iface : null });
  }
  want.maps = dumpMaps(obj);
  return want;
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

const fixture = (name: string) => readCase(join(ROOT, 'fixtures/cases', `${name}.json`), true);
const inline = (c: object) => parseCase(c, '/', 'inline', true);

/** The cases: drops and passes, redirects, XDP_TX, TC with the clock and decapsulation, socket filters, clones, the headroom, a fault. */
const CASES: { name: string; load: () => Promise<Case>; big: boolean; many?: number; verify?: boolean }[] = [
  { name: 'xdp_blacklist (drops, passes, fragments)', load: () => fixture('xdp_blacklist_v4_denied'), big: true },
  { name: 'xdp_blacklist (3,000 full-size frames: batches split by their staging and output areas)', load: () => fixture('xdp_blacklist_v4_denied'), big: false, many: 3000 },
  { name: 'xdp_flow_log (the clock, a ring buffer)', load: async () => inline({ object: join(ROOT, 'build/bpf/xdp_flow_log.o'), program: 'xdp_flow_log' }), big: true },
  { name: 'xdp_lb (redirects)', load: () => fixture('xdp_lb_redirect'), big: true },
  { name: 'xdp_lb (XDP_TX)', load: () => fixture('xdp_lb_tx'), big: false },
  { name: 'tc_stateful (clock, flow table)', load: async () => inline({ object: join(ROOT, 'build/bpf/tc_stateful.o'), program: 'tc_stateful', maps: { open_ports: [{ key: '16000000', value: '01' }] } }), big: false },
  { name: 'tc_vxlan_decap (the frame shrinks)', load: () => fixture('tc_vxlan_decap_v4'), big: false },
  { name: 'tc_port_filter', load: () => fixture('tc_port_filter_telnet_shot'), big: false },
  { name: 'socket_filter', load: () => fixture('socket_filter_ssh_v4_kept'), big: false },
  {
    name: 'bpf_clone_redirect',
    load: async () => inline({ object: testObject('sim_clone'), program: 'mirror', fib: { interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24'] }] } }),
    big: false,
  },
  { name: 'frames grown at the tail (more output than input: batches split by the output area)', load: async () => inline({ object: testObject('replay_headroom'), program: 'replay_grow' }), big: false, many: 3000 },
  { name: 'headroom written by a run (zeroed for the next)', load: async () => inline({ object: testObject('replay_headroom'), program: 'replay_headroom' }), big: true },
  { name: 'a fault on a later packet (verify off)', load: async () => inline({ object: testObject('bad_oob'), program: 'bad_oob' }), big: false, verify: false },
];

describe('sim', () => {
  describe.each(ENGINE_NAMES)('replay against Program.run on %s', (engine) => {
    it.each(CASES)('gives what Program.run gives packet by packet: $name', async ({ name, load, big, many, verify }) => {
      const c = await load();
      const data = frames(c.packet !== undefined && c.packet.length > 0 ? c.packet : buildPacket({ ipv4: { src: '10.1.0.5', dst: '10.2.0.9' }, tcp: { sport: 33000, dport: 22, flags: 'S' } }), big, many);
      if (verify === false) {
        // bad_oob reads data[200]: inside the long frames, past the end of the short ones.
        const long = new Uint8Array(240);
        long.set(buildPacket({ ipv4: {}, udp: {} }));
        long[200] = 2;
        data.unshift(long, long);
      }
      const tag = `${engine}-${name.replace(/\W+/g, '-')}`;
      const { path, times } = await writeCapture(`${tag}.pcapng`, data);
      const want = await reference(c, data, times, engine, verify);
      const out = join(dir, `${tag}-out.pcapng`);
      const verdicts: Omit<PacketVerdict, 'capture'>[] = [];
      const run = replayCapture(c, path, { engine, out, verify, onPacket: ({ capture: _, ...v }) => verdicts.push(v) });
      // Only the faulting case faults, and there on the first short frame after the two long ones.
      expect(want.fault?.code).toBe(verify === false ? 'vm/out-of-bounds' : undefined);
      if (want.fault) {
        expect(want.fault.message).toMatch(/^packet 2 \(frame 3\): /);
        const err = await run.catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SimError);
        expect({ code: (err as SimError).code, message: (err as SimError).message }).toEqual(want.fault);
        expect(verdicts).toEqual(want.verdicts);
        return;
      }
      const stats = await run;
      expect(verdicts).toEqual(want.verdicts);
      expect(stats.packets).toBe(data.length);
      const names = interfaceNames(out);
      const written = (await readCaptureAll(out)).map((p) => ({ iface: names[p.interfaceIndex]!, comment: p.comment!, hex: toHex(p.data) }));
      expect(written).toEqual(want.written);
      expect(stats.checksums).toEqual(want.checksums);
      const egress: Record<string, number> = {};
      for (const w of want.written) egress[w.iface] = (egress[w.iface] ?? 0) + 1;
      expect(stats.egress).toEqual(egress);
      expect(dumpMaps(stats.object)).toEqual(want.maps);
      // Each example reaches more than one outcome on these frames, or the comparison says little.
      if (name.startsWith('xdp_blacklist')) expect(Object.keys(stats.actions).sort()).toEqual(['XDP_DROP', 'XDP_PASS']);
      if (name.startsWith('headroom') || name.startsWith('frames grown')) expect(stats.actions).toEqual({ XDP_TX: data.length });
      if (name.startsWith('bpf_clone')) expect(stats.egress['redirect:2']).toBe(data.length);
    });
  });
});
