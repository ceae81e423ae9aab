/**
 * Makes a case's `sockets` real in the kernel backend's namespace, so that the kernel's
 * bpf_sk_lookup_tcp/udp find what the VM simulates: a TCP listener listens, an established TCP
 * socket is the accepted end of a connection made from its `remote` (through its listener when
 * the case declares one, else through one closed once the connection is accepted), a UDP socket
 * is bound (with SO_REUSEADDR, so that several may share a port) and, with a `remote`, connected. Every address a socket names that no interface of the
 * case's fib holds is added to loopback as a host address first (bind needs a local address, and
 * a connection's peer is one of ours too). The peer end of each TCP connection is a socket as well
 * (its four-tuple reversed), which the VM does not have. Only ever run in the kernel child.
 */
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { FibSpec, SocketSpec } from '../internal/contract.js';
import { KernelError } from '../internal/errors.js';
import { formatIp, parsePrefix } from '../helpers/net-addr.js';
import { resolveSockets, IPPROTO_TCP, TCP_ESTABLISHED, TCP_LISTEN, type SimSocket } from '../helpers/sim-sockets.js';

/** What the child keeps open until it exits. */
const open: (Server | Socket | UdpSocket)[] = [];

function fail(i: number, what: string, err: unknown): KernelError {
  return new KernelError('kernel/sockets', `sockets[${i}]: ${what}: ${(err as Error).message.split('\n')[0]}`);
}

function once<T>(start: (done: (err: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value as T))));
}

function isLoopback(s: string): boolean {
  return s === '::1' || s.startsWith('127.');
}

/** Adds to loopback each address the sockets name that is neither a wildcard, loopback's own, nor on an interface of `fib`. */
function addAddresses(sockets: SimSocket[], fib: FibSpec | undefined): void {
  const held = new Set((fib?.interfaces ?? []).flatMap((itf) => itf.addrs.map((a) => formatIp(parsePrefix(a)))));
  for (const s of sockets) {
    for (const addr of [s.local, s.remote]) {
      const text = formatIp(addr);
      if (addr.value === 0n || isLoopback(text) || held.has(text)) continue;
      held.add(text);
      const cmd = addr.family === 4 ? ['ip', '-4', 'addr', 'add', `${text}/32`, 'dev', 'lo'] : ['ip', '-6', 'addr', 'add', `${text}/128`, 'dev', 'lo', 'nodad'];
      try {
        execFileSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        const e = err as { stderr?: Buffer; message: string };
        throw new KernelError('kernel/sockets', `sockets: '${cmd.join(' ')}': ${(e.stderr?.toString().trim() || e.message).split('\n')[0]}`);
      }
    }
  }
}

async function listen(s: SimSocket, i: number): Promise<Server> {
  const server = createServer();
  server.on('error', () => {});
  try {
    await once<void>((done) => {
      server.once('error', done);
      server.listen({ host: formatIp(s.local), port: s.localPort, ipv6Only: s.family === 6, backlog: 16 }, () => done(null));
    });
  } catch (err) {
    throw fail(i, `listen on ${formatIp(s.local)}:${s.localPort}`, err);
  }
  open.push(server);
  return server;
}

/** Connects from `s.remote` to `s.local` and waits until `server` accepted the connection. */
async function establish(s: SimSocket, i: number, server: Server): Promise<void> {
  try {
    const accepted = once<Socket>((done) => server.once('connection', (sock: Socket) => done(null, sock)));
    const client = await once<Socket>((done) => {
      const c = connect({ host: formatIp(s.local), port: s.localPort, localAddress: formatIp(s.remote), localPort: s.remotePort, family: s.family });
      c.once('error', done);
      c.once('connect', () => done(null, c));
    });
    client.on('error', () => {});
    const sock = await accepted;
    sock.on('error', () => {});
    open.push(client, sock);
  } catch (err) {
    throw fail(i, `connect from ${formatIp(s.remote)}:${s.remotePort}`, err);
  }
}

async function bindUdp(s: SimSocket, i: number): Promise<void> {
  const sock = createSocket({ type: s.family === 4 ? 'udp4' : 'udp6', ipv6Only: s.family === 6, reuseAddr: true });
  sock.on('error', () => {});
  try {
    await once<void>((done) => {
      sock.once('error', done);
      sock.bind({ address: formatIp(s.local), port: s.localPort }, () => done(null));
    });
    if (s.remotePort) await once<void>((done) => sock.connect(s.remotePort, formatIp(s.remote), (err?: Error) => done(err ?? null)));
  } catch (err) {
    throw fail(i, `bind udp ${formatIp(s.local)}:${s.localPort}`, err);
  }
  open.push(sock);
}

/** Makes `specs` in the current namespace (after the fib exists); throws KernelError `kernel/sockets` naming the socket and the errno's text. */
export async function buildSockets(specs: SocketSpec[] | undefined, fib: FibSpec | undefined): Promise<void> {
  if (!specs?.length) return;
  const sockets = resolveSockets(specs);
  addAddresses(sockets, fib);
  const listeners = new Map<number, Server>();
  for (const [i, s] of sockets.entries()) {
    if (s.proto !== IPPROTO_TCP) await bindUdp(s, i);
    else if (s.state === TCP_LISTEN) listeners.set(i, await listen(s, i));
  }
  for (const [i, s] of sockets.entries()) {
    if (s.proto !== IPPROTO_TCP || s.state !== TCP_ESTABLISHED) continue;
    const declared = [...listeners].find(([j]) => sockets[j]!.family === s.family && sockets[j]!.localPort === s.localPort && (sockets[j]!.local.value === s.local.value || sockets[j]!.local.value === 0n));
    const server = declared?.[1] ?? (await listen({ ...s, state: TCP_LISTEN, remote: { family: s.family, value: 0n }, remotePort: 0 }, i));
    await establish(s, i, server);
    // close() stops the listening at once; its callback would wait for the accepted connection to end.
    if (!declared) server.close();
  }
}
