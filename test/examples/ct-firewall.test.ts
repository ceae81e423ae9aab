import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { load, Machine } from '../../src/index.js';
import type { RunResult } from '../../src/internal/contract.js';
import { buildPacket } from '../../src/packet/index.js';
import { readCase } from '../../src/sim/case.js';
import { replayCapture } from '../../src/sim/replay.js';
import { PcapWriter } from '../../src/pcap/index.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { availableBackends } from '../support/backends.js';
import { ROOT } from '../kernel/require-kernel.js';

/**
 * bpf/xdp_ct_firewall.c: flows the kernel's conntrack knows pass, new flows from the inside are
 * inserted, anything else unsolicited from outside is dropped.
 */
const CASES = join(ROOT, 'fixtures', 'cases');
const OBJECT = join(ROOT, 'build', 'bpf', 'xdp_ct_firewall.o');
const backends = await availableBackends();
const caseFile = (name: string) => readCase(join(CASES, `xdp_ct_firewall_${name}.json`));

/** The verdict counters (CPU 0): other, known, opened, dropped. */
function stats(r: RunResult): number[] {
  return [0, 1, 2, 3].map((i) => {
    const e = r.maps.stats?.find((x) => x.key === `0${i}000000`);
    return e ? Number(Buffer.from(e.value!, 'hex').readBigUInt64LE(0)) : 0;
  });
}

describe.each(backends)('xdp_ct_firewall on $name', ({ runJson: run }) => {
  it('opens a new outbound flow', async () => {
    const r = await run(await caseFile('opens_outbound'));
    expect(r.action).toBe('XDP_PASS');
    expect(stats(r)).toEqual([0, 0, 1, 0]);
  });

  it('passes the reply of a tracked flow', async () => {
    const r = await run(await caseFile('passes_reply'));
    expect(r.action).toBe('XDP_PASS');
    expect(stats(r)).toEqual([0, 1, 0, 0]);
  });

  it('drops an unsolicited inbound flow', async () => {
    const r = await run(await caseFile('drops_unsolicited'));
    expect(r.action).toBe('XDP_DROP');
    expect(stats(r)).toEqual([0, 0, 0, 1]);
  });
});

describe.each(ENGINE_NAMES)('xdp_ct_firewall sessions on vm/%s', (engine) => {
  const outbound = buildPacket({ ipv4: { src: '10.1.0.5', dst: '203.0.113.9' }, tcp: { sport: 40000, dport: 443, flags: 0x02 } });
  const reply = buildPacket({ ipv4: { src: '203.0.113.9', dst: '10.1.0.5' }, tcp: { sport: 443, dport: 40000, flags: 0x12 } });
  const probe = buildPacket({ ipv4: { src: '203.0.113.9', dst: '10.1.0.5' }, tcp: { sport: 443, dport: 40001, flags: 0x02 } });
  const arp = buildPacket({ eth: { type: 0x0806 }, payload: new Uint8Array(28) });

  it('tracks a connection through the conntrack table across runs until it expires', async () => {
    const machine = new Machine();
    const fw = (await load(OBJECT, { machine, engine })).program('xdp_ct_firewall');
    const XDP_DROP = 1;
    const XDP_PASS = 2;

    expect(fw.run(reply).retval).toBe(XDP_DROP);
    expect(fw.run(outbound).retval).toBe(XDP_PASS);
    expect(machine.conntrackEntries()).toEqual([
      expect.objectContaining({ proto: 'tcp', src: '10.1.0.5', dst: '203.0.113.9', sport: 40000, dport: 443, status: 0x8, mark: 1, timeout: 30_000 }),
    ]);
    expect(fw.run(reply).retval).toBe(XDP_PASS);
    // SEEN_REPLY set by bpf_ct_change_status, the established timeout, and one more packet in the mark.
    expect(machine.conntrackEntries()[0]).toMatchObject({ status: 0xa, mark: 2, timeout: 300_000 });
    expect(fw.run(probe).retval).toBe(XDP_DROP);
    expect(fw.run(arp).retval).toBe(XDP_PASS);
    expect(fw.run(outbound).retval).toBe(XDP_PASS);
    expect(machine.conntrackEntries()[0]).toMatchObject({ status: 0xa, mark: 3 });

    machine.kernel.clockNs += 300_001_000_000n;
    expect(fw.run(reply).retval).toBe(XDP_DROP);
    expect(machine.conntrackEntries()).toEqual([]);
  });

  it('replays a capture with the table carried from packet to packet', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bpfsim-ct-')), 'fw.pcap');
    const w = await PcapWriter.open(path);
    for (const [i, p] of [reply, outbound, reply, probe, outbound].entries()) await w.writePacket({ data: p, timestampNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n });
    await w.close();
    const stats = await replayCapture(await caseFile('opens_outbound'), path, { engine });
    expect(stats.actions).toEqual({ XDP_DROP: 2, XDP_PASS: 3 });
  });
});
