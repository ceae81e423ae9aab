/**
 * Several objects in one machine: maps pinned by name (LIBBPF_PIN_BY_NAME) are one map, reused
 * when compatible and refused otherwise, as libbpf's bpf_object__reuse_map() does; unpinned maps
 * of the same name stay separate.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, LoadError } from '../../src/internal/errors.js';
import { Machine } from '../../src/sim/machine.js';
import { load } from '../../src/sim/object.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { testObject } from '../kernel/require-kernel.js';

let A = '';
let B = '';
let BAD = '';
beforeAll(() => {
  A = testObject('loader_pin_a');
  B = testObject('loader_pin_b');
  BAD = testObject('loader_pin_bad');
});

const frame = (n: number, first = 0) => new Uint8Array(n).fill(first, 0, 1);

describe.each([...ENGINE_NAMES])('objects sharing a machine on %s', (engine) => {
  it('share a map both pin by name, and keep their unpinned maps apart', async () => {
    const machine = new Machine();
    const a = await load(A, { engine, machine });
    const b = await load(B, { engine, machine });
    expect(machine.pinned).toEqual(['pin_counts']);
    const police = b.program('pin_police');
    expect(police.run(frame(60), { ctx: { mark: 3 } }).action).toBe('TC_ACT_OK');
    for (const len of [60, 70, 80]) expect(a.program('pin_count').run(frame(len, 3)).action).toBe('XDP_PASS');
    expect(police.run(frame(60), { ctx: { mark: 3 } }).action).toBe('TC_ACT_SHOT');
    expect(police.run(frame(60), { ctx: { mark: 4 } }).action).toBe('TC_ACT_OK');
    // Each object's handle reads the shared map; the creator's BTF types it.
    expect(b.map('pin_counts').get(3)).toEqual({ packets: 3n, bytes: 210n });
    expect(a.map('pin_counts').get(3)).toEqual({ packets: 3n, bytes: 210n });
    b.map('pin_counts').delete(3);
    expect(a.map('pin_counts').has(3)).toBe(false);
    // `private_a` has the same name in both objects but is not pinned: two maps.
    expect(b.map('private_a').get(0)).toBe(3);
    expect(a.map('private_a').get(0)).toBe(0);
  });

  it('keeps objects loaded without a machine apart, as separate hosts', async () => {
    const a = await load(A, { engine });
    const b = await load(B, { engine });
    for (let i = 0; i < 3; i++) a.program('pin_count').run(frame(60));
    expect(b.program('pin_police').run(frame(60)).action).toBe('TC_ACT_OK');
    expect(b.map('pin_counts').has(0)).toBe(false);
  });
});

describe('machine', () => {
  it('refuses to reuse a pinned map whose definition differs, as libbpf (map_is_reuse_compat)', async () => {
    const machine = new Machine();
    await load(A, { machine });
    let err: unknown;
    try {
      await load(BAD, { machine });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoadError);
    expect((err as LoadError).code).toBe('load/pin-mismatch');
    expect((err as LoadError).message).toMatch(/pin_counts.*max_entries/);
  });

  it('takes cpus, clock, seed and fib only from the machine', async () => {
    const machine = new Machine({ cpus: 2 });
    expect((await load(A, { machine })).cpus).toBe(2);
    await expect(load(A, { machine, cpus: 2 })).rejects.toMatchObject({ code: 'arg/range' });
    await expect(load(A, { machine: {} as Machine })).rejects.toBeInstanceOf(ArgumentError);
    expect(() => new Machine({ clock: 'soon' as unknown as number })).toThrow(ArgumentError);
  });
});
