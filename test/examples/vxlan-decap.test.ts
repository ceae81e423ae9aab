import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/internal/contract.js';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket, type PacketSpec } from '../../src/packet/index.js';
import { readCase } from '../../src/sim/case.js';
import { load } from '../../src/index.js';
import { availableBackends } from '../support/backends.js';
import { ROOT } from '../kernel/require-kernel.js';

/**
 * bpf/tc_vxlan_decap.c: decapsulation, the tunnel key it leaves (VM) and reads back into its
 * stats (every backend), per-VNI counters and drops of unknown VNIs.
 */

const CASES = join(ROOT, 'fixtures', 'cases');
const backends = await availableBackends();
const caseFile = (name: string) => readCase(join(CASES, `tc_vxlan_decap_${name}.json`));

/** vni_stats' value for `vni`: packets, bytes, last_remote, last_id. */
function stats(result: RunResult, vni: number) {
  const key = Buffer.alloc(4);
  key.writeUInt32LE(vni);
  const value = result.maps.vni_stats?.find((e) => e.key === key.toString('hex'))?.value;
  if (value === undefined) return undefined;
  const v = Buffer.from(value, 'hex');
  return { packets: Number(v.readBigUInt64LE(0)), bytes: Number(v.readBigUInt64LE(8)), lastRemote: v.readUInt32LE(16), lastId: v.readUInt32LE(20) };
}

describe.each(backends)('tc_vxlan_decap on $name', ({ runJson: run }) => {
  it('decapsulates an IPv4 inner frame, counts it and reads its tunnel key back with remote and local swapped', async () => {
    const c = await caseFile('v4');
    const result = await run(c);
    expect(result.retval).toBe(7);
    expect(result.packet).toBe(toHex(c.expect!.packet!));
    expect(result.checksums).toEqual({ ip: 'ok', l4: 'ok' });
    // skb->len of the 47-byte inner frame; the key set with remote 192.0.2.1 reads back remote 192.0.2.2.
    expect(stats(result, 100)).toEqual({ packets: 1, bytes: 47, lastRemote: 0xc0000202, lastId: 100 });
  });

  it('decapsulates an IPv6 inner frame and switches skb->protocol with BPF_F_ADJ_ROOM_DECAP_L3_IPV6', async () => {
    const c = await caseFile('v6');
    const result = await run(c);
    expect(result.retval).toBe(7);
    expect(result.packet).toBe(toHex(c.expect!.packet!));
    expect(stats(result, 100)?.bytes).toBe(67);
  });

  it('drops and counts a VNI it has no target for, and leaves other traffic alone', async () => {
    const unknown = await run(await caseFile('unknown_vni'));
    expect(unknown.retval).toBe(2);
    expect(unknown.maps.unknown_vni?.[0]?.value).toBe('0100000000000000');
    expect(unknown.maps.vni_stats).toEqual([]);
    const plain = await run(await caseFile('not_vxlan'));
    expect(plain.retval).toBe(0);
    expect(plain.maps.unknown_vni ?? []).toEqual([]);
  });
});

describe.each(['interp', 'wasm'] as const)('tc_vxlan_decap through the API on %s', (engine) => {
  const frame = (vni: number, inner: PacketSpec): Uint8Array =>
    buildPacket({ eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ipv4: { src: '198.51.100.7', dst: '198.51.100.8', ttl: 9 }, udp: { sport: 50000, dport: 4789 }, vxlan: { vni }, inner });
  const inner: PacketSpec = { eth: { src: '02:00:00:00:0b:01', dst: '02:00:00:00:0b:02' }, ipv4: { src: '10.9.0.1', dst: '10.9.0.2' }, tcp: { sport: 1, dport: 2, flags: 'S' } };

  it('shows the tunnel metadata and the redirect of each packet, and counts packets per VNI across runs', async () => {
    const obj = await load(join(ROOT, 'build', 'bpf', 'tc_vxlan_decap.o'), { engine });
    obj.map('vni_targets').set(0xabcdef, { ifindex: 9 });
    const prog = obj.program('tc_vxlan_decap');
    for (let i = 0; i < 3; i++) {
      const out = prog.run(frame(0xabcdef, inner));
      expect(out.redirect).toEqual({ ifindex: 9, flags: 0 });
      expect(toHex(out.packet)).toBe(toHex(buildPacket(inner)));
      expect(out.tunnel).toEqual({ id: 0xabcdef, remote: '198.51.100.7', local: '198.51.100.8', tos: 0, ttl: 9, label: 0, flags: ['csum', 'key', 'nocache'], options: new Uint8Array(0) });
    }
    expect(obj.map('vni_stats').get(0xabcdef)).toMatchObject({ packets: 3n });
    expect(prog.run(buildPacket(inner)).tunnel).toBeNull();
  });
});
