import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/internal/contract.js';
import { fromHex, toHex } from '../../src/internal/hex.js';
import { load } from '../../src/index.js';
import { runCase } from '../../src/sim/backend.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { changesPacketData, helperByName, helperImplemented } from '../../src/helpers/table.js';
import { ERRNO } from '../../src/uapi/errno.js';
import { verifyOnKernel } from '../../src/kernel/index.js';
import { loadObjectFile } from '../../src/loader/load-object.js';
import { verifyObject } from '../../src/verifier/index.js';
import { testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';

/**
 * The TC skb helpers (bpf/tests/helpers_skb.c): each program records helper results and skb
 * fields in `out[]`, and every backend must give the words below. The values are the kernel's
 * (6.18, BPF_PROG_TEST_RUN), so the kernel backend checks the table and the VM against it.
 */

const OBJECT = testObject('helpers_skb');
const UDP = toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 1000, dport: 53 } }));
/** The same frame with an 802.1ad tag (VID 10) and an 802.1Q tag (VID 20) after the MAC addresses. */
const QINQ = UDP.slice(0, 24) + '88a8000a' + '81000014' + UDP.slice(24);
const backends = await availableBackends();
const kernel = backends.some((b) => b.name === 'kernel');

const { EINVAL, ENOENT, ENOMEM, EFAULT, EACCES, EALREADY, EPROTO, ENODEV, ENOTSUPP } = ERRNO;
const BE_8021Q = 0x0081;
const BE_8021AD = 0xa888;
const BE_IP = 0x0008;
const BE_IPV6 = 0xdd86;

/** out[] as signed 64-bit numbers (the helpers' negative errnos stay readable). */
function words(result: RunResult): bigint[] {
  const bss = Buffer.from(result.maps['.bss']?.[0]?.value ?? '', 'hex');
  const out: bigint[] = [];
  for (let i = 0; i + 8 <= bss.length; i += 8) out.push(bss.readBigInt64LE(i));
  return out;
}

/** The words of out[] that are not 0, by index. */
function nonZero(result: RunResult): Record<number, number> {
  const out: Record<number, number> = {};
  words(result).forEach((w, i) => {
    if (w !== 0n) out[i] = Number(w);
  });
  return out;
}

interface Want {
  program: string;
  packet?: string;
  ctx?: Record<string, number>;
  retval?: number;
  out: Record<number, number>;
  /** The output packet, when the test pins it. */
  packetOut?: string;
}

const WANT: Record<string, Want> = {
  'vlan push and pop move the offloaded tag and the frame tags as skb_vlan_push/pop do': {
    program: 'tc_vlan',
    // pop without a tag: 0; push 100 (offloaded); push 0x2005 as 802.1ad puts 100 in the frame;
    // pop clears 0x2005 and takes 100 back out of the frame; an unknown proto is 802.1Q.
    out: { 2: 1, 3: 100, 4: BE_8021Q, 5: 42, 6: BE_IP, 8: 1, 9: 0x2005, 10: BE_8021AD, 11: 46, 12: BE_8021Q, 14: 1, 15: 100, 16: BE_8021Q, 17: 42, 18: BE_IP, 20: 1, 21: 7, 22: BE_8021Q, 23: 46, 24: BE_8021Q },
    packetOut: UDP.slice(0, 24) + '81000064' + UDP.slice(24),
  },
  'vlan pop takes the outer frame tag and offloads the inner one': {
    program: 'tc_vlan_frame',
    packet: QINQ,
    out: { 3: 50, 4: BE_8021AD, 6: 1, 7: 20, 8: BE_8021Q, 9: 42, 10: BE_IP, 15: 42, 16: BE_IP, 21: 42, 22: BE_IP },
    packetOut: UDP,
  },
  'adjust_room grows, shrinks, encapsulates and resets the checksum level as the kernel does': {
    program: 'tc_room',
    out: { 1: 50, 3: 42, 4: -EFAULT, 5: -ENOTSUPP, 6: -EINVAL, 7: -EINVAL, 8: -ENOTSUPP, 13: -EACCES, 15: 78, 16: -EALREADY, 17: -ENOTSUPP, 18: -ENOTSUPP, 19: BE_IP, 20: 78 },
  },
  'change_tail, change_head, change_proto and change_type keep the kernel limits': {
    program: 'tc_change',
    out: { 1: 52, 2: -EINVAL, 5: -EINVAL, 7: -EINVAL, 9: 3, 10: -EINVAL, 12: BE_IPV6, 13: 62, 14: -ENOTSUPP, 15: -EINVAL, 17: 42, 18: -EINVAL, 19: -EINVAL, 21: 56, 23: 76 },
  },
  'tunnel keys and options are set and read back with the kernel flags, sizes and errors': {
    program: 'tc_tunnel',
    out: {
      0: -EINVAL, 1: -ENOENT, 2: -EINVAL, 4: -EINVAL, 5: -EINVAL, 6: -EINVAL,
      // Read back, remote and local swap places (key.dst is set from remote, remote read from key.src).
      9: 42, 10: 0x0a000001, 11: 0x0a000002, 12: 0x0c214004, 13: -EPROTO, 16: 42, 17: -ENOENT, 18: -EINVAL, 19: -ENOMEM,
      21: -ENOMEM, 22: 8, 23: -6366218896703053408, 26: 0x0cf9, 28: -EPROTO, 30: 0x12345, 31: 0x2_0000_0001, 32: -EINVAL, 33: -ENOENT,
    },
  },
  'csum_level follows the skb checksum state; hash, check_mtu and cgroup ids answer as the kernel': {
    program: 'tc_meta',
    out: { 0: -EACCES, 4: 1, 5: 3, 6: 2, 8: -EACCES, 9: -EINVAL, 10: 1, 11: 1, 12: 0x1234, 14: 1, 16: 65536, 17: 1, 19: -ENODEV, 20: 7, 21: -EINVAL, 22: -EINVAL, 24: 1 },
  },
  'redirect_neigh and redirect_peer refuse bad flags and lengths with TC_ACT_SHOT': {
    program: 'tc_redirect_neigh',
    retval: 7,
    out: { 0: 2, 1: 2, 2: 2 },
  },
  'a GSO skb (ctx_in gso_size, gso_type 0) refuses adjust_room until change_tail makes it linear again': {
    program: 'tc_room',
    ctx: { gso_size: 100, gso_segs: 3 },
    out: { 0: -ENOTSUPP, 1: 42, 2: -ENOTSUPP, 3: 42, 4: -EFAULT, 5: -ENOTSUPP, 6: -EINVAL, 7: -EINVAL, 8: -ENOTSUPP, 10: -ENOTSUPP, 12: -ENOTSUPP, 14: -ENOTSUPP, 15: 42, 16: -ENOTSUPP, 18: -ENOTSUPP, 19: BE_IP, 20: 46, 21: -ENOTSUPP },
  },
  'check_mtu passes a GSO skb that is longer than the MTU': {
    program: 'tc_meta',
    ctx: { gso_size: 100, gso_segs: 3 },
    out: { 0: -EACCES, 4: 1, 5: 3, 6: 2, 8: -EACCES, 9: -EINVAL, 10: 1, 11: 1, 12: 0x1234, 14: 1, 16: 65536, 19: -ENODEV, 20: 7, 21: -EINVAL, 22: -EINVAL, 24: 1 },
  },
  'redirect_peer redirects': { program: 'tc_redirect_peer', retval: 7, out: { 0: 7 } },
  'packet pointers taken after each packet-moving helper see the moved packet': {
    program: 'tc_reparse',
    out: { 1: 0x450800, 2: 50, 3: 0x8100_0005, 4: 54, 6: 200 },
  },
  'the packet grows past the test_run headroom and tailroom up to BPF_SKB_MAX_LEN': {
    program: 'tc_grow',
    out: { 1: 1042, 6: 8137, 8: 8141, 10: -EINVAL, 11: -ENOTSUPP, 14: 16064 },
  },
  'LD_ABS relative to the network and MAC headers follows the headers the helpers moved': {
    program: 'tc_ld_abs',
    out: { 0: 17, 1: 100, 2: 0x8100, 3: 17, 7: 0x0200, 8: 17 },
  },
  'check_mtu for XDP measures the frame against the receiving device': { program: 'xdp_mtu', retval: 2, out: { 1: 65536, 2: 1, 3: -EINVAL } },
};

describe.each(backends)('TC skb helpers on $name', ({ name, runJson: run }) => {
  it.each(Object.entries(WANT))('%s', async (_title, want) => {
    const result = await run(parseCase({ object: OBJECT, program: want.program, packet: want.packet ?? UDP, ...(want.ctx && { ctx: want.ctx }) }, '/'));
    expect(result.retval).toBe(want.retval ?? 0);
    expect(nonZero(result)).toEqual(want.out);
    if (want.packetOut) expect(result.packet).toBe(want.packetOut);
    // BPF_PROG_TEST_RUN cannot copy tunnel metadata out: only the VM reports it.
    if (name === 'kernel') expect(result.tunnel).toBeUndefined();
  });

  it('moves every byte where the kernel does when the packet outgrows its buffer', async () => {
    const result = await run(parseCase({ object: OBJECT, program: 'tc_grow', packet: UDP }, '/'));
    expect(result.packet.length / 2).toBe(16064);
    // The two marks written at the head and the tail, and the original MAC addresses, after every later push.
    expect([...result.packet.matchAll(/abcd/g)].map((m) => m.index! / 2)).toEqual([4064, 12203]);
    expect(result.packet.indexOf(UDP.slice(0, 24)) / 2).toBe(5068);
  });

  it('measures check_mtu against the case interface the skb arrived on', async () => {
    const fib = { interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:00:02', addrs: ['10.0.0.2/24'], mtu: 1400 }] };
    const result = await run(parseCase({ object: OBJECT, program: 'tc_meta', packet: UDP, ctx: { ifindex: 2 }, fib }, '/'));
    expect(nonZero(result)[16]).toBe(1400);
    expect(nonZero(result)[17]).toBe(1);
  });
});

describe.runIf(kernel)('tunnel metadata on the kernel backend', () => {
  it('refuses a case that gives the skb tunnel metadata: BPF_PROG_TEST_RUN cannot attach it', async () => {
    const c = parseCase({ object: OBJECT, program: 'tc_tunnel_rx', packet: UDP, tunnel: { id: 1, remote: '192.0.2.1', local: '192.0.2.2' } }, '/');
    await expect(runCase(c, { backend: 'kernel' })).rejects.toMatchObject({ code: 'case/kernel-unsupported' });
  });
});

describe('tunnel metadata input', () => {
  it.each([
    { name: 'mixed families', tunnel: { id: 1, remote: '192.0.2.1', local: 'fd00::1' } },
    { name: 'a bad address', tunnel: { id: 1, remote: '192.0.2.300', local: '192.0.2.2' } },
    { name: 'a label on IPv4', tunnel: { id: 1, remote: '192.0.2.1', local: '192.0.2.2', label: 1 } },
    { name: 'options not a multiple of 4', tunnel: { id: 1, remote: '192.0.2.1', local: '192.0.2.2', options: '010203' } },
    { name: 'an unknown flag', tunnel: { id: 1, remote: '192.0.2.1', local: '192.0.2.2', flags: ['bogus'] } },
    { name: 'options without an options flag', tunnel: { id: 1, remote: '192.0.2.1', local: '192.0.2.2', flags: ['key'], options: '01020304' } },
  ])('refuses a case with $name', ({ tunnel }) => {
    expect(() => parseCase({ object: OBJECT, program: 'tc_tunnel_rx', packet: UDP, tunnel }, '/')).toThrow(expect.objectContaining({ code: 'case/bad-tunnel' }));
  });

  it('refuses the run option on a program that is not TC, and a malformed one', async () => {
    const obj = await load(OBJECT);
    const tunnel = { id: 1, remote: '192.0.2.1', local: '192.0.2.2' };
    expect(() => obj.program('xdp_mtu').run(fromHex(UDP), { tunnel })).toThrow(expect.objectContaining({ code: 'arg/range' }));
    expect(() => obj.program('tc_tunnel_rx').run(fromHex(UDP), { tunnel: { ...tunnel, ttl: 256 } })).toThrow(expect.objectContaining({ code: 'arg/range' }));
    expect(() => obj.program('tc_tunnel_rx').run(fromHex(UDP), { tunnel: 5 as never })).toThrow(expect.objectContaining({ code: 'arg/type' }));
    expect(obj.program('tc_vlan').run(fromHex(UDP), { tunnel }).tunnel).toMatchObject({ id: 1, remote: '192.0.2.1', local: '192.0.2.2', flags: ['key'] });
  });
});

describe.each(backends.filter((b) => b.name !== 'kernel'))('what only the VM reports, on $name', ({ runJson: run }) => {
  it('reports the tunnel metadata the run left on the skb', async () => {
    const result = await run(parseCase({ object: OBJECT, program: 'tc_tunnel', packet: UDP }, '/'));
    expect(result.tunnel).toEqual({ id: 7, remote: 'fd00::2', local: 'fd00::1', tos: 0, ttl: 8, label: 0x12345, flags: ['csum', 'key', 'nocache'], options: '' });
  });

  it('leaves the tunnel out when no helper set one', async () => {
    const result = await run(parseCase({ object: OBJECT, program: 'tc_vlan', packet: UDP }, '/'));
    expect(result.tunnel).toBeUndefined();
  });

  it('starts a run with the tunnel metadata a collect_md device attached, which set_tunnel_opt refuses', async () => {
    const tunnel = { id: 100, remote: '192.0.2.1', local: '192.0.2.2', ttl: 60, options: '0102030405060708' };
    const c = parseCase({ object: OBJECT, program: 'tc_tunnel_rx', packet: UDP, tunnel }, '/');
    const result = await run(c);
    // remote is key.src of received metadata; geneve_opt (0x0800) and key (0x0004) as __be16.
    expect(nonZero(result)).toEqual({ 1: 100, 2: 0xc0000201, 3: 0xc0000202, 4: (0x0408 << 16) | 60, 5: -EPROTO, 6: 8, 7: 0x0807060504030201, 8: -EINVAL });
    // A failed get zeroes the key: the key set afterwards has only its id and remote.
    expect(result.tunnel).toEqual({ id: 9, remote: '10.0.0.9', local: '0.0.0.0', tos: 0, ttl: 0, label: 0, flags: ['csum', 'key', 'geneve_opt', 'vxlan_opt', 'nocache', 'erspan_opt', 'gtp_opt', 'pfcp_opt'], options: '01020304' });
  });

  it('records redirect_neigh and redirect_peer as redirects of their kind', async () => {
    const neigh = await run(parseCase({ object: OBJECT, program: 'tc_redirect_neigh', packet: UDP }, '/'));
    expect(neigh.redirect).toEqual({ ifindex: 5, flags: 0, kind: 'neigh', nexthop: '10.0.0.9' });
    const peer = await run(parseCase({ object: OBJECT, program: 'tc_redirect_peer', packet: UDP }, '/'));
    expect(peer.redirect).toEqual({ ifindex: 6, flags: 0, kind: 'peer' });
  });
});

describe('the skb helpers in the helper table', () => {
  const names = ['skb_vlan_push', 'skb_vlan_pop', 'skb_set_tunnel_key', 'skb_get_tunnel_key', 'skb_set_tunnel_opt', 'skb_get_tunnel_opt', 'skb_adjust_room', 'skb_change_head', 'skb_change_tail', 'skb_change_proto', 'skb_change_type', 'check_mtu', 'redirect_neigh', 'redirect_peer', 'get_hash_recalc', 'set_hash', 'csum_level', 'skb_cgroup_id', 'get_cgroup_classid'];

  it.each(names)('implements %s', (name) => {
    expect(helperImplemented(helperByName(name)!.id)).toBe(true);
  });

  it('marks the helpers that move the packet as changing packet data (bpf_helper_changes_pkt_data)', () => {
    const moving = ['skb_vlan_push', 'skb_vlan_pop', 'skb_adjust_room', 'skb_change_head', 'skb_change_tail', 'skb_change_proto'];
    for (const name of names) expect([name, changesPacketData(helperByName(name)!.id)]).toEqual([name, moving.includes(name)]);
  });

});

describe('packet pointers across the skb helpers (bpf/tests/helpers_skb_stale.c)', () => {
  const object = testObject('helpers_skb_stale');
  const verdicts = (programs: { program: string; accepted: boolean; error: string | null }[]) => Object.fromEntries(programs.map((p) => [p.program, p.accepted ? 'accepted' : p.error]));
  const stale = "R6 invalid mem access 'scalar'";
  const want = {
    stale_vlan_push: stale,
    stale_vlan_pop: stale,
    stale_adjust_room: stale,
    stale_change_head: stale,
    stale_change_tail: stale,
    stale_change_proto: stale,
    kept_csum_level: 'accepted',
    kept_change_type: 'accepted',
    kept_hash_recalc: 'accepted',
  };

  it('refuses a pointer kept across a helper that changes packet data, and keeps it across others', () => {
    expect(verdicts(verifyObject(loadObjectFile(object)).programs)).toEqual(want);
  });

  it.runIf(kernel)('gives the kernel verifier verdicts', async () => {
    expect(verdicts((await verifyOnKernel(object)).programs)).toEqual(want);
  }, 60_000);
});
