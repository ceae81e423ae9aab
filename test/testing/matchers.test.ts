import { describe, expect, it } from 'vitest';
import { buildPacket } from '../../src/packet/index.js';
import { load } from '../../src/sim/object.js';
import { bpfMatchers } from '../../src/testing/index.js';
import '../../src/testing/vitest.js';
import { engines } from '../vm/engines.js';
import { testObject } from '../kernel/require-kernel.js';

const OBJECT = testObject('testing_checks');
const dns = (ttl: number, dport: number) => buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2', ttl }, udp: { sport: 1000, dport }, payload: 'q' });

describe.each(engines)('testing matchers on $name', ({ name }) => {
  it('passes when every check in the program holds', async () => {
    const checks = (await load(OBJECT, { engine: name as 'wasm' | 'interp', cpus: 1 })).program('checks');
    const run = checks.run(dns(64, 53));
    expect(run).toPassBpfChecks('bpf/tests/testing_checks.c');
    expect(run).toHaveAction('XDP_ABORTED');
    expect(run).toHaveValidChecksums();
  });

  it('names the line of the first failed check', async () => {
    const checks = (await load(OBJECT, { engine: name as 'wasm' | 'interp', cpus: 1 })).program('checks');
    const run = checks.run(dns(63, 53));
    const result = bpfMatchers.toPassBpfChecks(run, 'bpf/tests/testing_checks.c');
    expect(result.pass).toBe(false);
    expect(result.message()).toBe('check failed at bpf/tests/testing_checks.c:21');
    expect(bpfMatchers.toPassBpfChecks(checks.run(dns(64, 54)), 'x.c').message()).toBe('check failed at x.c:25');
  });

  it('reports a bad checksum', async () => {
    const frame = dns(64, 53);
    frame[24] ^= 0xff;
    const result = bpfMatchers.toHaveValidChecksums({ retval: 0, action: 'XDP_PASS', packet: frame });
    expect(result.pass).toBe(false);
    expect(result.message()).toContain('ip');
  });

  it('diffs packets layer by layer', () => {
    const a = dns(64, 53);
    const b = dns(63, 53);
    expect({ retval: 2, action: 'XDP_PASS', packet: a }).toEqualPacket(a);
    const result = bpfMatchers.toEqualPacket({ retval: 2, action: 'XDP_PASS', packet: b }, a);
    expect(result.pass).toBe(false);
    expect(result.message()).toContain('ipv4.ttl: 64 != 63');
  });

  it('matches redirects and map entries', async () => {
    const run = { retval: 7, action: 'XDP_REDIRECT', packet: dns(64, 53), redirect: { ifindex: 3, flags: 0 } };
    expect(run).toHaveRedirectedTo(3);
    expect(run).not.toHaveRedirectedTo(4);
    expect({ ...run, redirect: null }).not.toHaveRedirectedTo(3);
    const obj = await load(testObject('api_typed'), { engine: name as 'wasm' | 'interp' });
    obj.map('flows').set({ saddr: '10.0.0.1', dport: 80, proto: 6, pad: 0 }, { packets: 3n, port: 443 });
    expect(obj.map('flows')).toHaveMapEntry({ saddr: '10.0.0.1', dport: 80, proto: 6, pad: 0 }, { packets: 3, port: 443 });
    expect(obj.map('flows')).not.toHaveMapEntry({ saddr: '10.0.0.1', dport: 80, proto: 6, pad: 0 }, { packets: 4 });
    expect(obj.map('flows')).not.toHaveMapEntry({ saddr: '10.0.0.2', dport: 80, proto: 6, pad: 0 });
  });
});
