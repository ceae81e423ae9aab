import { describe, expect, it } from 'vitest';
import { buildPacket } from '../../src/packet/index.js';
import { Machine } from '../../src/sim/machine.js';
import { bpfMatchers, type BpfMatchers } from '../../src/testing/index.js';
import { engines } from '../vm/engines.js';
import { testObject } from '../kernel/require-kernel.js';

declare module 'vitest' {
  interface Assertion<T> extends BpfMatchers<T> {}
}
expect.extend(bpfMatchers);

const OBJECT = testObject('testing_checks');
const dns = (ttl: number, dport: number) => buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2', ttl }, udp: { sport: 1000, dport }, payload: 'q' });

describe.each(engines)('testing matchers on $name', ({ name }) => {
  it('passes when every check in the program holds', async () => {
    const machine = await Machine.load(OBJECT, { engine: name as 'wasm' | 'interp', cpus: 1 });
    const run = machine.run('checks', dns(64, 53));
    expect(run).toPassBpfChecks('bpf/tests/testing_checks.c');
    expect(run).toHaveAction('XDP_ABORTED');
    expect(run).toHaveValidChecksums();
  });

  it('names the line of the first failed check', async () => {
    const machine = await Machine.load(OBJECT, { engine: name as 'wasm' | 'interp', cpus: 1 });
    const run = machine.run('checks', dns(63, 53));
    const result = bpfMatchers.toPassBpfChecks(run, 'bpf/tests/testing_checks.c');
    expect(result.pass).toBe(false);
    expect(result.message()).toBe('check failed at bpf/tests/testing_checks.c:21');
    expect(bpfMatchers.toPassBpfChecks(machine.run('checks', dns(64, 54)), 'x.c').message()).toBe('check failed at x.c:25');
  });

  it('reports a bad checksum', async () => {
    const frame = dns(64, 53);
    frame[24] ^= 0xff;
    const result = bpfMatchers.toHaveValidChecksums({ retval: 0, action: 'XDP_PASS', packet: frame });
    expect(result.pass).toBe(false);
    expect(result.message()).toContain('ip');
  });
});

