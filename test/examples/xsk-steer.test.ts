import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/internal/contract.js';
import { runCase } from '../../src/sim/backend.js';
import { readCase, type Case } from '../../src/sim/case.js';
import { resultJson } from '../../src/sim/result.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { availableBackends } from '../support/backends.js';
import { ROOT } from '../kernel/require-kernel.js';

/**
 * bpf/xdp_xsk_steer.c: XSKMAP redirects by rx queue or by flow hash. The kernel backend cannot
 * put AF_XDP sockets in an XSKMAP (each needs a real socket bound to a device's queue), so
 * against the kernel the slots are empty and the redirect falls back to XDP_PASS: what is
 * compared there is the slot the program chose. With sockets the VM reports the target socket.
 */
const CASES = join(ROOT, 'fixtures', 'cases');
const backends = await availableBackends();
const caseFile = (name: string) => readCase(join(CASES, `xdp_xsk_steer_${name}.json`));

/** The slots `steered` counted, with their counts. */
function steered(r: RunResult): Record<number, number> {
  return Object.fromEntries((r.maps.steered ?? []).map((e) => [Buffer.from(e.key, 'hex').readUInt32LE(0), Number(Buffer.from(e.value!, 'hex').readBigUInt64LE(0))]));
}

describe.each(backends)('xdp_xsk_steer on $name', ({ runJson: run }) => {
  it('chooses the slot of the rx queue, or of the flow hash, and passes what no rule takes', async () => {
    expect(steered(await run(await caseFile('by_queue')))).toEqual({ 0: 1 });
    // The flow hash of fd00::1:43210 -> fd00::2:80 over four sockets.
    expect(steered(await run(await caseFile('by_flow')))).toEqual({ 1: 1 });
    const unmatched = await run(await caseFile('unmatched'));
    expect(steered(unmatched)).toEqual({});
    expect(unmatched.maps['.bss']?.[0]?.value).toBe('0100000000000000');
  });
});

describe.each(ENGINE_NAMES)('xdp_xsk_steer with AF_XDP sockets on %s', (engine) => {
  /** The case with sockets in `slots` of the XSKMAP, each bound to `queue`. */
  const withSockets = (c: Case, slots: number[], queue = 0): Case => ({
    ...c,
    maps: { ...c.maps, xsks: slots.map((slot) => ({ key: Uint8Array.of(slot, 0, 0, 0), value: Uint8Array.of(queue, 0, 0, 0) })) },
  });
  const run = async (c: Case) => resultJson(await runCase(c, { backend: 'vm', engine }));

  it('redirects to the socket of the packet\'s queue, and the result names it', async () => {
    const r = await run(withSockets(await caseFile('by_queue'), [0]));
    expect(r.action).toBe('XDP_REDIRECT');
    expect(r.redirect).toEqual({ ifindex: 0, flags: 0, xsk: { map: 'xsks', key: 0, queue: 0, received: true } });
  });

  it('redirects a flow to the socket its hash picks, every packet of it alike', async () => {
    const c = withSockets(await caseFile('by_flow'), [0, 1, 2, 3]);
    for (let i = 0; i < 2; i++) expect((await run(c)).redirect?.xsk).toEqual({ map: 'xsks', key: 1, queue: 0, received: true });
  });

  it('shows a socket bound to another queue refusing the frame', async () => {
    const r = await run(withSockets(await caseFile('by_queue'), [0], 3));
    expect(r.redirect?.xsk).toEqual({ map: 'xsks', key: 0, queue: 3, received: false });
  });
});
