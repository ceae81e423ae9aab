import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dumpMap } from '../../src/maps/dump.js';
import { BpfObject, type InternalOptions } from '../../src/sim/object.js';
import type { HelperRegistry } from '../../src/vm/env.js';
import { testObject } from '../kernel/require-kernel.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A registry whose helpers offer no fast form, no inline form and no constant: every call goes through `fn`. */
const plainHelpers = (r: HelperRegistry): HelperRegistry => ({
  get(id) {
    const def = r.get(id);
    return def && { id: def.id, name: def.name, fn: def.fn };
  },
});

/** Everything a run leaves that a program can influence: r0, the packet, the redirect, every map. */
function snapshot(m: BpfObject, program: string, packet: Uint8Array): unknown {
  const out = m.program(program).run(packet, { cpu: 1 });
  return {
    r0: out.r0,
    packet: hex(out.packet),
    redirect: out.redirect,
    maps: m.maps.map((map) => dumpMap(map).map((e) => `${hex(e.key)}=${e.values.map(hex).join('/')}`)),
  };
}

// Packets of 48 to 64 bytes whose first bytes mostly pick few map slots, so that hits come soon.
const packetArb = fc.uint8Array({ minLength: 48, maxLength: 64 }).map((p) => {
  for (let i = 3; i < 10; i++) p[i]! &= 0x13;
  return p;
});

describe('vm', () => {
  describe('wasm inline helpers', () => {
    // Two CPUs, runs on CPU 1: the per-CPU maps' inline address arithmetic must pick the right copy.
    // No key recording, so that the wasm engine inlines map lookups.
    const options: InternalOptions = { cpus: 2, clock: 123_456_789n, keyWarnings: false };
    const load = async (object: string, o: InternalOptions) => BpfObject.create(await BpfObject.readSpec(object), o);
    const machines = async () => ({
      interp: await load(testObject('vm_inline'), { ...options, engine: 'interp' }),
      wasm: await load(testObject('vm_inline'), { ...options, engine: 'wasm' }),
      plain: await load(testObject('vm_inline'), { ...options, engine: 'wasm', wrapHelpers: plainHelpers }),
    });

    it.each([{ program: 'vm_inline_xdp' }, { program: 'vm_inline_tc' }])(
      'leaves what the interpreter leaves in $program: map lookups, csum_diff, redirect, clock',
      async ({ program }) => {
        await fc.assert(
          fc.asyncProperty(fc.array(packetArb, { minLength: 1, maxLength: 24 }), async (packets) => {
            const m = await machines();
            for (const packet of packets) {
              const want = snapshot(m.interp, program, packet);
              expect(snapshot(m.wasm, program, packet)).toEqual(want);
              expect(snapshot(m.plain, program, packet)).toEqual(want);
            }
          }),
          { numRuns: 40 },
        );
      },
    );

    // Routes of every kind: connected, through an IPv4 gateway (with and without a neighbour),
    // through an IPv6 gateway, blackhole, unreachable, prohibit; two MTUs; forwarding on and off.
    // The same for IPv6 (vm_inline_fib6.c picks its addresses among these prefixes).
    const fib = (forwarding: boolean): InternalOptions['fib'] => ({
      interfaces: [
        { ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.3.0.1/24', 'fd01::1/64'] },
        { ifindex: 3, name: 'eth2', mac: '02:00:00:00:02:01', addrs: ['10.4.0.1/24'], mtu: 600 },
        { ifindex: 4, name: 'eth3', mac: '02:00:00:00:03:01', addrs: ['fd06::1/64'], mtu: 1300 },
      ],
      routes: [
        { dst: '10.5.0.0/16', via: 'fd01::fe', dev: 2 },
        { dst: '10.6.0.0/16', type: 'blackhole', dev: 0 },
        { dst: '10.7.0.0/16', type: 'unreachable', dev: 0 },
        { dst: '10.8.0.0/16', type: 'prohibit', dev: 0 },
        { dst: '10.9.0.0/16', via: '10.3.0.254', dev: 2 },
        { dst: '10.10.0.0/16', via: '10.4.0.9', dev: 3 },
        { dst: '10.9.0.0/24', dev: 3 },
        { dst: 'fd02::/64', via: 'fd01::fe', dev: 2 },
        { dst: 'fd02::/112', dev: 4 },
        { dst: 'fd03::/64', type: 'blackhole', dev: 0 },
        { dst: 'fd04::/64', type: 'unreachable', dev: 0 },
        { dst: 'fd04::/96', type: 'prohibit', dev: 0 },
        { dst: 'fd05::/64', via: 'fd06::9', dev: 4 },
      ],
      neighbors: [
        { ip: '10.3.0.254', mac: '02:00:00:00:01:fe', dev: 2 },
        { ip: '10.3.0.5', mac: '02:00:00:00:01:05', dev: 2 },
        { ip: '10.4.0.5', mac: '02:00:00:00:02:05', dev: 3 },
        { ip: '10.3.0.6', mac: '02:00:00:00:02:06', dev: 3 },
        { ip: '10.9.0.3', mac: '02:00:00:00:02:07', dev: 3 },
        { ip: 'fd01::fe', mac: '02:00:00:00:06:fe', dev: 2 },
        { ip: 'fd01::5', mac: '02:00:00:00:06:05', dev: 2 },
        { ip: 'fd01::6', mac: '02:00:00:00:06:06', dev: 4 },
        { ip: 'fd02::3', mac: '02:00:00:00:06:07', dev: 4 },
        { ip: 'fd06::5', mac: '02:00:00:00:06:08', dev: 4 },
      ],
      forwarding,
    });
    const fibPacketArb = fc.uint8Array({ minLength: 64, maxLength: 80 });

    it.each([
      { program: 'vm_fib_xdp', forwarding: true },
      { program: 'vm_fib_tc', forwarding: true },
      { program: 'vm_fib_xdp', forwarding: false },
    ])('leaves what the interpreter leaves in $program: bpf_fib_lookup (forwarding $forwarding)', async ({ program, forwarding }) => {
      const loadFib = (o: InternalOptions) => load(testObject('vm_inline_fib'), { ...options, fib: fib(forwarding), ...o });
      const m = { interp: await loadFib({ engine: 'interp' }), wasm: await loadFib({ engine: 'wasm' }), plain: await loadFib({ engine: 'wasm', wrapHelpers: plainHelpers }) };
      const seen = new Set<bigint>();
      fc.assert(
        fc.property(fibPacketArb, (packet) => {
          const want = snapshot(m.interp, program, packet) as { maps: string[][] };
          expect(snapshot(m.wasm, program, packet)).toEqual(want);
          expect(snapshot(m.plain, program, packet)).toEqual(want);
          const rc = want.maps[0]![0]?.split('=')[1]?.slice(0, 16);
          if (rc !== undefined) seen.add(Buffer.from(rc, 'hex').readBigInt64LE());
        }),
        { numRuns: 400 },
      );
      // The packets reached more than one answer (forwarded, and some refusal).
      expect(seen.size).toBeGreaterThan(forwarding ? 5 : 2);
    });

    it.each([
      { program: 'vm_fib6_xdp', forwarding: true },
      { program: 'vm_fib6_tc', forwarding: true },
      { program: 'vm_fib6_xdp', forwarding: false },
    ])('leaves what the interpreter leaves in $program: bpf_fib_lookup on IPv6 (forwarding $forwarding)', async ({ program, forwarding }) => {
      // Counts the calls that reach the helper's own code: the inline form must answer most.
      let helperCalls = 0;
      const counting = (r: HelperRegistry): HelperRegistry => ({
        ...r,
        get(id) {
          const def = r.get(id);
          if (!def || def.name !== 'bpf_fib_lookup') return def;
          const { fn, fast } = def;
          return {
            ...def,
            fn: (...a) => (helperCalls++, fn(...a)),
            ...(fast && { fast: (...a: Parameters<typeof fast>) => (helperCalls++, fast(...a)) }),
          };
        },
      });
      const loadFib = (o: InternalOptions) => load(testObject('vm_inline_fib6'), { ...options, fib: fib(forwarding), ...o });
      const m = { interp: await loadFib({ engine: 'interp' }), wasm: await loadFib({ engine: 'wasm', wrapHelpers: counting }), plain: await loadFib({ engine: 'wasm', wrapHelpers: plainHelpers }) };
      const seen = new Set<bigint>();
      let runs = 0;
      fc.assert(
        fc.property(fibPacketArb, (packet) => {
          const want = snapshot(m.interp, program, packet) as { maps: string[][] };
          expect(snapshot(m.wasm, program, packet)).toEqual(want);
          expect(snapshot(m.plain, program, packet)).toEqual(want);
          runs++;
          const rc = want.maps[0]![0]?.split('=')[1]?.slice(0, 16);
          if (rc !== undefined) seen.add(Buffer.from(rc, 'hex').readBigInt64LE());
        }),
        { numRuns: 600 },
      );
      // The packets reached more than one answer (forwarded, every refusal); the helper answered a few (TBID, SRC, IPv4 through an IPv6 gateway...).
      expect(seen.size).toBeGreaterThan(forwarding ? 7 : 3);
      expect(helperCalls).toBeLessThan(runs / 2);
    });

    it('repeats as single runs do', async () => {
      const packet = new Uint8Array(64).map((_, i) => (i * 37) & 0x13);
      packet[13] = 1;
      const a = await load(testObject('vm_inline'), { ...options, engine: 'wasm' });
      const b = await load(testObject('vm_inline'), { ...options, engine: 'interp' });
      const many = a.program('vm_inline_xdp').repeat(packet, { runs: 50, cpu: 1 }).last;
      const one = b.program('vm_inline_xdp').repeat(packet, { runs: 50, cpu: 1 }).last;
      expect([many.r0, many.redirect, hex(many.packet)]).toEqual([one.r0, one.redirect, hex(one.packet)]);
      expect(a.maps.map((m) => dumpMap(m).map((e) => hex(e.key) + e.values.map(hex).join('/')))).toEqual(b.maps.map((m) => dumpMap(m).map((e) => hex(e.key) + e.values.map(hex).join('/'))));
    });
  });
});
