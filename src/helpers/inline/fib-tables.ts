import type { VmMemory } from '../../vm/memory.js';
import { INLINE_STATE } from './state.js';
import { routeError } from '../fib-lookup.js';
import { RT_TABLE_LOCAL, RT_TABLE_MAIN, type SimNetwork } from '../sim-network.js';
import { ipBytes } from '../net-addr.js';

/**
 * The FIB as the WebAssembly engine's inline bpf_fib_lookup reads it (writeFibTables writes it
 * from SimNetwork): a header of u32 fields, then five tables of fixed-size entries (interfaces,
 * IPv4 routes and neighbours, IPv6 routes and neighbours). Addresses and masks are stored as
 * their network-order bytes, so that little-endian loads of them compare with the struct's
 * `ipv4_dst` / `ipv6_dst` bytewise. Routes are in lookup order: IPv4 as SimNetwork.lookup4
 * searches them, IPv6 the local table's (SimNetwork.ipv6Routes) before the main table's, each
 * with its table's bit, so that the first match among the tables asked for is lookup's answer.
 */
export const FIB_LAYOUT = {
  /** Header: u32 forwarding (0 or 1), u32 counts and addresses of the tables. */
  HEADER_SIZE: 48,
  FORWARDING: 0,
  N_IFACES: 4,
  N_ROUTES: 8,
  N_NEIGH: 12,
  IFACES: 16,
  ROUTES: 20,
  NEIGH: 24,
  N_ROUTES6: 28,
  N_NEIGH6: 32,
  ROUTES6: 36,
  NEIGH6: 40,
  /** Interface entry: u32 ifindex, u32 mtu, 6 bytes of MAC. */
  IFACE_SIZE: 16,
  IF_INDEX: 0,
  IF_MTU: 4,
  IF_MAC: 8,
  /** Route entry: u32 network, u32 mask, u32 kind (FIB_ROUTE_KIND), u32 code, u32 dev, u32 metric, u32 gateway, u32 1 when it has an IPv4 gateway. */
  ROUTE_SIZE: 32,
  RT_VALUE: 0,
  RT_MASK: 4,
  RT_KIND: 8,
  RT_CODE: 12,
  RT_DEV: 16,
  RT_METRIC: 20,
  RT_GATEWAY: 24,
  RT_HAS_GW: 28,
  /** Neighbour entry: u32 IPv4 address, u32 dev, 6 bytes of MAC. */
  NEIGH_SIZE: 16,
  NB_IP: 0,
  NB_DEV: 4,
  NB_MAC: 8,
  /** IPv6 route entry: 16 bytes of network, 16 of mask, u32 table bit (1 local, 2 main), kind, code, dev, metric, 1 when it has a gateway, 16 bytes of gateway. */
  ROUTE6_SIZE: 80,
  RT6_VALUE: 0,
  RT6_MASK: 16,
  RT6_TABLE: 32,
  RT6_KIND: 36,
  RT6_CODE: 40,
  RT6_DEV: 44,
  RT6_METRIC: 48,
  RT6_HAS_GW: 52,
  RT6_GATEWAY: 56,
  /** IPv6 neighbour entry: 16 bytes of address, u32 dev, 6 bytes of MAC. */
  NEIGH6_SIZE: 32,
  NB6_IP: 0,
  NB6_DEV: 16,
  NB6_MAC: 20,
} as const;

/** The table bits of FIB_LAYOUT.RT6_TABLE, and the tables a lookup asks for. */
export const FIB_TABLE_BIT = { LOCAL: 1, MAIN: 2 } as const;

/**
 * What a FIB_LAYOUT route is to bpf_fib_lookup: a forwarding route; an error route (blackhole,
 * unreachable, prohibit) that answers its RT_CODE whatever the output device; a local or broadcast
 * route (not forwarded); a forwarding route the inline lookup leaves to the helper (an IPv6 gateway).
 */
export const FIB_ROUTE_KIND = { UNICAST: 0, ERROR: 1, NOT_FWDED: 2, HELPER: 3 } as const;

/** Where {@link writeFibTables} put the tables: the header's address and the bytes reserved there. */
export interface FibTables {
  addr: number;
  len: number;
}

/**
 * Writes `net` into VM memory as FIB_LAYOUT describes it, for the WebAssembly engine's inline
 * bpf_fib_lookup: the interfaces, the IPv4 routes in SimNetwork.lookup4's order and the IPv4
 * neighbours in neighbor4's, the IPv6 routes in lookup's order and the IPv6 neighbours in neighbor's. Reuses `at` when the tables fit there, else
 * allocates (allocRaw: memory the program cannot touch). Returns where they are.
 */
export function writeFibTables(mem: VmMemory, net: SimNetwork, at?: FibTables): FibTables {
  const L = FIB_LAYOUT;
  const itfs = [...net.interfaces.values()];
  const routes = net.ipv4Routes();
  const neighbors = net.ipv4Neighbors();
  const routes6 = [
    ...net.ipv6Routes(RT_TABLE_LOCAL).map((r) => ({ r, bit: FIB_TABLE_BIT.LOCAL })),
    ...net.ipv6Routes(RT_TABLE_MAIN).map((r) => ({ r, bit: FIB_TABLE_BIT.MAIN })),
  ];
  const neighbors6 = net.ipv6Neighbors();
  const len =
    L.HEADER_SIZE +
    itfs.length * L.IFACE_SIZE +
    routes.length * L.ROUTE_SIZE +
    neighbors.length * L.NEIGH_SIZE +
    routes6.length * L.ROUTE6_SIZE +
    neighbors6.length * L.NEIGH6_SIZE;
  const tables = at !== undefined && at.len >= len ? at : { addr: mem.allocRaw(len, 'the fib tables'), len };
  const base = tables.addr;
  const u8 = mem.u8;
  const v = mem.view;
  u8.fill(0, base, base + tables.len);
  const ifaces = base + L.HEADER_SIZE;
  const rts = ifaces + itfs.length * L.IFACE_SIZE;
  const nbs = rts + routes.length * L.ROUTE_SIZE;
  const rts6 = nbs + neighbors.length * L.NEIGH_SIZE;
  const nbs6 = rts6 + routes6.length * L.ROUTE6_SIZE;
  v.setUint32(base + L.FORWARDING, net.forwarding ? 1 : 0, true);
  v.setUint32(base + L.N_IFACES, itfs.length, true);
  v.setUint32(base + L.N_ROUTES, routes.length, true);
  v.setUint32(base + L.N_NEIGH, neighbors.length, true);
  v.setUint32(base + L.IFACES, ifaces, true);
  v.setUint32(base + L.ROUTES, rts, true);
  v.setUint32(base + L.NEIGH, nbs, true);
  v.setUint32(base + L.N_ROUTES6, routes6.length, true);
  v.setUint32(base + L.N_NEIGH6, neighbors6.length, true);
  v.setUint32(base + L.ROUTES6, rts6, true);
  v.setUint32(base + L.NEIGH6, nbs6, true);
  itfs.forEach((itf, i) => {
    const e = ifaces + i * L.IFACE_SIZE;
    v.setUint32(e + L.IF_INDEX, itf.ifindex, true);
    v.setUint32(e + L.IF_MTU, itf.mtu, true);
    u8.set(itf.mac, e + L.IF_MAC);
  });
  routes.forEach((r, i) => {
    const e = rts + i * L.ROUTE_SIZE;
    // Network byte order, as ipv4_dst holds it.
    v.setUint32(e + L.RT_VALUE, Number(r.prefix.value), false);
    v.setUint32(e + L.RT_MASK, r.prefix.len === 0 ? 0 : (0xffff_ffff << (32 - r.prefix.len)) >>> 0, false);
    const code = routeError(r);
    const kind =
      code !== undefined ? FIB_ROUTE_KIND.ERROR : r.type !== 'unicast' ? FIB_ROUTE_KIND.NOT_FWDED : r.gateway?.family === 6 ? FIB_ROUTE_KIND.HELPER : FIB_ROUTE_KIND.UNICAST;
    v.setUint32(e + L.RT_KIND, kind, true);
    v.setUint32(e + L.RT_CODE, code ?? 0, true);
    v.setUint32(e + L.RT_DEV, r.dev, true);
    v.setUint32(e + L.RT_METRIC, r.metric, true);
    if (r.gateway?.family === 4) {
      v.setUint32(e + L.RT_GATEWAY, Number(r.gateway.value), false);
      v.setUint32(e + L.RT_HAS_GW, 1, true);
    }
  });
  neighbors.forEach((n, i) => {
    const e = nbs + i * L.NEIGH_SIZE;
    v.setUint32(e + L.NB_IP, Number(n.ip.value), false);
    v.setUint32(e + L.NB_DEV, n.dev, true);
    u8.set(n.mac, e + L.NB_MAC);
  });
  routes6.forEach(({ r, bit }, i) => {
    const e = rts6 + i * L.ROUTE6_SIZE;
    u8.set(ipBytes({ family: 6, value: r.prefix.value }), e + L.RT6_VALUE);
    u8.set(ipBytes({ family: 6, value: r.prefix.len === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - r.prefix.len)) - 1n) }), e + L.RT6_MASK);
    v.setUint32(e + L.RT6_TABLE, bit, true);
    const code = routeError(r);
    v.setUint32(e + L.RT6_KIND, code !== undefined ? FIB_ROUTE_KIND.ERROR : r.type !== 'unicast' ? FIB_ROUTE_KIND.NOT_FWDED : r.gateway !== undefined && r.gateway.family !== 6 ? FIB_ROUTE_KIND.HELPER : FIB_ROUTE_KIND.UNICAST, true);
    v.setUint32(e + L.RT6_CODE, code ?? 0, true);
    v.setUint32(e + L.RT6_DEV, r.dev, true);
    v.setUint32(e + L.RT6_METRIC, r.metric, true);
    if (r.gateway?.family === 6) {
      v.setUint32(e + L.RT6_HAS_GW, 1, true);
      u8.set(ipBytes(r.gateway), e + L.RT6_GATEWAY);
    }
  });
  neighbors6.forEach((n, i) => {
    const e = nbs6 + i * L.NEIGH6_SIZE;
    u8.set(ipBytes(n.ip), e + L.NB6_IP);
    v.setUint32(e + L.NB6_DEV, n.dev, true);
    u8.set(n.mac, e + L.NB6_MAC);
  });
  return tables;
}

/**
 * The FIB tables the inline bpf_fib_lookup (inline/fib-lookup.ts) reads in one VM memory, kept
 * in step with a SimNetwork: {@link sync} rewrites them when the network was replaced,
 * forwarding switched or routes, neighbours or interfaces were added since they were written,
 * and points INLINE_STATE.FIB_TABLES at them.
 */
export class InlineFibTables {
  private tables: FibTables | undefined;
  private writtenFrom: { net: SimNetwork; forwarding: boolean; routes: number; neighbors: number; interfaces: number } | undefined;

  constructor(private readonly mem: VmMemory) {}

  /** Makes the tables describe `net` (before a run). */
  sync(net: SimNetwork): void {
    const last = this.writtenFrom;
    if (
      last !== undefined &&
      last.net === net &&
      last.forwarding === net.forwarding &&
      last.routes === net.routes.length &&
      last.neighbors === net.neighbors.length &&
      last.interfaces === net.interfaces.size
    ) {
      return;
    }
    this.tables = writeFibTables(this.mem, net, this.tables);
    this.mem.view.setUint32(INLINE_STATE.FIB_TABLES, this.tables.addr, true);
    this.writtenFrom = { net, forwarding: net.forwarding, routes: net.routes.length, neighbors: net.neighbors.length, interfaces: net.interfaces.size };
  }

  /** Withdraws the tables (the network was replaced): the helper answers until the next {@link sync}. */
  invalidate(): void {
    this.writtenFrom = undefined;
    this.mem.view.setUint32(INLINE_STATE.FIB_TABLES, 0, true);
  }
}
