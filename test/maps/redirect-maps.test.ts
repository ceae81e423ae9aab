import { describe, expect, it } from 'vitest';
import { load, MapError } from '../../src/index.js';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { runCase } from '../../src/sim/backend.js';
import { parseCase } from '../../src/sim/case.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { kernelOrSkip, testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';

const OBJECT = testObject('maps_redirect');
const frame = buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 1, dport: 53 } });
const backends = await availableBackends();
const fib = { interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24'] }] };
const caseOf = (program: string, extra: Record<string, unknown> = {}) => parseCase({ object: OBJECT, program, packet: toHex(frame), fib, ...extra }, '/');

const CASES = [
  { program: 'xdp_cpu', maps: { cpus: [{ key: '01000000', value: 'c000000000000000' }] }, retval: 4, redirect: { ifindex: 0, flags: 0, cpu: 1 }, clones: [] },
  // An empty XSKMAP slot: the fallback action, no lookup result.
  { program: 'xdp_xsk', ctx: { ingress_ifindex: 1, rx_queue_index: 0 }, retval: 2, redirect: null, clones: [] },
  // BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS from eth1: a copy to lo only.
  { program: 'xdp_broadcast', ctx: { ingress_ifindex: 2 }, maps: { ports: [{ key: '00000000', value: '01000000' }, { key: '03000000', value: '02000000' }] }, retval: 4, redirect: { ifindex: 0, flags: 24 }, clones: [1] },
  { program: 'xdp_broadcast_hash', maps: { ports_hash: [{ key: '09000000', value: '0200000000000000' }, { key: '04000000', value: '0100000000000000' }] }, retval: 4, redirect: { ifindex: 0, flags: 8 }, clones: [2, 1] },
  // A miss after a hit: the fallback action, and the earlier slot is forgotten.
  { program: 'xdp_last_wins', maps: { ports: [{ key: '01000000', value: '01000000' }] }, retval: 1, redirect: null, clones: [] },
];

describe.each(backends)('bpf_redirect_map through CPUMAP, XSKMAP and devmap broadcasts on $name', ({ name, run }) => {
  it.each(CASES)('$program', async ({ program, retval, redirect, clones, ...extra }) => {
    const result = await run(caseOf(program, extra));
    expect(result.retval).toBe(retval);
    // test_run does not say where a redirect goes: only the VM reports it.
    if (name === 'kernel') return;
    expect(result.redirect).toEqual(redirect);
    expect((result.clones ?? []).map((c) => c.ifindex)).toEqual(clones);
    for (const c of result.clones ?? []) expect(c.packet).toEqual(frame);
  });
});

describe.each(ENGINE_NAMES)('%s engine: XSKMAP sockets', (engine) => {
  it('looks a socket up as its queue_id and says whether the frame\'s queue is the socket\'s', async () => {
    const obj = await load(OBJECT, { engine });
    obj.map('xsks').set(0, 0);
    const hit = obj.program('xdp_xsk').run(frame, { ctx: { ingress_ifindex: 1, rx_queue_index: 0 } });
    expect(hit.action).toBe('XDP_REDIRECT');
    expect(hit.redirect).toEqual({ ifindex: 0, flags: 0, xsk: { map: 'xsks', key: 0, queue: 0, received: true } });
    expect(obj.map('.data').get(0)).toEqual({ seen_queue: 0 });
    // A socket bound to queue 3 in the slot of queue 0: xsk_rcv refuses the frame.
    obj.map('xsks').set(0, 3);
    const miss = obj.program('xdp_xsk').run(frame, { ctx: { ingress_ifindex: 1, rx_queue_index: 0 } });
    expect(miss.redirect?.xsk).toEqual({ map: 'xsks', key: 0, queue: 3, received: false });
    expect(obj.map('.data').get(0)).toEqual({ seen_queue: 3 });
    obj.map('xsks').delete(0);
    expect(obj.program('xdp_xsk').run(frame, { ctx: { ingress_ifindex: 1, rx_queue_index: 0 } }).action).toBe('XDP_PASS');
  });

  it('updates XSKMAP and CPUMAP slots with the kernel\'s errors', async () => {
    const obj = await load(OBJECT, { engine, cpus: 2 });
    const errnoOf = (f: () => void) => {
      try {
        f();
      } catch (e) {
        if (e instanceof MapError) return e.errno;
        throw e;
      }
      return 'ok';
    };
    const xsks = obj.map('xsks');
    expect(errnoOf(() => xsks.set(8, 0))).toBe('E2BIG');
    expect(errnoOf(() => xsks.set(1, 0, { flags: 2 /* BPF_EXIST */ }))).toBe('ENOENT');
    expect(errnoOf(() => xsks.set(1, 0))).toBe('ok');
    expect(errnoOf(() => xsks.set(1, 0, { flags: 1 /* BPF_NOEXIST */ }))).toBe('EEXIST');
    const cpus = obj.map('cpus');
    const val = (qsize: number) => new Uint8Array(new Uint32Array([qsize, 0]).buffer);
    expect(errnoOf(() => cpus.set(4, val(64)))).toBe('E2BIG');
    expect(errnoOf(() => cpus.set(1, val(16385)))).toBe('EOVERFLOW');
    // Only CPUs 0 and 1 are possible.
    expect(errnoOf(() => cpus.set(2, val(64)))).toBe('ENODEV');
    expect(errnoOf(() => cpus.set(1, val(64), { flags: 1 }))).toBe('EEXIST');
    expect(errnoOf(() => cpus.set(1, val(64)))).toBe('ok');
    expect(cpus.has(1)).toBe(true);
    // qsize 0 empties the slot, as a delete does.
    cpus.set(1, val(0));
    expect(cpus.has(1)).toBe(false);
  });
});

describe('kernel: XSKMAP entries', () => {
  it('cannot be given by a case: the kernel wants the fd of a bound AF_XDP socket', async (ctx) => {
    if (!(await kernelOrSkip())) return ctx.skip();
    const c = caseOf('xdp_xsk', { ctx: { ingress_ifindex: 1, rx_queue_index: 0 }, maps: { xsks: [{ key: '00000000', value: '00000000' }] } });
    await expect(runCase(c, { backend: 'kernel' })).rejects.toMatchObject({ code: 'kernel/map-update' });
    expect((await runCase(c, { backend: 'vm' })).redirect?.xsk?.received).toBe(true);
  });
});
