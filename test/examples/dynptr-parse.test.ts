import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/internal/contract.js';
import { readCase } from '../../src/sim/case.js';
import { availableBackends } from '../support/backends.js';
import { ROOT } from '../kernel/require-kernel.js';

/**
 * bpf/dynptr_parse.c: one parser over bpf_dynptr_from_xdp and bpf_dynptr_from_skb with
 * bpf_dynptr_slice, on XDP (multi-buffer frames too) and TC.
 */
const CASES = join(ROOT, 'fixtures', 'cases');
const backends = await availableBackends();
const caseFile = (name: string) => readCase(join(CASES, `dynptr_parse_${name}.json`));

/** The counters of `stats` by name (array maps list non-zero slots only). */
function stats(r: RunResult): Record<string, number> {
  const names = ['ipv4', 'ipv6', 'other', 'vlan', 'truncated', 'blocked'];
  const out: Record<string, number> = {};
  for (const e of r.maps.stats ?? []) out[names[Buffer.from(e.key, 'hex').readUInt32LE(0)]!] = Number(Buffer.from(e.value!, 'hex').readBigUInt64LE(0));
  return out;
}

/** The last packet's summary: vlan_id, l3_proto, l4_proto, l4_off, sport, dport. */
function last(r: RunResult) {
  const v = Buffer.from(r.maps.last?.[0]?.value ?? '00'.repeat(12), 'hex');
  return { vlan: v.readUInt16LE(0), l3: v.readUInt16LE(2), l4: v.readUInt8(4), l4Off: v.readUInt16LE(6), sport: v.readUInt16LE(8), dport: v.readUInt16LE(10) };
}

describe.each(backends)('dynptr_parse on $name', ({ runJson: run }) => {
  it('drops TCP to a blocked port from XDP and counts the hit', async () => {
    const r = await run(await caseFile('xdp_blocked'));
    expect(r.action).toBe('XDP_DROP');
    expect(r.maps.blocked?.find((e) => e.key === '06001700')?.value).toBe('0100000000000000');
    expect(stats(r)).toEqual({ ipv4: 1, blocked: 1 });
    expect(last(r)).toEqual({ vlan: 0, l3: 0x800, l4: 6, l4Off: 34, sport: 40000, dport: 23 });
  });

  it('parses through a VLAN tag to IPv6 and UDP from TC', async () => {
    const r = await run(await caseFile('tc_vlan_v6'));
    expect(r.action).toBe('TC_ACT_OK');
    expect(stats(r)).toEqual({ ipv6: 1, vlan: 1 });
    expect(last(r)).toEqual({ vlan: 100, l3: 0x86dd, l4: 17, l4Off: 58, sport: 5353, dport: 53 });
  });

  it('parses a frame held in XDP fragments', async () => {
    const r = await run(await caseFile('xdp_frags'));
    expect(r.action).toBe('XDP_DROP');
    expect(r.packet.length / 2).toBe(14 + 20 + 8 + 6000);
    expect(last(r)).toMatchObject({ l4: 17, dport: 4789 });
  });

  it('counts a header cut short as truncated and lets the packet pass', async () => {
    const r = await run(await caseFile('tc_truncated'));
    expect(r.action).toBe('TC_ACT_OK');
    expect(stats(r)).toEqual({ ipv4: 1, truncated: 1 });
    expect(last(r)).toMatchObject({ l4: 6, l4Off: 0, dport: 0 });
  });
});
