/**
 * Builds a case's `fib` (interfaces, addresses, routes, neighbours, forwarding) with iproute2 in
 * the current network namespace, so the kernel's `bpf_fib_lookup` sees what the VM simulates.
 * Only ever run inside the kernel backend's child, which lives in a private namespace.
 * This kernel has no dummy device, so each interface is one end of a veth pair.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { KernelError } from '../internal/errors.js';
import type { FibSpec } from '../internal/contract.js';
import { IFINDEX_MAX, validateFib } from '../helpers/fib-check.js';

/** One iproute2 (or other) command line, as argv. */
export type Command = string[];

/** Interface names are at most IFNAMSIZ - 1 = 15 bytes (include/uapi/linux/if.h). */
const IFNAMSIZ = 16;

/** Peer ifindexes start here so the kernel never hands a case's ifindex to a peer. */
const PEER_INDEX_BASE = 10000;

/**
 * The peer end of each interface's veth pair: a name and an ifindex no interface of the case
 * uses: `eth1-p`, else `bpfsimp<ifindex>`; PEER_INDEX_BASE + ifindex, else the next free one.
 */
function peers(interfaces: FibSpec['interfaces'] = []): Map<number, { name: string; ifindex: number }> {
  const names = new Set(interfaces.map((i) => i.name));
  const indexes = new Set(interfaces.map((i) => i.ifindex));
  const out = new Map<number, { name: string; ifindex: number }>();
  for (const itf of interfaces) {
    let name = `${itf.name}-p`;
    for (let k = 0; Buffer.byteLength(name) >= IFNAMSIZ || names.has(name); k++) name = `bpfsimp${itf.ifindex}${k ? `-${k}` : ''}`.slice(0, IFNAMSIZ - 1);
    names.add(name);
    let index = PEER_INDEX_BASE + itf.ifindex;
    if (index > IFINDEX_MAX || indexes.has(index)) for (index = PEER_INDEX_BASE; indexes.has(index); index++);
    indexes.add(index);
    out.set(itf.ifindex, { name, ifindex: index });
  }
  return out;
}

function family(addr: string): '-4' | '-6' {
  return addr.includes(':') ? '-6' : '-4';
}

/**
 * The commands that build `fib`, in order: loopback up, each interface as a veth pair with its
 * ifindex, MAC, MTU and addresses, both ends up, then routes (with their RTN_* type) and permanent
 * neighbours. Forwarding
 * is set separately (sysctl files), after the interfaces exist so per-device settings follow.
 * Throws KernelError `kernel/bad-fib` when a route or neighbour names an interface the spec lacks.
 */
export function fibCommands(fib: FibSpec): Command[] {
  const cmds: Command[] = [['ip', 'link', 'set', 'lo', 'up']];
  const names = new Map<number, string>([[1, 'lo']]);
  const peerOf = peers(fib.interfaces);
  for (const itf of fib.interfaces ?? []) {
    if (itf.ifindex === 1) continue;
    names.set(itf.ifindex, itf.name);
    const { name: peer, ifindex: peerIndex } = peerOf.get(itf.ifindex)!;
    cmds.push(['ip', 'link', 'add', itf.name, 'index', String(itf.ifindex), 'type', 'veth', 'peer', 'name', peer, 'index', String(peerIndex)]);
    const set = ['ip', 'link', 'set', 'dev', itf.name, 'address', itf.mac];
    if (itf.mtu !== undefined) set.push('mtu', String(itf.mtu));
    cmds.push(set);
    if (itf.mtu !== undefined) cmds.push(['ip', 'link', 'set', 'dev', peer, 'mtu', String(itf.mtu)]);
    for (const a of itf.addrs) {
      // nodad: an IPv6 address must be usable at once, not tentative for a second.
      cmds.push(family(a) === '-6' ? ['ip', '-6', 'addr', 'add', a, 'dev', itf.name, 'nodad'] : ['ip', '-4', 'addr', 'add', a, 'dev', itf.name]);
    }
    cmds.push(['ip', 'link', 'set', 'dev', peer, 'up']);
    cmds.push(['ip', 'link', 'set', 'dev', itf.name, 'up']);
  }
  const dev = (ifindex: number, what: string): string => {
    const n = names.get(ifindex);
    if (!n) throw new KernelError('kernel/bad-fib', `fib: ${what}: no interface with ifindex ${ifindex}`);
    return n;
  };
  for (const r of fib.routes ?? []) {
    const fam = r.via ? family(r.via) : r.dst === 'default' ? '-4' : family(r.dst);
    // A blackhole, unreachable or prohibit route has no nexthop: iproute2 takes the type before
    // the prefix and no device (the contract: it needs no `via` and ignores `dev`).
    if (r.type !== undefined && r.type !== 'unicast') {
      cmds.push(['ip', fam, 'route', 'add', r.type, r.dst]);
      continue;
    }
    const cmd = ['ip', fam, 'route', 'add', r.dst];
    if (r.via) cmd.push('via', r.via);
    cmd.push('dev', dev(r.dev, `route ${r.dst}`));
    cmds.push(cmd);
  }
  for (const n of fib.neighbors ?? []) {
    cmds.push(['ip', family(n.ip), 'neigh', 'replace', n.ip, 'lladdr', n.mac, 'dev', dev(n.dev, `neighbor ${n.ip}`), 'nud', 'permanent']);
  }
  return cmds;
}

/** The sysctl files that turn forwarding on or off for IPv4 and IPv6, every device included. */
export function forwardingSysctls(on: boolean): [string, string][] {
  const v = on ? '1' : '0';
  // Writing `all` propagates to every existing device; bpf_fib_lookup checks the ingress device's
  // own setting (IN_DEV_FORWARD, idev->cnf.forwarding), so the devices must exist first.
  return [
    ['/proc/sys/net/ipv4/ip_forward', v],
    ['/proc/sys/net/ipv4/conf/all/forwarding', v],
    ['/proc/sys/net/ipv6/conf/all/forwarding', v],
  ];
}

function run(cmd: Command): void {
  try {
    execFileSync(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    const why = (e.stderr?.toString().trim() || e.message).split('\n')[0];
    throw new KernelError('kernel/fib', `build fib: '${cmd.join(' ')}': ${why}`);
  }
}

/**
 * Builds `fib` in the current network namespace. A route whose gateway is not on a connected
 * subnet is retried with `onlink`, as the VM accepts it. Throws KernelError `kernel/fib` with the
 * failing command and iproute2's message.
 */
export function buildFib(fib: FibSpec | undefined): void {
  if (fib) validateFib(fib);
  for (const cmd of fibCommands(fib ?? {})) {
    if (cmd[2] === 'route' && cmd.includes('via')) {
      try {
        run(cmd);
      } catch {
        run([...cmd, 'onlink']);
      }
    } else {
      run(cmd);
    }
  }
  for (const [file, value] of forwardingSysctls(fib?.forwarding ?? true)) {
    try {
      writeFileSync(file, value);
    } catch (err) {
      throw new KernelError('kernel/fib', `build fib: ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}
