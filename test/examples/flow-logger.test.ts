import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPacket, load, type StreamedEvent } from '../../src/index.js';
import { toHex } from '../../src/internal/hex.js';
import { parseCase } from '../../src/sim/case.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { availableBackends } from '../support/backends.js';

/** The ring-buffer flow logger (bpf/xdp_flow_log.c) read from TypeScript while it runs. */

const ROOT = join(import.meta.dirname, '../..');
const OBJECT = 'build/bpf/xdp_flow_log.o';
const tcp = (flags: string) => buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 4000, dport: 80, flags } });
const udp = buildPacket({ ipv4: { src: '10.0.0.3', dst: '10.0.0.2' }, udp: { sport: 5353, dport: 53 } });
/** A network-order field as the BTF decoding reads it: its bytes as a little-endian number. */
const wire = (...bytes: number[]) => bytes.reduce((n, b, i) => n + b * 256 ** i, 0);
const backends = await availableBackends();

describe.each(ENGINE_NAMES)('flow logger on the %s engine', (engine) => {
  it('streams a record when a flow starts and one when a TCP flow ends, decoded through BTF', async () => {
    const obj = await load(join(ROOT, OBJECT), { engine });
    const prog = obj.program('xdp_flow_log');
    const seen: StreamedEvent[] = [];
    const reader = (async () => {
      for await (const e of obj.events({ types: { flow_events: 'struct flow_event' } })) {
        seen.push(e);
        if (seen.length === 3) break;
      }
    })();
    prog.run(tcp('S'), { clock: 1_000_000_000n });
    prog.run(tcp('A'), { clock: 1_500_000_000n });
    prog.run(tcp('FA'), { clock: 3_000_000_000n });
    prog.run(udp, { clock: 4_000_000_000n });
    await reader;
    const flow = { saddr: wire(10, 0, 0, 1), daddr: wire(10, 0, 0, 2), sport: wire(0x0f, 0xa0), dport: wire(0, 80), proto: 6 };
    expect(seen.map((e) => e.map)).toEqual(['flow_events', 'flow_events', 'flow_events']);
    expect(seen[0]!.value).toMatchObject({ key: flow, packets: 1, bytes: 54, duration_ns: 0, kind: 1, tcp_flags: 0x02 });
    expect(seen[1]!.value).toMatchObject({ key: flow, packets: 3, bytes: 162, duration_ns: 2_000_000_000, kind: 2, tcp_flags: 0x11 });
    expect(seen[2]!.value).toMatchObject({ key: { saddr: wire(10, 0, 0, 3), dport: wire(0, 53), proto: 17 }, packets: 1, kind: 1 });
    // The ended flow left the table; the UDP one stays.
    expect(obj.map('flows').keys()).toHaveLength(1);
    // The run results carry the same records.
    expect(prog.run(tcp('S')).events.map((e) => e.data.length)).toEqual([48]);
  });

  it('ends a reader on abort after the records it already holds, and reads only the maps asked for', async () => {
    const obj = await load(join(ROOT, OBJECT), { engine });
    const abort = new AbortController();
    const reader = obj.events({ maps: ['flow_events'], signal: abort.signal });
    obj.program('xdp_flow_log').run(udp);
    abort.abort();
    expect((await reader.next()).done).toBe(false);
    expect((await reader.next()).done).toBe(true);
    expect(() => obj.events({ maps: ['flows'] })).toThrow(expect.objectContaining({ code: 'arg/range' }));
    expect(() => obj.events({ types: { flow_events: 'struct nope' } })).toThrow(expect.objectContaining({ code: 'case/unknown-event-type' }));
  });
});

describe.each(backends)('flow logger on $name', ({ run }) => {
  it('sends the same flow-start record as the kernel', async () => {
    const result = await run(parseCase({ object: join(ROOT, OBJECT), program: 'xdp_flow_log', packet: toHex(tcp('S')) }, '/'));
    expect(result.retval).toBe(2);
    expect(result.events?.map((e) => toHex(e.data))).toEqual([
      // key (addresses, ports, proto, padding), packets 1, bytes 54, duration 0, kind 1, flags SYN
      '0a0000010a0000020fa00050060000000100000000000000360000000000000000000000000000000100000002000000',
    ]);
  });
});
