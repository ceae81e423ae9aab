import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dumpMap } from '../../src/maps/dump.js';
import { Machine, type MachineOptions } from '../../src/sim/machine.js';
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
function snapshot(m: Machine, program: string, packet: Uint8Array): unknown {
  const out = m.run(program, packet);
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
    const options: MachineOptions = { cpus: 2, cpu: 1, clockNs: 123_456_789n };
    const machines = async () => ({
      interp: await Machine.load(testObject('vm_inline'), { ...options, engine: 'interp' }),
      wasm: await Machine.load(testObject('vm_inline'), { ...options, engine: 'wasm' }),
      plain: await Machine.load(testObject('vm_inline'), { ...options, engine: 'wasm', wrapHelpers: plainHelpers }),
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

    it('repeats as single runs do', async () => {
      const packet = new Uint8Array(64).map((_, i) => (i * 37) & 0x13);
      packet[13] = 1;
      const a = await Machine.load(testObject('vm_inline'), { ...options, engine: 'wasm' });
      const b = await Machine.load(testObject('vm_inline'), { ...options, engine: 'interp' });
      const many = a.repeat('vm_inline_xdp', packet, {}, 50);
      const one = b.repeat('vm_inline_xdp', packet, {}, 50);
      expect([many.outcome.r0, many.outcome.redirect, hex(many.outcome.packet)]).toEqual([one.outcome.r0, one.outcome.redirect, hex(one.outcome.packet)]);
      expect(a.maps.map((m) => dumpMap(m).map((e) => hex(e.key) + e.values.map(hex).join('/')))).toEqual(b.maps.map((m) => dumpMap(m).map((e) => hex(e.key) + e.values.map(hex).join('/'))));
    });
  });
});
