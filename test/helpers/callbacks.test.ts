import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { load } from '../../src/index.js';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { INITIAL_JIFFIES } from '../../src/helpers/misc-helpers.js';
import { testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';

const OBJECT = testObject('helpers_callbacks');
const ROOT = join(import.meta.dirname, '../..');
const frame = buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 1, dport: 53 } });
const backends = await availableBackends();
const u64 = (n: number) => Buffer.from(new BigUint64Array([BigInt(n)]).buffer).toString('hex');
const u32 = (n: number) => Buffer.from(new Uint32Array([n]).buffer).toString('hex');

describe.each(backends)('bpf_loop, bpf_for_each_map_elem, spin locks, vprintk, percpu lookups on $name', ({ name, runJson: run }) => {
  it('gives the kernel results and leaves what the callbacks wrote in the maps', async () => {
    const c = parseCase(
      {
        object: OBJECT,
        program: 'xdp_callbacks',
        packet: toHex(frame),
        maps: {
          slots: [0, 1, 3].map((k, i) => ({ key: u32(k), value: u64([1, 2, 8][i]!) })),
          flows: [1, 2, 3].map((k) => ({ key: u32(k), value: u64(k * 10) })),
        },
      },
      '/',
    );
    const result = await run(c);
    // Each failed check in the program returns its line.
    expect(result.retval).toBe(2);
    const map = (n: string) => Object.fromEntries(result.maps[n]!.map((e) => [e.key, e.value]));
    // The first walk stopped after three slots, then two nested walks visited all four: +100 each time.
    expect(map('slots')).toEqual({ [u32(0)]: u64(301), [u32(1)]: u64(302), [u32(2)]: u64(300), [u32(3)]: u64(208) });
    // Every flow got +100, then the callback deleted the odd keys.
    expect(map('flows')).toEqual({ [u32(2)]: u64(120) });
    // struct counter: the lock word released, one hit, the frame's bytes.
    expect(map('locked')).toEqual({ [u32(0)]: u32(0) + u32(1) + u64(frame.length) });
    expect(result.maps.per_cpu![0]!.value).toBe(u64(7));
    if (name !== 'kernel') expect(result.trace).toEqual(['loop 1 -2 3 four', '5 6']);
  });

  it('gives the TC test skb a socket cookie and a namespace cookie other than init_net\'s', async () => {
    const result = await run(parseCase({ object: OBJECT, program: 'tc_cookies', packet: toHex(frame) }, '/'));
    expect(result.retval).toBe(0);
  });
});

describe.each(ENGINE_NAMES)('%s engine: cookies and jiffies', (engine) => {
  it('gives each run a new socket cookie, and jiffies from the clock at HZ=250', async () => {
    const obj = await load(OBJECT, { engine, clock: 10_000_000_000n });
    const prog = obj.program('tc_cookies');
    expect(prog.run(frame).retval).toBe(0);
    const first = obj.map('.bss').get(0) as { cookies: Record<string, bigint> };
    expect(first.cookies).toEqual({ socket_cookie: 1n, netns_cookie: 2n, init_netns_cookie: 1n, jiffies: INITIAL_JIFFIES + 2500n });
    prog.run(frame, { clock: 10_004_000_000n });
    expect(obj.map('.bss').get(0)).toMatchObject({ cookies: { socket_cookie: 2n, jiffies: INITIAL_JIFFIES + 2501n } });
  });

  it('runs bpf_loop callbacks on the run\'s instruction budget, and a fault there names the callback\'s line', async () => {
    const obj = await load(OBJECT, { engine, budget: 60 });
    const lines = readFileSync(join(ROOT, 'bpf/tests/helpers_callbacks.c'), 'utf8').split('\n');
    const inCallback = lines.findIndex((l) => l.includes('if (i == c->stop_at)')) + 1;
    expect(() => obj.program('xdp_callbacks').run(frame)).toThrow(
      expect.objectContaining({ code: 'vm/budget-exceeded', message: expect.stringContaining(`(helpers_callbacks.c:${inCallback})`) }),
    );
  });
});
