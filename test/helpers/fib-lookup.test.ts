import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { setupSkb } from '../../src/helpers/context-skb.js';
import { setupXdp } from '../../src/helpers/context-xdp.js';
import type { FibSpec } from '../../src/internal/contract.js';
import { BPF_PROG_TYPE } from '../../src/uapi/bpf.js';
import { hex, makeEnv, neg } from './support.js';

/** The namespace of the kernel runs: two veths, routes via gateways, a default route, neighbours. */
const topology: FibSpec = {
  interfaces: [
    { ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24', 'fd01::1/64'] },
    { ifindex: 3, name: 'eth2', mac: '02:00:00:00:02:01', addrs: ['10.2.0.1/24'], mtu: 1400 },
  ],
  routes: [
    { dst: '10.9.0.0/16', via: '10.1.0.254', dev: 2 },
    { dst: 'fd09::/32', via: 'fd01::fe', dev: 2 },
    { dst: '10.20.0.0/16', via: '10.2.0.254', dev: 3 },
    { dst: 'default', via: '10.2.0.254', dev: 3 },
  ],
  neighbors: [
    { ip: '10.1.0.254', mac: '02:00:00:00:01:fe', dev: 2 },
    { ip: 'fd01::fe', mac: '02:00:00:00:01:fe', dev: 2 },
    { ip: '10.2.0.254', mac: '02:00:00:00:02:fe', dev: 3 },
  ],
};
const fibs: Record<string, FibSpec> = { on: { ...topology, forwarding: true }, off: { ...topology, forwarding: false }, empty: {} };

// Each row was run on this machine's 6.18 kernel: an XDP program copying struct bpf_fib_lookup
// from the packet, calling bpf_fib_lookup(ctx, &p, 64, flags) and copying it back, run with
// `bpftool prog run` in a namespace built from `fib` as src/kernel/netns.ts builds it.
// `rc` is the u32 retval, `want` the struct after the call.
const table = JSON.parse(readFileSync(new URL('./fixtures/fib-lookup-6.18.json', import.meta.url), 'utf8')) as {
  name: string;
  fib: string;
  flags: number;
  have: string;
  rc: number;
  want: string;
}[];

describe('helpers', () => {
  it.each(table)('answers bpf_fib_lookup as the kernel does: $name', ({ fib, flags, have, rc, want }) => {
    const { mem, call, put, at } = makeEnv(BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, { kernel: { fib: fibs[fib] } });
    setupXdp(mem, new Uint8Array(64));
    const p = put(0, hex(have));
    const got = call('fib_lookup', 0, p, 64, flags);
    expect(Number(BigInt.asUintN(32, got))).toBe(rc);
    expect(Buffer.from(at(0, 64)).toString('hex')).toBe(want);
  });

  it('answers the same from a TC program, with the egress MTU in mtu_result', () => {
    const { mem, call, put, at } = makeEnv(BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS, { kernel: { fib: fibs.on } });
    setupSkb(mem, new Uint8Array(92));
    const row = table.find((r) => r.name.startsWith('v4 remote via gw'))!;
    const p = put(0, hex(row.have));
    expect(call('fib_lookup', 0, p, 64, 0)).toBe(0n);
    expect(Buffer.from(at(0, 64)).toString('hex')).toBe(row.want);
  });

  it('gives FRAG_NEEDED from a TC program when the packet itself exceeds the egress MTU', () => {
    const { mem, call, put, at } = makeEnv(BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS, { kernel: { fib: fibs.on } });
    setupSkb(mem, new Uint8Array(1400 + 14 + 4 + 1));
    const row = table.find((r) => r.name.startsWith('v4 via gw2'))!;
    const p = put(0, hex(row.have));
    expect(call('fib_lookup', 0, p, 64, 0)).toBe(8n);
    expect(new DataView(at(6, 2).buffer).getUint16(0, true)).toBe(1400);
  });

  it('returns -EINVAL for a struct shorter than struct bpf_fib_lookup', () => {
    const { mem, call, put } = makeEnv(BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, { kernel: { fib: fibs.on } });
    setupXdp(mem, new Uint8Array(64));
    expect(call('fib_lookup', 0, put(0, new Uint8Array(64)), 63, 0)).toBe(neg(22));
  });

  it('honours a blackhole route type', () => {
    const fib: FibSpec = { ...topology, routes: [{ dst: '10.66.0.0/16', dev: 2, type: 'blackhole' }] };
    const { mem, call, put } = makeEnv(BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, { kernel: { fib } });
    setupXdp(mem, new Uint8Array(64));
    const p = new Uint8Array(64);
    p[0] = 2;
    p[8] = 2;
    p.set([10, 66, 1, 1], 32);
    expect(call('fib_lookup', 0, put(0, p), 64, 0)).toBe(1n);
  });
});
