import { describe, expect, it } from 'vitest';
import { SimKernel } from '../../src/helpers/kernel-state.js';
import { formatIp, parseIp, parsePrefix } from '../../src/helpers/net-addr.js';
import { SimNetwork } from '../../src/helpers/sim-network.js';
import { INLINE_STATE } from '../../src/helpers/inline/state.js';
import { VmMemory } from '../../src/vm/memory.js';
import { CaseError } from '../../src/internal/errors.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof CaseError) return err.code;
    throw err;
  }
  return 'ok';
}

describe('helpers', () => {
  it.each([
    { name: 'IPv4', have: '10.1.0.254', want: '10.1.0.254' },
    { name: 'compressed IPv6', have: 'fd01::fe', want: 'fd01::fe' },
    { name: 'full IPv6', have: '2001:0db8:0000:0000:0000:0000:0000:0001', want: '2001:db8::1' },
    { name: 'IPv6 with an IPv4 tail', have: '::ffff:10.0.0.1', want: '::ffff:10.0.0.1' },
    { name: 'IPv6 with an IPv4 tail, not mapped', have: '64:ff9b::10.0.0.1', want: '64:ff9b::a00:1' },
    { name: 'the unspecified IPv6 address', have: '::', want: '::' },
  ])('parses and prints addresses: $name', ({ have, want }) => {
    expect(formatIp(parseIp(have))).toBe(want);
  });

  it.each([
    { name: 'an IPv4 octet past 255', have: () => parseIp('10.1.0.256') },
    { name: 'two IPv6 gaps', have: () => parseIp('fd01::1::2') },
    // `ip addr add 010.1.0.1/24` reads the octet as octal (8.1.0.1 on 6.18): refused rather than read otherwise.
    { name: 'an IPv4 octet with a leading zero', have: () => parseIp('010.1.0.1') },
    { name: 'a MAC with dashes, which ip refuses', have: () => new SimNetwork({ interfaces: [{ ifindex: 2, name: 'e', mac: '02-00-00-00-00-01', addrs: [] }] }) },
    { name: 'a prefix past 32 bits', have: () => parsePrefix('10.0.0.0/33') },
    { name: 'a short MAC', have: () => new SimNetwork({ interfaces: [{ ifindex: 2, name: 'e', mac: '02:00', addrs: [] }] }) },
    { name: 'a route through a missing interface', have: () => new SimNetwork({ routes: [{ dst: '10.0.0.0/8', dev: 5 }] }) },
    { name: 'a neighbour on a missing interface', have: () => new SimNetwork({ neighbors: [{ ip: '10.0.0.1', mac: '02:00:00:00:00:01', dev: 5 }] }) },
    { name: 'an ifindex used twice', have: () => new SimNetwork({ interfaces: [{ ifindex: 2, name: 'a', mac: '02:00:00:00:00:01', addrs: [] }, { ifindex: 2, name: 'b', mac: '02:00:00:00:00:02', addrs: [] }] }) },
    // From JSON: values of the wrong type are refused, not parsed (they used to escape as a TypeError).
    { name: 'an address that is a number', have: () => new SimNetwork({ interfaces: [{ ifindex: 2, name: 'e', mac: '02:00:00:00:00:01', addrs: [5 as unknown as string] }] }) },
    { name: 'a MAC that is a number', have: () => new SimNetwork({ interfaces: [{ ifindex: 2, name: 'e', mac: 2 as unknown as string, addrs: [] }] }) },
    { name: 'a route without dst', have: () => new SimNetwork({ routes: [{ dev: 1 } as unknown as { dst: string; dev: number }] }) },
    // ip link set ... mtu 67 / 65536 on a veth: "mtu less than device minimum" / "greater than device maximum" (6.18).
    { name: 'an MTU below 68', have: () => new SimNetwork({ interfaces: [{ ifindex: 2, name: 'e', mac: '02:00:00:00:00:01', addrs: [], mtu: 67 }] }) },
    { name: 'an MTU above 65535', have: () => new SimNetwork({ interfaces: [{ ifindex: 2, name: 'e', mac: '02:00:00:00:00:01', addrs: [], mtu: 65536 }] }) },
  ])('refuses a bad fib: $name', ({ have }) => {
    expect(codeOf(have)).toBe('case/bad-fib');
  });

  it('adds the routes the kernel adds for interface addresses', () => {
    const net = new SimNetwork({ interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24', '10.1.0.2/24', 'fd01::1/64'] }] });
    const lookup = (ip: string) => net.lookup(parseIp(ip), [255, 254]);
    expect(lookup('10.1.0.1')?.type).toBe('local');
    expect(lookup('10.1.0.2')?.type).toBe('local');
    expect(lookup('10.1.0.255')?.type).toBe('broadcast');
    expect(lookup('10.1.0.9')).toMatchObject({ type: 'unicast', dev: 2, metric: 0 });
    expect(lookup('127.0.0.5')?.type).toBe('local');
    expect(lookup('fd01::9')).toMatchObject({ type: 'unicast', dev: 2, metric: 256 });
    expect(lookup('fd01::1')?.type).toBe('local');
    expect(lookup('192.0.2.1')).toBeUndefined();
    // The second address of the subnet is secondary: one prefix route only.
    expect(net.routes.filter((r) => r.table === 254 && r.prefix.family === 4)).toHaveLength(1);
  });

  it('prefers the lowest metric among routes of the same prefix', () => {
    const net = new SimNetwork({
      interfaces: [
        { ifindex: 2, name: 'a', mac: '02:00:00:00:00:01', addrs: ['fd01::1/64'] },
        { ifindex: 3, name: 'b', mac: '02:00:00:00:00:02', addrs: ['fd02::1/64'] },
      ],
      routes: [{ dst: 'fd09::/32', via: 'fd02::fe', dev: 3 }],
    });
    net.routes.push({ ...net.routes.at(-1)!, dev: 2, metric: 10 });
    expect(net.lookup(parseIp('fd09::1'), [255, 254])?.dev).toBe(2);
  });

  it('resets per-run outputs and keeps the clock, network and random state', () => {
    const kernel = new SimKernel({ cpus: 4, cpu: 3, clockNs: 77n });
    kernel.trace.push('x');
    kernel.setRedirect({ ifindex: 2, flags: 0 });
    kernel.warnings.push({ code: 'w', message: 'm' });
    const before = kernel.nextRandom();
    kernel.beginRun();
    expect([kernel.trace, kernel.takeRedirect(), kernel.clones, kernel.warnings]).toEqual([[], null, [], []]);
    expect([kernel.clockNs, kernel.cpu, kernel.cpus]).toEqual([77n, 3, 4]);
    expect(kernel.nextRandom()).not.toBe(before);
    expect(() => new SimKernel({ cpus: 2, cpu: 2 })).toThrow(RangeError);
  });

  it('hands out the last redirect of a run once, whether a helper recorded it or inline code left it in the control block', () => {
    const kernel = new SimKernel();
    const mem = new VmMemory();
    kernel.bindMemory(mem);
    const inline = (ifindex: number, flags: number): void => {
      const at = INLINE_STATE.REDIRECT;
      mem.view.setUint32(at, 1, true);
      mem.view.setUint32(at + 4, ifindex, true);
      mem.view.setUint32(at + 8, flags, true);
    };
    kernel.setRedirect({ ifindex: 2, flags: 0 });
    inline(5, 1);
    expect(kernel.takeRedirect()).toEqual({ ifindex: 5, flags: 1 });
    expect(kernel.takeRedirect()).toBeNull();
    inline(6, 0);
    kernel.setRedirect({ ifindex: 3, flags: 0 });
    expect(kernel.takeRedirect()).toEqual({ ifindex: 3, flags: 0 });
    expect(kernel.takeRedirect()).toBeNull();
  });
});
