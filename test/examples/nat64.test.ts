import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { load } from '../../src/index.js';
import { fromHex, toHex } from '../../src/internal/hex.js';
import { buildPacket, parsePacket } from '../../src/packet/index.js';
import { readCase } from '../../src/sim/case.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { availableBackends } from '../support/backends.js';
import { ROOT } from '../kernel/require-kernel.js';

/**
 * bpf/tc_nat64.c: IPv6 flows to 64:ff9b::/96 leave as IPv4 from an address popped off the
 * free_v4 queue, replies come back as IPv6, a FIN gives the address back.
 */
const CASES = join(ROOT, 'fixtures', 'cases');
const OBJECT = join(ROOT, 'build', 'bpf', 'tc_nat64.o');
const backends = await availableBackends();
const caseFile = (name: string) => readCase(join(CASES, `tc_nat64_${name}.json`));
const FLOW_KEY = 'fd0000000000000000000000000000100064ff9b0000000000000000c63364079c40005006000000';

/** The stats counters: out, in, opened, closed, exhausted. */
function stats(value: string | undefined) {
  const v = Buffer.from(value ?? '00'.repeat(40), 'hex');
  return [0, 1, 2, 3, 4].map((i) => Number(v.readBigUInt64LE(i * 8)));
}

describe.each(backends)('tc_nat64 on $name', ({ runJson: run }) => {
  it('translates a new IPv6 flow to IPv4 from the first free address and records it both ways', async () => {
    const r = await run(await caseFile('new_flow'));
    expect(r.retval).toBe(0);
    expect(r.checksums).toEqual({ ip: 'ok', l4: 'ok' });
    const ip = parsePacket(fromHex(r.packet)).layers.find((l) => l.kind === 'ipv4');
    expect(ip).toMatchObject({ src: '192.0.2.1', dst: '198.51.100.7', ttl: 64, protocol: 6 });
    expect(r.maps.v6_to_v4).toEqual([{ key: FLOW_KEY, value: 'c0000201' }]);
    expect(r.maps.v4_to_v6).toEqual([{ key: 'c0000201', value: FLOW_KEY }]);
    expect(stats(r.maps.stats?.[0]?.value)).toEqual([1, 0, 1, 0, 0]);
  });

  it('translates the server\'s IPv4 reply back to IPv6 for the client', async () => {
    const r = await run(await caseFile('reply'));
    const ip6 = parsePacket(fromHex(r.packet)).layers.find((l) => l.kind === 'ipv6');
    expect(ip6).toMatchObject({ src: '64:ff9b::c633:6407', dst: 'fd00::10', hopLimit: 63 });
    expect(r.checksums.l4).toBe('ok');
    expect(stats(r.maps.stats?.[0]?.value)).toEqual([0, 1, 0, 0, 0]);
  });

  it('forgets a flow its client closes, drops a new flow when no address is left, passes other IPv6', async () => {
    const closed = await run(await caseFile('close'));
    expect(closed.maps.v6_to_v4).toEqual([]);
    expect(closed.maps.v4_to_v6).toEqual([]);
    expect(stats(closed.maps.stats?.[0]?.value)).toEqual([1, 0, 0, 1, 0]);
    const exhausted = await run(await caseFile('exhausted'));
    expect(exhausted.action).toBe('TC_ACT_SHOT');
    expect(stats(exhausted.maps.stats?.[0]?.value)).toEqual([0, 0, 0, 0, 1]);
    const other = await caseFile('not_prefix');
    expect((await run(other)).packet).toBe(toHex(other.packet));
  });
});

describe.each(ENGINE_NAMES)('tc_nat64 address pool across runs on %s', (engine) => {
  const syn = (sport: number, flags = 'S') =>
    buildPacket({ ipv6: { src: 'fd00::10', dst: '64:ff9b::c633:6407' }, tcp: { sport, dport: 80, flags } });
  const source = (packet: Uint8Array) => parsePacket(packet).layers.find((l) => l.kind === 'ipv4') as { src: string } | undefined;

  it('pops addresses in queue order and reuses one a closed flow pushed back', async () => {
    const obj = await load(OBJECT, { engine });
    const prog = obj.program('tc_nat64');
    // The queue is filled from user space, as the case's free_v4 entries are (a __be32 number is in host order).
    const free = obj.map('free_v4');
    free.set(new Uint8Array(0), 0xc0000201);
    free.set(new Uint8Array(0), 0xc0000202);
    expect(source(prog.run(syn(1000)).packet)?.src).toBe('192.0.2.1');
    expect(source(prog.run(syn(1001)).packet)?.src).toBe('192.0.2.2');
    expect(prog.run(syn(1002)).action).toBe('TC_ACT_SHOT');
    // The first flow closes (FIN): its address goes to the back of the queue and the next flow takes it.
    expect(source(prog.run(syn(1000, 'FA')).packet)?.src).toBe('192.0.2.1');
    expect(source(prog.run(syn(1002)).packet)?.src).toBe('192.0.2.1');
  });
});
