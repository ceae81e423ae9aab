import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { validateFib } from '../../src/helpers/fib-check.js';
import { SimNetwork } from '../../src/helpers/sim-network.js';
import type { FibSpec } from '../../src/internal/contract.js';
import { CaseError } from '../../src/internal/errors.js';
import { fibCommands } from '../../src/kernel/netns.js';

/**
 * The FIB rules both backends apply (src/helpers/fib-check.ts): each refused FIB is refused by
 * the kernel's netlink when iproute2 builds it in a private network namespace, and each accepted
 * edge case is accepted there (run as root; skipped elsewhere).
 */

const ETH1 = { ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24', 'fd01::1/64'] };
const fib = (over: Partial<FibSpec> & { eth1?: Partial<typeof ETH1> } = {}): FibSpec => {
  const { eth1, ...rest } = over;
  return { interfaces: [{ ...ETH1, ...eth1 }], routes: [], neighbors: [], ...rest };
};
const route = { dst: '10.9.0.0/16', via: '10.1.0.254', dev: 2 };

const refused: { name: string; have: FibSpec; path: string }[] = [
  { name: 'a duplicate interface name', have: fib({ interfaces: [ETH1, { ...ETH1, ifindex: 3, mac: '02:00:00:00:01:02', addrs: [] }] }), path: 'interfaces[1].name' },
  { name: 'an interface named lo', have: fib({ eth1: { name: 'lo' } }), path: 'interfaces[0].name' },
  { name: 'a name of 16 characters', have: fib({ eth1: { name: 'abcdefghijklmnop' } }), path: 'interfaces[0].name' },
  { name: 'an empty name', have: fib({ eth1: { name: '' } }), path: 'interfaces[0].name' },
  { name: 'a name with a slash', have: fib({ eth1: { name: 'a/b' } }), path: 'interfaces[0].name' },
  { name: 'a name with a space', have: fib({ eth1: { name: 'a b' } }), path: 'interfaces[0].name' },
  { name: 'a name with a colon', have: fib({ eth1: { name: 'a:b' } }), path: 'interfaces[0].name' },
  { name: 'an ifindex past 2^31-1', have: fib({ eth1: { ifindex: 2 ** 31 } }), path: 'interfaces[0].ifindex' },
  { name: 'a multicast MAC', have: fib({ eth1: { mac: '01:00:5e:00:00:01' } }), path: 'interfaces[0].mac' },
  { name: 'an all-zero MAC', have: fib({ eth1: { mac: '00:00:00:00:00:00' } }), path: 'interfaces[0].mac' },
  { name: 'an address twice', have: fib({ eth1: { addrs: ['10.1.0.1/24', '10.1.0.1/24'] } }), path: 'interfaces[0].addrs[1]' },
  { name: 'an IPv6 address below MTU 1280', have: fib({ eth1: { mtu: 1000 } as Partial<typeof ETH1> }), path: 'interfaces[0].addrs[1]' },
  { name: 'a duplicate route', have: fib({ routes: [route, { ...route, via: '10.1.0.253' }] }), path: 'routes[1].dst' },
  { name: 'a route duplicating a connected subnet', have: fib({ routes: [{ dst: '10.1.0.0/24', dev: 2 }] }), path: 'routes[0].dst' },
  { name: 'a blackhole over a route', have: fib({ routes: [route, { dst: '10.9.0.0/16', dev: 2, type: 'blackhole' }] }), path: 'routes[1].dst' },
  { name: 'a duplicate IPv6 route', have: fib({ routes: [{ dst: 'fd09::/64', via: 'fd01::fe', dev: 2 }, { dst: 'fd09::5/64', via: 'fd01::fd', dev: 2 }] }), path: 'routes[1].dst' },
  { name: 'host bits in an IPv4 route', have: fib({ routes: [{ ...route, dst: '10.9.0.5/16' }] }), path: 'routes[0].dst' },
  { name: 'an unknown route type', have: fib({ routes: [{ dst: '10.9.0.0/16', dev: 2, type: 'frob' as 'unicast' }] }), path: 'routes[0].type' },
  { name: 'two default routes', have: fib({ routes: [{ dst: 'default', via: '10.1.0.254', dev: 2 }, { dst: '0.0.0.0/0', via: '10.1.0.253', dev: 2 }] }), path: 'routes[1].dst' },
];

const accepted: { name: string; have: FibSpec }[] = [
  { name: 'a name of 15 characters and the largest ifindex', have: fib({ eth1: { name: 'abcdefghijklmno', ifindex: 2 ** 31 - 1 } }) },
  { name: 'host bits in an IPv6 route (masked)', have: fib({ routes: [{ dst: 'fd09::5/64', via: 'fd01::fe', dev: 2 }] }) },
  { name: 'an IPv6 route to a connected subnet (another metric)', have: fib({ routes: [{ dst: 'fd01::/64', dev: 2 }] }) },
  { name: 'one IPv4 address with two prefix lengths', have: fib({ eth1: { addrs: ['10.1.0.1/24', '10.1.0.1/16'] } }) },
  { name: 'an IPv4-only interface with MTU 1000', have: fib({ eth1: { mtu: 1000, addrs: ['10.1.0.1/24'] } as Partial<typeof ETH1> }) },
  { name: 'a blackhole and a unicast route to different prefixes', have: fib({ routes: [route, { dst: '10.8.0.0/16', dev: 2, type: 'blackhole' }] }) },
];

/** Builds `have` with iproute2 in a new network namespace: true when every command succeeds. */
function kernelAccepts(have: FibSpec): boolean {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const script = ['set -e', ...fibCommands(have).map((cmd) => cmd.map(quote).join(' '))].join('\n');
  try {
    execFileSync('unshare', ['--net', 'sh', '-c', script], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

const root = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('unshare', ['--net', 'true'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

describe('helpers: fib checks', () => {
  it.each(refused)('refuses $name at $path on both backends', ({ have, path }) => {
    for (const check of [() => validateFib(have), () => new SimNetwork(have)]) {
      let err: unknown;
      try {
        check();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CaseError);
      expect(err).toMatchObject({ code: 'case/bad-fib' });
      expect((err as Error).message.startsWith(`fib: ${path}`), (err as Error).message).toBe(true);
    }
  });

  it.each(accepted)('accepts $name', ({ have }) => {
    expect(() => new SimNetwork(have)).not.toThrow();
  });

  describe.runIf(root)('against the kernel (iproute2 in a private namespace)', () => {
    it.each(refused)('the kernel refuses $name too', ({ have }) => {
      expect(kernelAccepts(have)).toBe(false);
    });
    it.each(accepted)('the kernel accepts $name too', ({ have }) => {
      expect(kernelAccepts(have)).toBe(true);
    });
  });
});
