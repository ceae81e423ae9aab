import type { SocketSpec } from '../internal/contract.js';
import { CaseError } from '../internal/errors.js';
import type { Slab, VmMemory } from '../vm/memory.js';
import { formatIp, ipBytes, parseIp, type IpAddr } from './net-addr.js';

/** IPPROTO_TCP and IPPROTO_UDP (include/uapi/linux/in.h). */
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** Socket states as `struct bpf_sock.state` reports them (include/net/tcp_states.h). */
export const TCP_ESTABLISHED = 1;
export const TCP_CLOSE = 7;
export const TCP_LISTEN = 10;

/** AF_INET and AF_INET6 (include/linux/socket.h). */
const AF_INET = 2;
const AF_INET6 = 10;
/** SOCK_STREAM and SOCK_DGRAM. */
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;

/** sizeof(struct bpf_sock) (include/uapi/linux/bpf.h). */
export const BPF_SOCK_SIZE = 80;
/** Field offsets of `struct bpf_sock`. */
const SK = { bound_dev_if: 0, family: 4, type: 8, protocol: 12, mark: 16, priority: 20, src_ip4: 24, src_ip6: 28, src_port: 44, dst_port: 48, dst_ip4: 52, dst_ip6: 56, state: 72, rx_queue_mapping: 76 } as const;

/** sizeof(bpf_sock_tuple.ipv4) and sizeof(bpf_sock_tuple.ipv6). */
export const TUPLE_IPV4_LEN = 12;
export const TUPLE_IPV6_LEN = 36;

/** One declared socket, resolved: addresses parsed, state decided. */
export interface SimSocket {
  proto: typeof IPPROTO_TCP | typeof IPPROTO_UDP;
  family: 4 | 6;
  local: IpAddr;
  localPort: number;
  /** The peer (TCP established, connected UDP); port 0 and address 0 when none. */
  remote: IpAddr;
  remotePort: number;
  state: number;
}

function bad(where: string, message: string): CaseError {
  return new CaseError('case/bad-socket', `${where}: ${message}`);
}

/** `10.0.0.1:80` or `[fd00::1]:80` as an address and a port (1 to 65535). */
function parseEndpoint(text: unknown, where: string): { addr: IpAddr; port: number } {
  if (typeof text !== 'string') throw bad(where, `expected "address:port", got ${JSON.stringify(text) ?? String(text)}`);
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) throw bad(where, `expected "address:port" ("10.0.0.1:80", "[fd00::1]:80"), got '${text}'`);
  let addr: IpAddr;
  try {
    addr = parseIp(m[1]!, where);
  } catch {
    throw bad(where, `'${m[1]}' is not an IPv4 or IPv6 address`);
  }
  if (text.startsWith('[') !== (addr.family === 6)) throw bad(where, `an IPv6 address goes in brackets ("[fd00::1]:80"), an IPv4 one does not, got '${text}'`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw bad(where, `expected a port from 1 to 65535, got ${port} (port 0 would let the kernel pick one)`);
  return { addr, port };
}

function isWildcard(a: IpAddr): boolean {
  return a.value === 0n;
}

/**
 * Checks a case's sockets as binding them on the kernel would, and resolves them (throws
 * CaseError `case/bad-socket` naming the socket): `proto` tcp or udp; `local` an address and a
 * port; TCP `state` `listen` (the default) or `established`, which needs a `remote` and a local
 * address that is no wildcard (the kernel backend connects to it); UDP with a `remote` is
 * connected (state `established`), without one bound (`close`), and a connected one needs a
 * local address too (connect would otherwise choose it); no socket twice, and no two TCP
 * listeners on one port of one family where one is on the wildcard (listen's EADDRINUSE even
 * with SO_REUSEADDR). UDP sockets may share a port as sockets with SO_REUSEADDR do (a wildcard
 * and an address, or several peers), and the lookup's scores tell them apart.
 */
export function resolveSockets(specs: readonly SocketSpec[]): SimSocket[] {
  const out: SimSocket[] = [];
  specs.forEach((spec, i) => {
    const where = `sockets[${i}]`;
    if (spec === null || typeof spec !== 'object') throw bad(where, `expected an object, got ${JSON.stringify(spec)}`);
    if (spec.proto !== 'tcp' && spec.proto !== 'udp') throw bad(`${where}.proto`, `expected "tcp" or "udp", got ${JSON.stringify(spec.proto)}`);
    const local = parseEndpoint(spec.local, `${where}.local`);
    const remote = spec.remote === undefined ? undefined : parseEndpoint(spec.remote, `${where}.remote`);
    if (remote && remote.addr.family !== local.addr.family) throw bad(`${where}.remote`, 'expected an address of the same family as local');
    if (remote && isWildcard(remote.addr)) throw bad(`${where}.remote`, `expected a peer's address, got the wildcard ${formatIp(remote.addr)}`);
    const tcp = spec.proto === 'tcp';
    const state = spec.state ?? (tcp ? 'listen' : remote ? 'established' : 'close');
    if (tcp) {
      if (state !== 'listen' && state !== 'established') throw bad(`${where}.state`, `expected "listen" or "established" for a TCP socket, got ${JSON.stringify(state)}`);
      if (state === 'listen' && remote) throw bad(`${where}.remote`, 'a listening socket has no peer: give state "established" for a connection');
      if (state === 'established' && !remote) throw bad(`${where}.remote`, 'missing: an established connection has a peer');
    } else if (state !== (remote ? 'established' : 'close')) {
      throw bad(`${where}.state`, `a UDP socket ${remote ? 'with a remote is connected: "established"' : 'without a remote is only bound: "close"'}, got ${JSON.stringify(state)}`);
    }
    if (remote && isWildcard(local.addr)) throw bad(`${where}.local`, `a ${tcp ? 'connection' : 'connected socket'} has a local address, not the wildcard ${formatIp(local.addr)}`);
    const sock: SimSocket = {
      proto: tcp ? IPPROTO_TCP : IPPROTO_UDP,
      family: local.addr.family,
      local: local.addr,
      localPort: local.port,
      remote: remote?.addr ?? { family: local.addr.family, value: 0n },
      remotePort: remote?.port ?? 0,
      state: state === 'listen' ? TCP_LISTEN : state === 'established' ? TCP_ESTABLISHED : TCP_CLOSE,
    };
    out.forEach((other, j) => {
      if (other.proto !== sock.proto || other.family !== sock.family || other.localPort !== sock.localPort) return;
      const samePeer = sock.remote.value === other.remote.value && sock.remotePort === other.remotePort;
      if (sock.local.value === other.local.value && samePeer && sock.state === other.state) throw bad(where, `the same socket as sockets[${j}]`);
      const listening = sock.state === TCP_LISTEN && other.state === TCP_LISTEN;
      if (listening && (isWildcard(other.local) || isWildcard(sock.local))) {
        throw bad(`${where}.local`, `port ${sock.localPort} is already listened on by sockets[${j}] (${formatIp(other.local)}): listen would fail with EADDRINUSE`);
      }
    });
    out.push(sock);
  });
  return out;
}

/** LOOPBACK4_IPV6 (include/net/ipv6.h), 127.0.0.6: the IPv4 address an IPv6 socket bound to an IPv6 address keeps, so that no IPv4 lookup matches it. */
const LOOPBACK4_IPV6 = Uint8Array.of(127, 0, 0, 6);

/** `addr` (IPv4) as the IPv4-mapped IPv6 address ::ffff:a.b.c.d. */
function v4Mapped(addr: IpAddr): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(ipBytes(addr), 12);
  return out;
}

/**
 * `struct bpf_sock` as a program reads it for `s` (net/core/filter.c bpf_sock_convert_ctx_access),
 * with the fields the kernel fills as a side effect, measured on 6.18: an accepted IPv4 TCP
 * connection also holds its addresses IPv4-mapped in the IPv6 fields (tcp_v4_syn_recv_sock sets
 * them with sk_rcv_saddr_set/sk_daddr_set); an IPv6 socket bound to an address holds LOOPBACK4_IPV6 as
 * its IPv4 source (__inet6_bind), an accepted IPv6 connection as both IPv4 addresses
 * (tcp_v6_syn_recv_sock). `rx_queue_mapping` is -1, no receive queue recorded: the kernel records
 * the queue a connection's packets arrived on, which depends on the device (over loopback, an
 * accepted IPv4 connection reads 0 in some runs and -1 in others).
 */
export function bpfSockBytes(s: SimSocket): Uint8Array {
  const out = new Uint8Array(BPF_SOCK_SIZE);
  const v = new DataView(out.buffer);
  const accepted = s.proto === IPPROTO_TCP && s.state === TCP_ESTABLISHED;
  v.setUint32(SK.family, s.family === 4 ? AF_INET : AF_INET6, true);
  v.setUint32(SK.type, s.proto === IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM, true);
  v.setUint32(SK.protocol, s.proto, true);
  if (s.family === 4) {
    out.set(ipBytes(s.local), SK.src_ip4);
    out.set(ipBytes(s.remote), SK.dst_ip4);
    if (accepted) {
      out.set(v4Mapped(s.local), SK.src_ip6);
      out.set(v4Mapped(s.remote), SK.dst_ip6);
    }
  } else {
    out.set(ipBytes(s.local), SK.src_ip6);
    out.set(ipBytes(s.remote), SK.dst_ip6);
    if (!isWildcard(s.local)) out.set(LOOPBACK4_IPV6, SK.src_ip4);
    if (accepted) out.set(LOOPBACK4_IPV6, SK.dst_ip4);
  }
  v.setUint32(SK.src_port, s.localPort, true);
  v.setUint16(SK.dst_port, s.remotePort, false);
  v.setUint32(SK.state, s.state, true);
  v.setInt32(SK.rx_queue_mapping, -1, true);
  return out;
}

/**
 * The sockets of a simulated network namespace and the lookups bpf_sk_lookup_tcp/udp and
 * bpf_skc_lookup_tcp make in it (net/core/filter.c sk_lookup): TCP finds an established
 * connection by its four-tuple first (__inet_lookup_established), then a listener on the
 * destination port whose address is the destination or the wildcard, the exact address first
 * (__inet_lookup_listener); UDP scores each socket on the port as __udp4_lib_lookup's
 * compute_score does (+4 for a bound address, a connected peer address, a connected peer port,
 * each of which must match) and takes the best. A socket found is a `struct bpf_sock` in a
 * read-only slab of the VM memory the run uses, made on the first lookup.
 */
export class SimSockets {
  readonly list: readonly SimSocket[];
  private readonly slabs = new WeakMap<VmMemory, Slab>();

  constructor(specs: readonly SocketSpec[] = []) {
    this.list = resolveSockets(specs);
  }

  /** The index of the socket a lookup of `tuple` (a bpf_sock_tuple of 12 or 36 bytes) for `proto` finds, or -1. */
  lookup(tuple: Uint8Array, proto: number): number {
    const family = tuple.length === TUPLE_IPV4_LEN ? 4 : 6;
    const n = family === 4 ? 4 : 16;
    const value = (off: number): bigint => {
      let v = 0n;
      for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(tuple[off + i]!);
      return v;
    };
    const saddr = value(0);
    const daddr = value(n);
    const ports = new DataView(tuple.buffer, tuple.byteOffset + 2 * n, 4);
    const sport = ports.getUint16(0, false);
    const dport = ports.getUint16(2, false);
    let best = -1;
    let bestScore = 0;
    this.list.forEach((s, i) => {
      if (s.proto !== proto || s.family !== family || s.localPort !== dport) return;
      let score: number;
      if (proto === IPPROTO_TCP) {
        if (s.state === TCP_ESTABLISHED) score = s.local.value === daddr && s.remote.value === saddr && s.remotePort === sport ? 16 : -1;
        else score = s.local.value === daddr ? 2 : isWildcard(s.local) ? 1 : -1;
      } else {
        score = 2;
        for (const [bound, want] of [
          [s.local.value, daddr],
          [s.remote.value, saddr],
          [BigInt(s.remotePort), BigInt(sport)],
        ] as const) {
          if (bound === 0n) continue;
          if (bound !== want) score = -1;
          else if (score > 0) score += 4;
        }
      }
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    });
    return best;
  }

  /** The address of socket `index`'s `struct bpf_sock` in `mem`. */
  structAddr(mem: VmMemory, index: number): number {
    let slab = this.slabs.get(mem);
    if (!slab) {
      slab = mem.allocSlab(BPF_SOCK_SIZE, this.list.length, 'struct bpf_sock', false);
      this.list.forEach((s, i) => mem.u8.set(bpfSockBytes(s), slab!.base + i * slab!.stride));
      this.slabs.set(mem, slab);
    }
    return slab.base + index * slab.stride;
  }

  /** True when `addr` is the start of a socket {@link structAddr} handed out in `mem`. */
  isStruct(mem: VmMemory, addr: number): boolean {
    return this.at(mem, addr) !== undefined;
  }

  /** The socket whose `struct bpf_sock` starts at `addr` in `mem`, or undefined. */
  at(mem: VmMemory, addr: number): SimSocket | undefined {
    const slab = this.slabs.get(mem);
    if (slab === undefined || addr < slab.base || addr >= slab.base + slab.stride * slab.count || (addr - slab.base) % slab.stride !== 0) return undefined;
    return this.list[(addr - slab.base) / slab.stride];
  }
}
