import { describe, expect, it } from 'vitest';
import { HelperError, MapError, VmFault } from '../../src/internal/errors.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { DEFAULT_CPUS, load } from '../../src/sim/object.js';
import { BPF_EXIST, BPF_NOEXIST } from '../../src/uapi/index.js';
import { availableBackends } from '../support/backends.js';
import { thrown } from '../support/errors.js';
import { testObject } from '../kernel/require-kernel.js';
import { engines } from '../vm/engines.js';

const OBJECT = testObject('api_typed');
const PACKET = buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 1, dport: 80 } });
const KEY = { saddr: '10.1.2.3', dport: 8080, proto: 6, pad: 0 };
const INFO = { packets: 5n, mac: '02:00:00:00:00:0a', port: 443, addr6: 'fd00::1', tags: [1, 2] };

/** The MapError `fn` throws: its errno name (any other error fails the test). */
function errnoOf(fn: () => unknown): string | undefined {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(MapError);
  return (err as MapError).errno;
}

describe.each(engines)('api handles on $name', ({ name }) => {
  const engine = name as 'wasm' | 'interp';

  it('writes and reads map values shaped like the C types, in network order where BTF says __be', async () => {
    const obj = await load(OBJECT, { engine });
    const flows = obj.map('flows');
    flows.set(KEY, INFO);
    expect(flows.get(KEY)).toEqual({ packets: 5n, mac: [2, 0, 0, 0, 0, 10], port: 443, addr6: 'fd00::1', tags: [1, 2] });
    // The bytes are the kernel's: __be32 10.1.2.3 and __be16 8080 (0x1f90) big-endian.
    expect([...flows.keys()]).toEqual([{ saddr: 0x0a010203, dport: 8080, proto: 6, pad: 0 }]);
    const raw = new Uint8Array([10, 1, 2, 3, 0x1f, 0x90, 6, 0]);
    expect(flows.get(raw)).toMatchObject({ packets: 5n });
    expect(flows.entries()).toHaveLength(1);
  });

  it('gives the errno of a refused update or delete as a MapError', async () => {
    const flows = (await load(OBJECT, { engine })).map('flows');
    flows.set(KEY, INFO);
    expect(errnoOf(() => flows.set(KEY, INFO, { flags: BPF_NOEXIST }))).toBe('EEXIST');
    expect(errnoOf(() => flows.set({ ...KEY, proto: 17 }, INFO, { flags: BPF_EXIST }))).toBe('ENOENT');
    flows.delete(KEY);
    expect(errnoOf(() => flows.delete(KEY))).toBe('ENOENT');
    expect(flows.get(KEY)).toBeUndefined();
    expect(errnoOf(() => obj4(flows))).toBe('E2BIG');
  });

  it('refuses values the C type cannot hold', async () => {
    const flows = (await load(OBJECT, { engine })).map('flows');
    for (const bad of [{ ...KEY, dport: 70000 }, { ...KEY, nope: 1 }, { ...KEY, saddr: '10.1.2' }, 'x', null, 5]) {
      const err = thrown(() => flows.set(bad as never, INFO));
      expect(err).toBeInstanceOf(MapError);
      expect((err as MapError).code).toMatch(/^map\/bad-(value|size)$/);
    }
  });

  it('keeps one value per CPU in per-CPU maps, DEFAULT_CPUS of them by default', async () => {
    const obj = await load(OBJECT, { engine });
    const prog = obj.program('api_good');
    prog.run(PACKET, { cpu: 2 });
    prog.run(PACKET, { cpu: 2 });
    prog.run(PACKET);
    expect(obj.map('hits').get(0)).toEqual([1n, 0n, 2n, 0n].slice(0, DEFAULT_CPUS));
    obj.map('hits').set(1, [1n, 2n, 3n, 4n]);
    expect(obj.map('hits').get(1)).toEqual([1n, 2n, 3n, 4n]);
    obj.map('hits').clear();
    expect(obj.map('hits').entries()).toEqual([]);
  });

  it('sets const volatile globals before load and freezes .rodata after', async () => {
    const plain = await load(OBJECT, { engine });
    expect(plain.program('api_good').run(PACKET).retval).toBe(80 + 2);
    const obj = await load(OBJECT, { engine, rodata: { target_port: 8080, config: { vip: '10.0.0.1', weights: [3, 4] } } });
    expect(obj.program('api_good').run(PACKET).retval).toBe(8080 + 7);
    expect(obj.map('.rodata').get(0)).toMatchObject({ target_port: 8080, config: { vip: 0x0a000001, weights: [3, 4] } });
    expect(errnoOf(() => obj.map('.rodata').set(0, new Uint8Array(obj.map('.rodata').spec.valueSize)))).toBe('EPERM');
    // The program sees the struct it was given: a flow from the vip on port 8080 is counted.
    obj.map('flows').set({ saddr: '10.0.0.1', dport: 8080, proto: 6, pad: 0 }, INFO);
    obj.program('api_good').run(PACKET);
    expect(obj.map('flows').get({ saddr: '10.0.0.1', dport: 8080, proto: 6, pad: 0 })).toMatchObject({ packets: 6n });
  });

  it('refuses a rodata name the object does not declare', async () => {
    await expect(load(OBJECT, { engine, rodata: { no_such: 1 } })).rejects.toMatchObject({ code: 'load/unknown-variable' });
  });

  it('runs a good program of an object whose other program calls a helper bpfsim does not simulate', async () => {
    const obj = await load(OBJECT, { engine });
    expect(obj.program('api_good').run(PACKET).action).not.toBe('');
    const direct = thrown(() => obj.program('api_unsimulated').run(PACKET));
    expect(direct).toBeInstanceOf(VmFault);
    expect(direct).toMatchObject({ code: 'vm/helper-unsupported', source: expect.stringMatching(/^api_typed\.c:\d+$/) });
    expect((direct as VmFault).message).toMatch(/bpf_get_route_realm \(#24\) is allowed in SCHED_CLS programs but bpfsim does not simulate it yet \(api_typed\.c:\d+\)/);
    // Reached by a tail call: a fault once the prog array holds it, not before.
    expect(obj.program('api_jump').run(PACKET).action).toBe('TC_ACT_SHOT');
    obj.map('jump').set(0, obj.program('api_unsimulated'));
    expect(obj.map('jump').get(0)).toBe('api_unsimulated');
    expect(thrown(() => obj.program('api_jump').run(PACKET))).toMatchObject({ code: 'vm/helper-unsupported', program: 'api_unsimulated' });
  });
});

/** An update past max_entries (16) of the hash map. */
function obj4(flows: { set(k: unknown, v: unknown): void }): void {
  for (let i = 0; i < 17; i++) flows.set({ ...KEY, proto: i }, INFO);
}

const backends = await availableBackends();

describe.each(backends)('case rodata on $name', (backend) => {
  it('sets const volatile globals from the case before load', async () => {
    const c = parseCase({ object: OBJECT, program: 'api_good', packet: Buffer.from(PACKET).toString('hex'), rodata: { target_port: 1000, config: { weights: [5, 6] } } }, '/');
    const result = await backend.run(c);
    expect(result.retval).toBe(1011);
  });
});
