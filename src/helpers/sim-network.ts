import { CaseError } from '../internal/errors.js';
import type { FibSpec } from '../internal/contract.js';
import { validateFib } from './fib-check.js';
import { addrBits, type IpAddr, type IpPrefix, networkOf, parseIp, parseMac, parsePrefix, prefixContains } from './net-addr.js';

/** One network interface of the simulated namespace (a veth end, or loopback at ifindex 1). */
export interface SimInterface {
  ifindex: number;
  name: string;
  mac: Uint8Array;
  /** dev->broadcast: all ones for Ethernet, all zeros for loopback. */
  broadcast: Uint8Array;
  mtu: number;
  loopback: boolean;
  /** Addresses with prefix, in the order given (the first of a subnet is its primary). */
  addrs: IpPrefix[];
}

/** A route type as in rtnetlink (RTN_*): only `unicast` is forwarded by bpf_fib_lookup. */
export type RouteType = 'unicast' | 'local' | 'broadcast' | 'blackhole' | 'unreachable' | 'prohibit';

/** One FIB entry: in the `local` table (255) or the `main` table (254). */
export interface SimRoute {
  table: 255 | 254;
  prefix: IpPrefix;
  type: RouteType;
  /** Outgoing interface; 0 for blackhole/unreachable/prohibit. */
  dev: number;
  gateway?: IpAddr;
  /** fib_priority (IPv4) or fib6_metric (IPv6). */
  metric: number;
  /** Preferred source (the address for the kernel's connected routes). */
  prefsrc?: IpAddr;
  /** RT_SCOPE_LINK (253) for routes without a gateway, RT_SCOPE_UNIVERSE (0) for gateway routes, RT_SCOPE_HOST (254) for local ones. */
  scope: number;
}

export interface SimNeighbor {
  ip: IpAddr;
  mac: Uint8Array;
  dev: number;
}

/** Route table ids (include/uapi/linux/rtnetlink.h). */
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_HOST = 254;

/**
 * The kernel network state of one simulated namespace, as the kernel backend builds it from a
 * FibSpec (src/kernel/netns.ts): loopback up with 127.0.0.1/8 and ::1, each interface up with
 * its addresses, the routes the kernel adds for those addresses (fib_add_ifaddr: local and
 * broadcast routes in table local, the connected prefix route in table main; IPv6 local /128
 * and prefix routes with metric 256), the case's routes (metric 0 for IPv4, 1024 for IPv6) and
 * permanent neighbours.
 */
export class SimNetwork {
  readonly interfaces = new Map<number, SimInterface>();
  readonly routes: SimRoute[] = [];
  readonly neighbors: SimNeighbor[] = [];
  forwarding: boolean;
  /** The IPv4 routes as numbers, in lookup order; rebuilt when `routes` changes length. */
  private v4: V4Routes = { routes: [], values: new Int32Array(0), masks: new Int32Array(0), tables: new Uint8Array(0) };
  private v4RoutesFor = -1;
  /** lookup4's last question and answer; dst -1 (no u32) when there is none. */
  private readonly v4Memo: { dst: number; tables: number; oif: number; route: SimRoute | undefined } = { dst: -1, tables: 0, oif: 0, route: undefined };
  /** The IPv4 neighbours in order, with their devices and addresses as numbers; rebuilt when `neighbors` changes length. */
  private v4Neighbors: SimNeighbor[] = [];
  private v4NeighborDevs = new Uint32Array(0);
  private v4NeighborIps = new Uint32Array(0);
  private v4NeighborsFor = -1;

  /** Throws CaseError `case/bad-fib` for a FIB the kernel would refuse ({@link validateFib}). */
  constructor(fib: FibSpec = {}) {
    validateFib(fib);
    this.forwarding = fib.forwarding ?? true;
    this.addInterface({
      ifindex: 1,
      name: 'lo',
      mac: new Uint8Array(6),
      broadcast: new Uint8Array(6),
      mtu: 65536,
      loopback: true,
      addrs: [parsePrefix('127.0.0.1/8'), parsePrefix('::1/128')],
    });
    for (const [i, itf] of (fib.interfaces ?? []).entries()) {
      if (itf.ifindex === 1) continue;
      const what = `interfaces[${i}]`;
      if (!Number.isInteger(itf.ifindex) || itf.ifindex < 1) throw new CaseError('case/bad-fib', `fib: ${what}: expected a positive ifindex, got ${itf.ifindex}`);
      if (this.interfaces.has(itf.ifindex)) throw new CaseError('case/bad-fib', `fib: ${what}: ifindex ${itf.ifindex} is used twice`);
      // dev_validate_mtu: an Ethernet device takes ETH_MIN_MTU (68) up to its max_mtu (65535 for veth).
      if (itf.mtu !== undefined && (!Number.isInteger(itf.mtu) || itf.mtu < 68 || itf.mtu > 65535)) throw new CaseError('case/bad-fib', `fib: ${what}.mtu: expected 68 to 65535, got ${JSON.stringify(itf.mtu)}`);
      if (itf.addrs !== undefined && !Array.isArray(itf.addrs)) throw new CaseError('case/bad-fib', `fib: ${what}.addrs: expected an array, got ${JSON.stringify(itf.addrs)}`);
      this.addInterface({
        ifindex: itf.ifindex,
        name: itf.name,
        mac: parseMac(itf.mac, `${what}.mac`),
        broadcast: new Uint8Array(6).fill(0xff),
        mtu: itf.mtu ?? 1500,
        loopback: false,
        addrs: (itf.addrs ?? []).map((a, j) => parsePrefix(a, `${what}.addrs[${j}]`)),
      });
    }
    for (const [i, r] of (fib.routes ?? []).entries()) this.addRoute(r, `routes[${i}]`);
    for (const [i, n] of (fib.neighbors ?? []).entries()) {
      const what = `neighbors[${i}]`;
      this.device(n.dev, what);
      this.neighbors.push({ ip: parseIp(n.ip, `${what}.ip`), mac: parseMac(n.mac, `${what}.mac`), dev: n.dev });
    }
  }

  private device(ifindex: number, what: string): SimInterface {
    const dev = this.interfaces.get(ifindex);
    if (!dev) throw new CaseError('case/bad-fib', `fib: ${what}: no interface with ifindex ${ifindex}`);
    return dev;
  }

  private addInterface(itf: SimInterface): void {
    this.interfaces.set(itf.ifindex, itf);
    const seen: IpPrefix[] = [];
    for (const a of itf.addrs) {
      const bits = addrBits(a.family);
      const host: IpPrefix = { family: a.family, value: a.value, len: bits };
      this.routes.push({ table: RT_TABLE_LOCAL, prefix: host, type: 'local', dev: itf.ifindex, metric: 0, prefsrc: a, scope: RT_SCOPE_HOST });
      // A second address in a subnet already on the device is secondary: no prefix route of its own.
      const secondary = seen.some((s) => s.family === a.family && s.len === a.len && networkOf(s) === networkOf(a));
      seen.push(a);
      if (secondary || a.len === bits) continue;
      const net: IpPrefix = { family: a.family, value: networkOf(a), len: a.len };
      if (a.family === 4) {
        if (net.value !== 0n) {
          this.routes.push({ table: itf.loopback ? RT_TABLE_LOCAL : RT_TABLE_MAIN, prefix: net, type: itf.loopback ? 'local' : 'unicast', dev: itf.ifindex, metric: 0, prefsrc: a, scope: itf.loopback ? RT_SCOPE_HOST : RT_SCOPE_LINK });
          if (a.len < 31) {
            const bcast = net.value | ((1n << BigInt(bits - a.len)) - 1n);
            this.routes.push({ table: RT_TABLE_LOCAL, prefix: { family: 4, value: bcast, len: 32 }, type: 'broadcast', dev: itf.ifindex, metric: 0, prefsrc: a, scope: RT_SCOPE_LINK });
          }
        }
      } else {
        this.routes.push({ table: RT_TABLE_MAIN, prefix: net, type: 'unicast', dev: itf.ifindex, metric: 256, scope: RT_SCOPE_UNIVERSE });
      }
    }
  }

  private addRoute(r: NonNullable<FibSpec['routes']>[number], what: string): void {
    const gateway = r.via !== undefined ? parseIp(r.via, `${what}.via`) : undefined;
    const prefix = parsePrefix(r.dst, `${what}.dst`, gateway?.family ?? 4);
    if (gateway && gateway.family !== prefix.family && !(prefix.family === 4 && gateway.family === 6)) {
      throw new CaseError('case/bad-fib', `fib: ${what}: gateway ${r.via} is not of the family of ${r.dst}`);
    }
    const type: RouteType = r.type ?? 'unicast';
    const dev = type === 'unicast' ? this.device(r.dev, what).ifindex : (r.dev ?? 0);
    // The kernel keeps the prefix's network part only (fib_table_insert rejects host bits; iproute2 masks them).
    const net: IpPrefix = { family: prefix.family, value: networkOf(prefix), len: prefix.len };
    this.routes.push({
      table: RT_TABLE_MAIN,
      prefix: net,
      type,
      dev,
      gateway,
      metric: prefix.family === 4 ? 0 : 1024,
      scope: gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
    });
  }

  /** The interface with `ifindex`, or undefined. */
  interface(ifindex: number): SimInterface | undefined {
    return this.interfaces.get(ifindex);
  }

  /**
   * The route `fib_lookup` finds for `dst` in `tables`: the longest prefix, then the lowest
   * metric. IPv6 tries the tables in order (the default rules: local, then main); IPv4 searches
   * them as one, as the kernel merges local into main until policy rules exist. With `oif`, an IPv4 route whose
   * nexthop leaves by another device is passed over (fib_lookup_good_nhc); IPv6 only prefers it.
   */
  lookup(dst: IpAddr, tables: number[], oif = 0): SimRoute | undefined {
    // IPv4 keeps local and main in one trie while no policy rules exist (fib_trie's merged tables).
    if (dst.family === 4) return this.lookup4(Number(dst.value), (tables.includes(RT_TABLE_LOCAL) ? 1 : 0) | (tables.includes(RT_TABLE_MAIN) ? 2 : 0), oif);
    for (const t of tables) {
      // IPv6 only prefers a route through `oif`: the best one wins regardless.
      const found = this.ipv6Routes(t).find((r) => prefixContains(r.prefix, dst));
      if (found) return found;
    }
    return undefined;
  }

  /** The IPv6 routes of table `table` in the order {@link lookup} searches them (prefix length descending, metric ascending, insertion). */
  ipv6Routes(table: number): readonly SimRoute[] {
    return this.routes.filter((r) => r.table === table && r.prefix.family === 6).sort((a, b) => b.prefix.len - a.prefix.len || a.metric - b.metric);
  }

  /**
   * {@link lookup} for an IPv4 destination given as a number, with the tables as a mask (1: local,
   * 2: main): the first route in (prefix length descending, metric ascending, insertion) order that
   * contains `dst`, no string or bigint work per lookup (bpf_fib_lookup's hot path).
   */
  lookup4(dst: number, tables: number, oif = 0): SimRoute | undefined {
    if (this.v4RoutesFor !== this.routes.length) this.indexRoutes();
    // The last answer, for the same question (a program looks the same flows up again and again).
    const memo = this.v4Memo;
    if (memo.dst === dst && memo.tables === tables && memo.oif === oif) return memo.route;
    const route = this.search4(dst, tables, oif);
    memo.dst = dst;
    memo.tables = tables;
    memo.oif = oif;
    memo.route = route;
    return route;
  }

  private search4(dst: number, tables: number, oif: number): SimRoute | undefined {
    const { values, masks, tables: tabs, routes } = this.v4;
    const d = dst | 0;
    for (let i = 0; i < values.length; i++) {
      if ((tabs[i]! & tables) === 0 || ((d ^ values[i]!) & masks[i]!) !== 0) continue;
      const r = routes[i]!;
      if (r.type === 'blackhole' || r.type === 'unreachable' || r.type === 'prohibit') return r;
      if (oif && r.dev !== oif) continue;
      return r;
    }
    return undefined;
  }

  /** The IPv4 routes in the order {@link lookup4} searches them (prefix length descending, metric ascending, insertion). */
  ipv4Routes(): readonly SimRoute[] {
    if (this.v4RoutesFor !== this.routes.length) this.indexRoutes();
    return this.v4.routes;
  }

  /** The IPv4 neighbours in the order {@link neighbor4} searches them. */
  ipv4Neighbors(): readonly SimNeighbor[] {
    return this.neighbors.filter((n) => n.ip.family === 4);
  }

  /** The IPv6 neighbours in the order {@link neighbor} searches them. */
  ipv6Neighbors(): readonly SimNeighbor[] {
    return this.neighbors.filter((n) => n.ip.family === 6);
  }

  /** The permanent neighbour entry for `ip` on `dev`, or undefined. */
  neighbor(dev: number, ip: IpAddr): SimNeighbor | undefined {
    if (ip.family === 4) return this.neighbor4(dev, Number(ip.value));
    return this.neighbors.find((n) => n.dev === dev && n.ip.family === ip.family && n.ip.value === ip.value);
  }

  /** {@link neighbor} for an IPv4 address given as a number: a scan of two typed arrays, no key boxing. */
  neighbor4(dev: number, ip: number): SimNeighbor | undefined {
    if (this.v4NeighborsFor !== this.neighbors.length) {
      const v4 = this.neighbors.filter((n) => n.ip.family === 4);
      this.v4Neighbors = v4;
      this.v4NeighborDevs = Uint32Array.from(v4, (n) => n.dev);
      this.v4NeighborIps = Uint32Array.from(v4, (n) => Number(n.ip.value));
      this.v4NeighborsFor = this.neighbors.length;
    }
    const devs = this.v4NeighborDevs;
    const ips = this.v4NeighborIps;
    for (let i = 0; i < ips.length; i++) if (ips[i] === ip && devs[i] === dev) return this.v4Neighbors[i];
    return undefined;
  }

  private indexRoutes(): void {
    const routes = this.routes.filter((r) => r.prefix.family === 4).sort((a, b) => b.prefix.len - a.prefix.len || a.metric - b.metric);
    this.v4 = {
      routes,
      values: Int32Array.from(routes, (r) => Number(r.prefix.value) | 0),
      masks: Int32Array.from(routes, (r) => (r.prefix.len === 0 ? 0 : 0xffff_ffff << (32 - r.prefix.len))),
      tables: Uint8Array.from(routes, (r) => (r.table === RT_TABLE_LOCAL ? 1 : r.table === RT_TABLE_MAIN ? 2 : 0)),
    };
    this.v4RoutesFor = this.routes.length;
    this.v4Memo.dst = -1;
  }

  /**
   * inet_select_addr: the primary IPv4 address of `dev` in the subnet of `near` (or its first
   * one) with scope at most `scope`; failing that, the first suitable address of any device.
   * 0 when none.
   */
  selectIpv4Source(dev: number, near: IpAddr | undefined, scope: number): bigint {
    const usable = (itf: SimInterface) => itf.addrs.filter((a) => a.family === 4 && addrScope(a, itf) <= scope);
    const own = this.interfaces.get(dev);
    if (own) {
      const cands = usable(own);
      const match = near && near.value !== 0n ? cands.find((a) => prefixContains(a, near)) : undefined;
      if (match ?? cands[0]) return (match ?? cands[0])!.value;
    }
    for (const itf of this.interfaces.values()) {
      if (itf.ifindex === dev) continue;
      const a = usable(itf).find((x) => addrScope(x, itf) !== RT_SCOPE_LINK);
      if (a) return a.value;
    }
    return 0n;
  }

  /**
   * A simplified ipv6_dev_get_saddr (RFC 6724 §5): a non-loopback address on `dev` sharing the
   * longest prefix with `dst`, else one on another device; undefined when there is none.
   */
  selectIpv6Source(dev: number, dst: IpAddr): bigint | undefined {
    const score = (a: IpPrefix) => commonPrefix(a.value, dst.value);
    const pick = (itfs: SimInterface[]) => {
      const cands = itfs.flatMap((i) => i.addrs.filter((a) => a.family === 6 && !i.loopback && !isLinkLocal6(a.value)));
      cands.sort((a, b) => score(b) - score(a));
      return cands[0]?.value;
    };
    const own = this.interfaces.get(dev);
    return (own ? pick([own]) : undefined) ?? pick([...this.interfaces.values()].filter((i) => i.ifindex !== dev));
  }
}

/**
 * The IPv4 routes in lookup order as parallel arrays: route i matches `dst` when its table bit
 * (1 local, 2 main) is asked for and ((dst ^ values[i]) & masks[i]) is 0.
 */
interface V4Routes {
  routes: SimRoute[];
  values: Int32Array;
  masks: Int32Array;
  tables: Uint8Array;
}

function addrScope(a: IpPrefix, itf: SimInterface): number {
  return itf.loopback || a.value >> 24n === 127n ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
}

function commonPrefix(a: bigint, b: bigint): number {
  let n = 0;
  for (let bit = 127n; bit >= 0n && ((a >> bit) & 1n) === ((b >> bit) & 1n); bit--) n++;
  return n;
}

function isLinkLocal6(v: bigint): boolean {
  return v >> 118n === 0x3fan;
}

/** ipv6_addr_type's MULTICAST | LINKLOCAL | LOOPBACK: addresses rt6_need_strict() keeps from forwarding. */
export function ipv6NeedsStrict(v: bigint): boolean {
  return v >> 120n === 0xffn || isLinkLocal6(v) || v === 1n;
}
