import { describe, expect, it } from 'vitest';
import { load } from '../../src/index.js';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import type { SocketSpec } from '../../src/internal/contract.js';
import { resolveSockets } from '../../src/helpers/sim-sockets.js';
import { testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';

const OBJECT = testObject('helpers_sk_lookup');
const LEAK = testObject('helpers_sk_leak');
const backends = await availableBackends();

const tcp4 = (sport: number, dport = 80) => toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport, dport } }));
const udp4 = (sport: number, dport = 53) => toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport, dport } }));
const tcp6 = (sport: number) => toHex(buildPacket({ ipv6: { src: 'fd00::1', dst: 'fd00::2' }, tcp: { sport, dport: 80 } }));
const udp6 = (sport: number) => toHex(buildPacket({ ipv6: { src: 'fd00::1', dst: 'fd00::2' }, udp: { sport, dport: 53 } }));
const caseOf = (program: string, packet: string, sockets: SocketSpec[]) => parseCase({ object: OBJECT, program, packet, sockets }, '/');

const FIELDS = ['bound_dev_if', 'family', 'type', 'protocol', 'mark', 'priority', 'src_ip4', 'src_ip6', 'src_ip6', 'src_ip6', 'src_ip6', 'src_port', 'dst_port', 'dst_ip4', 'dst_ip6', 'dst_ip6', 'dst_ip6', 'dst_ip6', 'state', 'rx_queue_mapping'];

/** The `struct sk_info` the program recorded: addresses as hex, the rest as numbers. */
function info(value: Uint8Array): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  const v = new DataView(value.buffer, value.byteOffset);
  FIELDS.forEach((f, i) => {
    if (f === 'src_ip4' || f === 'dst_ip4' || f.endsWith('ip6')) out[f] = (out[f] ?? '') + toHex(value.subarray(i * 4, i * 4 + 4));
    else if (f === 'dst_port') out[f] = v.getUint16(i * 4, false);
    else out[f] = v.getInt32(i * 4, true);
  });
  return out;
}

const LISTENER = { proto: 'tcp', local: '10.0.0.2:80' } as const;
const CONNECTION = { proto: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.1:40000', state: 'established' } as const;
const ZERO6 = '0'.repeat(32);

describe.each(backends)('socket lookups on $name', ({ name, run }) => {
  it.each(['tc_sk_lookup', 'xdp_sk_lookup'])('%s finds an established connection by its four-tuple before the listener', async (program) => {
    const r = await run(caseOf(program, tcp4(40000), [LISTENER, CONNECTION]));
    expect(r.retval).toBe(1);
    const { rx_queue_mapping: queue, ...fields } = info(r.maps.found![0]!.value!);
    expect(fields).toEqual({
      bound_dev_if: 0, family: 2, type: 1, protocol: 6, mark: 0, priority: 0,
      src_ip4: '0a000002', src_ip6: '00000000000000000000ffff0a000002', src_port: 80,
      dst_port: 40000, dst_ip4: '0a000001', dst_ip6: '00000000000000000000ffff0a000001', state: 1,
    });
    // The queue the connection's packets came in on: none recorded on the VM; over loopback the kernel's varies.
    expect(name === 'kernel' ? [0, -1] : [-1]).toContain(queue);
  });

  it('falls back to the listener for any other peer', async () => {
    const r = await run(caseOf('tc_sk_lookup', tcp4(40001), [LISTENER, CONNECTION]));
    expect(r.retval).toBe(1);
    expect(info(r.maps.found![0]!.value!)).toMatchObject({ src_ip4: '0a000002', src_ip6: ZERO6, src_port: 80, dst_port: 0, dst_ip4: '00000000', state: 10, rx_queue_mapping: -1 });
  });

  it('finds nothing on another port, or with no socket at all', async () => {
    expect((await run(caseOf('tc_sk_lookup', tcp4(40000, 81), [LISTENER]))).retval).toBe(2);
    expect((await run(caseOf('tc_sk_lookup', tcp4(40000), []))).retval).toBe(2);
  });

  it('finds a wildcard UDP socket, and prefers a connected one matching the peer', async () => {
    const wildcard = { proto: 'udp', local: '0.0.0.0:53' } as const;
    const connected = { proto: 'udp', local: '10.0.0.2:53', remote: '10.0.0.1:5000' } as const;
    const a = await run(caseOf('tc_sk_lookup', udp4(5000), [wildcard]));
    expect(info(a.maps.found![0]!.value!)).toMatchObject({ family: 2, type: 2, protocol: 17, src_ip4: '00000000', src_port: 53, state: 7 });
    const b = await run(caseOf('tc_sk_lookup', udp4(5000), [wildcard, connected]));
    expect(info(b.maps.found![0]!.value!)).toMatchObject({ src_ip4: '0a000002', dst_ip4: '0a000001', dst_port: 5000, state: 1, rx_queue_mapping: -1 });
    const c = await run(caseOf('tc_sk_lookup', udp4(5001), [wildcard, connected]));
    expect(info(c.maps.found![0]!.value!)).toMatchObject({ src_ip4: '00000000', state: 7 });
  });

  it('gives IPv6 sockets 127.0.0.6 as their IPv4 source once bound to an address', async () => {
    const listener = await run(caseOf('tc_sk_lookup', tcp6(40000), [{ proto: 'tcp', local: '[fd00::2]:80' }]));
    expect(info(listener.maps.found![0]!.value!)).toMatchObject({ family: 10, src_ip4: '7f000006', src_ip6: 'fd000000000000000000000000000002', state: 10 });
    const conn = await run(caseOf('tc_sk_lookup', tcp6(40000), [{ proto: 'tcp', local: '[fd00::2]:80', remote: '[fd00::1]:40000', state: 'established' }]));
    expect(info(conn.maps.found![0]!.value!)).toMatchObject({ src_ip4: '7f000006', dst_ip4: '7f000006', dst_ip6: 'fd000000000000000000000000000001', dst_port: 40000, state: 1 });
    const udp = await run(caseOf('tc_sk_lookup', udp6(5000), [{ proto: 'udp', local: '[::]:53' }]));
    expect(info(udp.maps.found![0]!.value!)).toMatchObject({ family: 10, src_ip4: '00000000', src_ip6: ZERO6, state: 7 });
  });

  it('does not find an IPv6-only socket for an IPv4 tuple', async () => {
    expect((await run(caseOf('tc_sk_lookup', udp4(5000), [{ proto: 'udp', local: '[::]:53' }]))).retval).toBe(2);
  });

  it('returns a sock_common from bpf_skc_lookup_tcp', async () => {
    const r = await run(caseOf('tc_skc_lookup', tcp4(40000), [CONNECTION]));
    expect(r.retval).toBe(1);
    expect(info(r.maps.found![0]!.value!)).toMatchObject({ family: 2, src_ip4: '0a000002', src_port: 80, dst_port: 40000, dst_ip4: '0a000001', state: 1 });
  });

  it('finds nothing for a bad tuple size, flags, a namespace id, or the other protocol', async () => {
    // Bits: 0 plain, 4 netns_id 0xffffffff and 6 0xfffffffe80000000 (negative as an s32: the current
    // namespace), 8 bpf_skc_lookup_tcp; not 1 (size 11), 2 (flags), 3 (id 0), 5 (2^32), 7 (UDP), 9 (an IPv6 tuple).
    const r = await run(caseOf('tc_sk_lookup_args', tcp4(40000), [LISTENER]));
    expect(r.retval).toBe(0b1_0101_0001);
  });
});

const segment = (flags: string, sport = 40000) => toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport, dport: 80, flags } }));
const EINVAL = -22;
const ENOENT = -2;

describe.each(backends)('syncookie helpers on $name', ({ run }) => {
  /** The six results tc_syncookie stored, in order. */
  const results = async (packet: string, sockets: SocketSpec[]) => {
    const r = await run(caseOf('tc_syncookie', packet, sockets));
    expect(r.retval).toBe(1);
    return r.maps.cookies!.slice(0, 6).map((e) => Number(new DataView(e.value!.buffer, e.value!.byteOffset).getBigInt64(0, true)));
  };

  it('make no cookie for a SYN while the listener queue is not full, and refuse short headers', async () => {
    // gen, check, gen with a short IP header, gen with a short TCP header, the same for check.
    expect(await results(segment('S'), [LISTENER])).toEqual([ENOENT, ENOENT, EINVAL, EINVAL, ENOENT, EINVAL]);
  });

  it('refuse an ACK for gen and find no cookie for it', async () => {
    expect(await results(segment('A'), [LISTENER])).toEqual([EINVAL, ENOENT, EINVAL, EINVAL, EINVAL, EINVAL]);
  });

  it('refuse a socket that is no listener', async () => {
    expect(await results(segment('S'), [CONNECTION])).toEqual([EINVAL, EINVAL, EINVAL, EINVAL, EINVAL, EINVAL]);
  });
});

describe('helpers left unsimulated next to the socket helpers', () => {
  it('fail naming the helper and its C line when the program runs', async () => {
    const obj = await load(testObject('helpers_unsimulated'));
    const err = (() => {
      try {
        obj.program('xdp_unsimulated').run(Buffer.from(tcp4(1), 'hex'));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toMatchObject({ code: 'vm/helper-unsupported' });
    expect(err?.message).toContain('bpf_get_current_pid_tgid');
    expect(err?.message).toMatch(/helpers_unsimulated\.c:\d+/);
  });
});

describe('socket lookup reference tracking', () => {
  it('refuses a program that never releases a socket it looked up', async () => {
    await expect(load(LEAK)).rejects.toMatchObject({ code: 'verifier/rejected', message: expect.stringContaining('reference leak') });
  });
});

describe('sockets of a case', () => {
  it.each([
    { name: 'a port of 0', have: [{ proto: 'tcp', local: '10.0.0.1:0' }] },
    { name: 'an IPv6 address without brackets', have: [{ proto: 'tcp', local: 'fd00::1:80' }] },
    { name: 'a TCP connection without a peer', have: [{ proto: 'tcp', local: '10.0.0.1:80', state: 'established' }] },
    { name: 'a listener with a peer', have: [{ proto: 'tcp', local: '10.0.0.1:80', remote: '10.0.0.2:1' }] },
    { name: 'a UDP socket in state listen', have: [{ proto: 'udp', local: '10.0.0.1:53', state: 'listen' }] },
    { name: 'a connected socket on the wildcard', have: [{ proto: 'udp', local: '0.0.0.0:53', remote: '10.0.0.2:1' }] },
    { name: 'families that differ', have: [{ proto: 'udp', local: '10.0.0.1:53', remote: '[fd00::1]:1' }] },
    { name: 'two listeners on one port, one on the wildcard', have: [{ proto: 'tcp', local: '0.0.0.0:80' }, { proto: 'tcp', local: '10.0.0.1:80' }] },
    { name: 'one UDP socket twice', have: [{ proto: 'udp', local: '0.0.0.0:53' }, { proto: 'udp', local: '0.0.0.0:53' }] },
    { name: 'one connection twice', have: [CONNECTION, CONNECTION] },
  ])('refuses $name', ({ have }) => {
    expect(() => resolveSockets(have as SocketSpec[])).toThrow(expect.objectContaining({ code: 'case/bad-socket' }));
    expect(() => parseCase({ object: OBJECT, program: 'tc_sk_lookup', packet: tcp4(1), sockets: have }, '/')).toThrow(expect.objectContaining({ code: 'case/bad-socket' }));
  });

  it('refuses an unknown field and names its path', () => {
    expect(() => parseCase({ object: OBJECT, program: 'tc_sk_lookup', packet: tcp4(1), sockets: [{ proto: 'tcp', local: '10.0.0.1:80', port: 1 }] }, '/')).toThrow(
      expect.objectContaining({ code: 'case/bad-socket', message: 'sockets[0].port: unknown field' }),
    );
  });

  it('lets UDP sockets share a port, listeners on two addresses share one, and a listener keep its connections', () => {
    const udp = [{ proto: 'udp', local: '0.0.0.0:53' }, { proto: 'udp', local: '10.0.0.2:53' }, { proto: 'udp', local: '10.0.0.2:53', remote: '10.0.0.1:1' }] as const;
    expect(resolveSockets([...udp, LISTENER, { proto: 'tcp', local: '10.0.0.3:80' }, CONNECTION])).toHaveLength(6);
  });

  it('is given to load() and to a Machine through the API', async () => {
    const obj = await load(OBJECT, { sockets: [LISTENER] });
    expect(obj.program('tc_sk_lookup').run(Buffer.from(tcp4(40000), 'hex')).retval).toBe(1);
  });
});
