import { describe, expect, it } from 'vitest';
import { KernelError } from '../../src/internal/errors.js';
import { fibCommands, forwardingSysctls } from '../../src/kernel/netns.js';

describe('kernel', () => {
  it('builds interfaces as veth pairs with their ifindex, MAC, MTU and addresses', () => {
    const cmds = fibCommands({
      interfaces: [{ ifindex: 4, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24', 'fd01::1/64'], mtu: 1400 }],
    }).map((c) => c.join(' '));
    expect(cmds).toEqual([
      'ip link set lo up',
      'ip link add eth1 index 4 type veth peer name eth1-p index 10004',
      'ip link set dev eth1 address 02:00:00:00:01:01 mtu 1400',
      'ip link set dev eth1-p mtu 1400',
      'ip -4 addr add 10.1.0.1/24 dev eth1',
      'ip -6 addr add fd01::1/64 dev eth1 nodad',
      'ip link set dev eth1-p up',
      'ip link set dev eth1 up',
    ]);
  });

  it.each([
    { name: 'IPv4 via', have: { dst: '10.9.0.0/16', via: '10.1.0.254', dev: 2 }, want: 'ip -4 route add 10.9.0.0/16 via 10.1.0.254 dev eth1' },
    { name: 'IPv6 default', have: { dst: 'default', via: 'fd01::fe', dev: 2 }, want: 'ip -6 route add default via fd01::fe dev eth1' },
    { name: 'connected', have: { dst: 'fd09::/64', dev: 2 }, want: 'ip -6 route add fd09::/64 dev eth1' },
    { name: 'loopback', have: { dst: '10.7.0.0/16', dev: 1 }, want: 'ip -4 route add 10.7.0.0/16 dev lo' },
  ])('adds a route: $name', ({ have, want }) => {
    const cmds = fibCommands({ interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: [] }], routes: [have] });
    expect(cmds[cmds.length - 1].join(' ')).toBe(want);
  });

  it.each([
    { name: 'IPv4 blackhole', have: { dst: '10.66.0.0/16', dev: 2, type: 'blackhole' as const }, want: 'ip -4 route add blackhole 10.66.0.0/16' },
    { name: 'IPv4 unreachable', have: { dst: '10.67.0.0/16', dev: 9, type: 'unreachable' as const }, want: 'ip -4 route add unreachable 10.67.0.0/16' },
    { name: 'IPv6 prohibit', have: { dst: 'fd68::/64', dev: 2, type: 'prohibit' as const }, want: 'ip -6 route add prohibit fd68::/64' },
    { name: 'explicit unicast', have: { dst: '10.9.0.0/16', dev: 2, type: 'unicast' as const }, want: 'ip -4 route add 10.9.0.0/16 dev eth1' },
  ])('adds a route with its type: $name', ({ have, want }) => {
    const cmds = fibCommands({ interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: [] }], routes: [have] });
    expect(cmds[cmds.length - 1].join(' ')).toBe(want);
  });

  it('adds permanent neighbours', () => {
    const cmds = fibCommands({ interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: [] }], neighbors: [{ ip: '10.1.0.254', mac: '02:00:00:00:01:fe', dev: 2 }] });
    expect(cmds[cmds.length - 1].join(' ')).toBe('ip -4 neigh replace 10.1.0.254 lladdr 02:00:00:00:01:fe dev eth1 nud permanent');
  });

  it('gives long interface names a peer name that fits IFNAMSIZ', () => {
    const cmds = fibCommands({ interfaces: [{ ifindex: 7, name: 'fifteen-chars-x', mac: '02:00:00:00:01:01', addrs: [] }] });
    expect(cmds[1].join(' ')).toBe('ip link add fifteen-chars-x index 7 type veth peer name bpfsimp7 index 10007');
  });

  it('rejects a route through an interface the fib lacks', () => {
    expect(() => fibCommands({ routes: [{ dst: '10.0.0.0/8', dev: 9 }] })).toThrow(KernelError);
    try {
      fibCommands({ neighbors: [{ ip: '10.0.0.1', mac: '02:00:00:00:00:01', dev: 9 }] });
      expect.unreachable();
    } catch (err) {
      expect((err as KernelError).code).toBe('kernel/bad-fib');
    }
  });

  it.each([
    { have: true, want: '1' },
    { have: false, want: '0' },
  ])('writes forwarding $have to IPv4 and IPv6 sysctls', ({ have, want }) => {
    const s = forwardingSysctls(have);
    expect(s.map(([f]) => f)).toContain('/proc/sys/net/ipv6/conf/all/forwarding');
    expect(s.every(([, v]) => v === want)).toBe(true);
  });
});
