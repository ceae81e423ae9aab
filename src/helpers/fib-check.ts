import type { FibSpec } from '../internal/contract.js';
import { CaseError } from '../internal/errors.js';
import { formatIp, networkOf, parseIp, parseMac, parsePrefix, type IpPrefix } from './net-addr.js';

/** Interface names are at most IFNAMSIZ - 1 = 15 bytes (include/uapi/linux/if.h). */
export const IFNAME_MAX = 15;

/** The largest ifindex the kernel hands out or accepts (a positive int, dev_index_reserve). */
export const IFINDEX_MAX = 0x7fff_ffff;

/** IPV6_MIN_MTU (include/linux/ipv6.h): below it a device cannot carry IPv6 addresses. */
const IPV6_MIN_MTU = 1280;

/** The route types a case may name (rtnetlink RTN_*); the kernel backend passes them to `ip route add`. */
export const CASE_ROUTE_TYPES = ['unicast', 'blackhole', 'unreachable', 'prohibit'] as const;

function bad(what: string, message: string): CaseError {
  return new CaseError('case/bad-fib', `fib: ${what}: ${message}`);
}

/**
 * dev_valid_name (net/core/dev.c): 1 to 15 bytes, not `.` or `..`, no `/`, `:` or white space.
 * `lo` is taken: interface 1 is always loopback.
 */
function checkName(name: unknown, what: string, taken: Set<string>): void {
  if (typeof name !== 'string') throw bad(what, `expected a string, got ${JSON.stringify(name) ?? String(name)}`);
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes > IFNAME_MAX) throw bad(what, `expected an interface name of 1 to ${IFNAME_MAX} bytes, got '${name}'`);
  if (name === '.' || name === '..' || /[/:\s]/.test(name)) throw bad(what, `'${name}' is not a valid interface name (no '/', ':' or white space)`);
  if (taken.has(name)) throw bad(what, `interface name '${name}' is used twice${name === 'lo' ? ' (interface 1 is loopback)' : ''}`);
  taken.add(name);
}

/** is_valid_ether_addr (include/linux/etherdevice.h): not multicast, not all zeros (eth_validate_addr: EADDRNOTAVAIL). */
function checkMac(text: string, what: string): void {
  const mac = parseMac(text, what);
  if (mac[0]! & 1) throw bad(what, `${text} is a multicast address`);
  if (mac.every((b) => b === 0)) throw bad(what, `${text} is all zeros`);
}

function integer(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(what, `expected an integer from ${min} to ${max}, got ${JSON.stringify(v) ?? String(v)}`);
  return v;
}

/** `family/network/len` of a prefix, for duplicate detection. */
function prefixKey(p: IpPrefix): string {
  return `${p.family}/${networkOf(p)}/${p.len}`;
}

/**
 * Checks a FIB as the kernel's netlink would when the kernel backend builds it, so that both
 * backends refuse the same FIBs (throws CaseError `case/bad-fib` naming the field):
 * interfaces: ifindex 2 to 2^31-1 used once (1 is loopback), a valid unique name, a unicast
 * non-zero MAC (EADDRNOTAVAIL), MTU 68 to 65535 (dev_validate_mtu for veth) and at least 1280
 * for an interface with IPv6 addresses (addrconf), no address twice (IPv4: the same address and
 * length, IPv6: the same address; EEXIST). Routes: a known type, no host bits in an IPv4 prefix
 * (fib_table_insert: "Invalid prefix for given prefix length"; IPv6 masks them), an interface
 * that exists for a unicast route, no route twice (the same prefix and metric, counting the
 * connected IPv4 routes of the interfaces' addresses; EEXIST). Neighbours: an address, a MAC
 * and an interface that exists. Each rule was checked with iproute2 on Linux 6.18.
 */
export function validateFib(fib: FibSpec): void {
  const ifindexes = new Set<number>([1]);
  const names = new Set<string>(['lo']);
  const routeKeys = new Set<string>();
  for (const [i, itf] of (fib.interfaces ?? []).entries()) {
    const what = `interfaces[${i}]`;
    if (itf === null || typeof itf !== 'object') throw bad(what, 'expected an object');
    const ifindex = integer(itf.ifindex, 1, IFINDEX_MAX, `${what}.ifindex`);
    if (ifindex === 1) throw bad(`${what}.ifindex`, 'interface 1 is loopback and always present');
    if (ifindexes.has(ifindex)) throw bad(`${what}.ifindex`, `ifindex ${ifindex} is used twice`);
    ifindexes.add(ifindex);
    checkName(itf.name, `${what}.name`, names);
    checkMac(itf.mac, `${what}.mac`);
    const mtu = itf.mtu === undefined ? 1500 : integer(itf.mtu, 68, 65535, `${what}.mtu`);
    if (itf.addrs !== undefined && !Array.isArray(itf.addrs)) throw bad(`${what}.addrs`, `expected an array, got ${JSON.stringify(itf.addrs)}`);
    const seen = new Set<string>();
    for (const [j, text] of (itf.addrs ?? []).entries()) {
      const a = parsePrefix(text, `${what}.addrs[${j}]`);
      if (a.family === 6 && mtu < IPV6_MIN_MTU) throw bad(`${what}.addrs[${j}]`, `an IPv6 address needs an MTU of at least ${IPV6_MIN_MTU}, the interface has ${mtu}`);
      const key = a.family === 4 ? `4/${a.value}/${a.len}` : `6/${a.value}`;
      if (seen.has(key)) throw bad(`${what}.addrs[${j}]`, `address ${text} is on the interface twice`);
      seen.add(key);
      // fib_add_ifaddr: the connected route of an IPv4 subnet, in table main with metric 0 as a case's routes.
      if (a.family === 4 && a.len < 32 && networkOf(a) !== 0n) routeKeys.add(prefixKey(a));
    }
  }
  for (const [i, r] of (fib.routes ?? []).entries()) {
    const what = `routes[${i}]`;
    if (r === null || typeof r !== 'object') throw bad(what, 'expected an object');
    const type = r.type ?? 'unicast';
    if (!(CASE_ROUTE_TYPES as readonly string[]).includes(type)) throw bad(`${what}.type`, `expected one of ${CASE_ROUTE_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
    const gateway = r.via !== undefined ? parseIp(r.via, `${what}.via`) : undefined;
    const prefix = parsePrefix(r.dst, `${what}.dst`, gateway?.family ?? 4);
    if (prefix.family === 4 && networkOf(prefix) !== prefix.value) throw bad(`${what}.dst`, `${r.dst} has host bits set (the network is ${formatNetwork(prefix)})`);
    if (type === 'unicast') {
      const dev = integer(r.dev, 1, IFINDEX_MAX, `${what}.dev`);
      if (!ifindexes.has(dev)) throw bad(what, `no interface with ifindex ${dev}`);
    } else if (gateway) {
      throw bad(`${what}.via`, `a ${type} route has no gateway`);
    }
    const key = prefixKey(prefix);
    if (routeKeys.has(key)) throw bad(`${what}.dst`, `a route to ${formatNetwork(prefix)} exists already (an earlier route or an interface's subnet)`);
    routeKeys.add(key);
  }
  for (const [i, n] of (fib.neighbors ?? []).entries()) {
    const what = `neighbors[${i}]`;
    if (n === null || typeof n !== 'object') throw bad(what, 'expected an object');
    parseIp(n.ip, `${what}.ip`);
    parseMac(n.mac, `${what}.mac`);
    const dev = integer(n.dev, 1, IFINDEX_MAX, `${what}.dev`);
    if (!ifindexes.has(dev)) throw bad(what, `no interface with ifindex ${dev}`);
  }
  if (fib.forwarding !== undefined && typeof fib.forwarding !== 'boolean') throw bad('forwarding', `expected a boolean, got ${JSON.stringify(fib.forwarding)}`);
}

/** `10.9.0.0/16` for a prefix with host bits cleared. */
function formatNetwork(p: IpPrefix): string {
  return `${formatIp({ family: p.family, value: networkOf(p) })}/${p.len}`;
}
