import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelAvailable, load, parity, readCase, runCase, VmFault } from '../../src/index.js';
import { buildPacket } from '../../src/packet/index.js';
import '../../src/testing/vitest.js';
import { kernelOrSkip, ROOT, testObject } from '../kernel/require-kernel.js';
import { thrown } from '../support/errors.js';
import { engines } from '../vm/engines.js';

const BLACKLIST = join(ROOT, 'build/bpf/xdp_blacklist.o');
const DENIED = join(ROOT, 'fixtures/cases/xdp_blacklist_v4_denied.json');
const FRAME = buildPacket({ ipv4: { src: '10.0.0.66', dst: '10.0.0.2' }, tcp: { sport: 1234, dport: 80 } });
const available = await kernelOrSkip();

describe.each(engines)('the run API on $name', ({ name }) => {
  const engine = name as 'wasm' | 'interp';

  it('names the C file and line of a fault in the message, not only in source', async () => {
    const obj = await load(BLACKLIST, { engine, budget: 10 });
    const err = thrown(() => obj.program('xdp_blacklist').run(FRAME));
    expect(err).toBeInstanceOf(VmFault);
    const source = (err as VmFault).source;
    expect(source).toMatch(/^xdp_blacklist\.c:\d+$/);
    expect((err as VmFault).message.endsWith(`(${source})`)).toBe(true);
  });

  it('warns about uninitialised map key bytes from prog.run itself, against the stack fill it starts with', async () => {
    const obj = await load(testObject('warn_uninit_key'), { engine });
    const udp = buildPacket({ ipv4: {}, udp: {} });
    const padded = obj.program('padded_key');
    expect(padded.run(udp, { ctx: { ingress_ifindex: 1 } }).warnings).toMatchObject([{ code: 'uninit-map-key', source: 'warn_uninit_key.c:23' }]);
    expect(obj.program('zeroed_key').run(udp, { ctx: { ingress_ifindex: 1 } }).warnings).toEqual([]);
    // The check follows the fill the run starts with, whatever it is.
    expect(padded.run(udp, { ctx: { ingress_ifindex: 1 }, stackFill: 0x55 }).warnings).toMatchObject([{ code: 'uninit-map-key' }]);
  });

  it('gives a program handle its spec', async () => {
    const prog = (await load(BLACKLIST, { engine })).program('xdp_blacklist');
    expect(prog.spec.name).toBe('xdp_blacklist');
    expect(prog.spec.sectionName).toBe('xdp');
    expect(prog.type).toBe('xdp');
  });

  it('lets the matchers compare the bytes of a case result', async () => {
    const c = await readCase(DENIED);
    const result = await runCase(c, { engine });
    expect(result.packet).toBeInstanceOf(Uint8Array);
    expect(result).toHaveAction('XDP_DROP');
    expect(result).toEqualPacket(c.packet);
    const changed = c.packet.slice();
    changed[30] ^= 1; // the IPv4 destination
    expect(result).not.toEqualPacket(changed);
  });
});

describe('kernelAvailable', () => {
  it('says whether the kernel backend runs here, with the reason when not', async () => {
    const k = await kernelAvailable();
    expect(typeof k.ok).toBe('boolean');
    if (!k.ok) expect(k.reason).toMatch(/\S/);
    expect(k.ok).toBe(available);
  });
});

describe.runIf(available)('parity through the API', () => {
  it('runs a case file on the VM and the kernel and finds them agreeing, byte for byte', async () => {
    const report = await parity(DENIED);
    expect(report.differences).toEqual([]);
    expect(report.agree).toBe(true);
    expect(report.vm!.packet).toEqual(report.kernel!.packet);
    expect(report.vm!.maps.deny_v4).toEqual(report.kernel!.maps.deny_v4);
  });
});
