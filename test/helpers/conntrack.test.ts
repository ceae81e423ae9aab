import { describe, expect, it } from 'vitest';
import { load, Machine } from '../../src/index.js';
import { toHex } from '../../src/internal/hex.js';
import { CaseError } from '../../src/internal/errors.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { parityOfCase } from '../../src/sim/parity-case.js';
import { loadObjectFile } from '../../src/loader/load-object.js';
import { verifyObject } from '../../src/verifier/index.js';
import { verifyOnKernel } from '../../src/kernel/verify-on-kernel.js';
import type { ConntrackSpec } from '../../src/internal/contract.js';
import { kernelOrSkip, testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';

const OBJECT = testObject('kfunc_conntrack');
const BAD = testObject('kfunc_conntrack_bad');
const backends = await availableBackends();
const kernel = await kernelOrSkip();

const tcp4 = (sport = 40000, dport = 80) => toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport, dport } }));
const udp6 = () => toHex(buildPacket({ ipv6: { src: 'fd00::1', dst: 'fd00::2' }, udp: { sport: 5000, dport: 53 } }));

/** The server's side of the packet's flow: a lookup of the packet finds it in the reply direction. */
const SERVER: ConntrackSpec = { proto: 'tcp', src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 40000, status: 0x6, mark: 9, timeout: 60_000 };
const CLIENT: ConntrackSpec = { proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80, mark: 3 };
const V6: ConntrackSpec = { proto: 'udp', src: 'fd00::1', dst: 'fd00::2', sport: 5000, dport: 53, timeout: 2000 };

interface Seen {
  error: number;
  dir: number;
  status: number;
  mark: number;
  timeoutLeft: number;
  retA: number;
  retB: number;
  foundAfter: number;
  foundDir: number;
  statusBefore: number;
}

/** struct seen of kfunc_conntrack.c. */
function seen(value: Uint8Array): Seen {
  const v = new DataView(value.buffer, value.byteOffset);
  return {
    error: v.getInt32(0, true),
    dir: v.getUint32(4, true),
    status: Number(v.getBigUint64(8, true)),
    mark: v.getUint32(16, true),
    timeoutLeft: v.getInt32(20, true),
    retA: v.getInt32(24, true),
    retB: v.getInt32(28, true),
    foundAfter: v.getUint32(32, true),
    foundDir: v.getUint32(36, true),
    statusBefore: Number(v.getBigUint64(40, true)),
  };
}

const caseOf = (program: string, packet: string, conntrack: ConntrackSpec[] = [], rodata: Record<string, number | undefined> = {}) =>
  parseCase({ object: OBJECT, program, packet, conntrack, rodata, parity: { ignore: ['seen.value.timeout_left'] } }, '/');

/** The kernel's clock moves between inserting the case's entries and the run: a few jiffies may have passed. */
function expectTimeLeft(actual: number, jiffies: number): void {
  expect(actual).toBeLessThanOrEqual(jiffies);
  expect(actual).toBeGreaterThan(jiffies - 250);
}

describe.each(backends)('conntrack kfuncs on $name', ({ run }) => {
  it.each(['ct_lookup_xdp_md', 'ct_lookup___sk_buff'])('%s finds an entry by its reply tuple, with its status, mark and timeout', async (program) => {
    const r = await run(caseOf(program, tcp4(), [SERVER]));
    expect(r.retval).toBe(1);
    const s = seen(r.maps.seen![0]!.value!);
    expect(s).toMatchObject({ error: 0, dir: 1, status: 0x6 | 0x8, mark: 9 });
    expectTimeLeft(s.timeoutLeft, 15_000);
  });

  it('finds an entry by its original tuple in direction 0, and an IPv6 UDP one', async () => {
    const r = await run(caseOf('ct_lookup_xdp_md', tcp4(), [CLIENT]));
    expect(seen(r.maps.seen![0]!.value!)).toMatchObject({ dir: 0, status: 0x8, mark: 3 });
    const r6 = await run(caseOf('ct_lookup___sk_buff', udp6(), [V6]));
    expect(r6.retval).toBe(1);
    const s = seen(r6.maps.seen![0]!.value!);
    expect(s.dir).toBe(0);
    expectTimeLeft(s.timeoutLeft, 500);
  });

  it.each([
    { name: 'another port', packet: tcp4(40001), rodata: {}, error: -2 },
    { name: 'another zone', packet: tcp4(), rodata: { zone_id: 5 }, error: -2 },
    { name: 'the zone of the original direction only, looked up from the reply', packet: tcp4(), rodata: { zone_id: 0, zone_dir: 1 }, error: 0 },
    { name: 'opts__sz 8', packet: tcp4(), rodata: { opts_size: 8 }, error: -22 },
    { name: 'a reserved byte set', packet: tcp4(), rodata: { reserved_byte: 1 }, error: -22 },
    { name: 'the 12-byte opts with a zone id', packet: tcp4(), rodata: { opts_size: 12, zone_id: 1 }, error: -22 },
    { name: 'netns_id -2', packet: tcp4(), rodata: { netns_id: -2 }, error: -22 },
    { name: 'a netns id the namespace does not have', packet: tcp4(), rodata: { netns_id: 7 }, error: -64 },
    { name: 'l4proto ICMP', packet: tcp4(), rodata: { l4proto: 1 }, error: -71 },
    { name: 'l4proto ICMP before netns_id -2 (lookup order)', packet: tcp4(), rodata: { l4proto: 1, netns_id: -2 }, error: -71 },
    { name: 'a tuple of 20 bytes', packet: tcp4(), rodata: { tuple_size: 20 }, error: -97 },
  ])('a lookup with $name gives error $error', async ({ packet, rodata, error }) => {
    const r = await run(caseOf('ct_lookup_xdp_md', packet, [SERVER], rodata));
    const s = seen(r.maps.seen![0]!.value!);
    expect(s.error).toBe(error);
    expect(r.retval).toBe(error === 0 ? 1 : 2);
    // opts->dir is written only when an entry is found.
    expect(s.dir).toBe(error === 0 ? 1 : 0xff);
  });

  it.each(['ct_insert_xdp_md', 'ct_insert___sk_buff'])('%s inserts an entry with timeout, status and mark, found in the same run by its reply tuple', async (program) => {
    const r = await run(caseOf(program, tcp4(), [], { new_timeout: 30_000, new_status: 0x6, new_mark: 77 }));
    expect(r.retval).toBe(1);
    const s = seen(r.maps.seen![0]!.value!);
    expect(s).toMatchObject({ error: 0, statusBefore: 0, status: 0xe, mark: 77, retA: 0, foundAfter: 1, foundDir: 1 });
    expectTimeLeft(s.timeoutLeft, 7500);
  });

  it('keeps the 10 s default timeout, and source NAT rewrites the reply tuple', async () => {
    const r = await run(caseOf('ct_insert_xdp_md', tcp4(), [], { new_status: 0x400, new_mark: 5, nat_manip: 0, nat_addr: 0x04030201, nat_port: 1234 }));
    const s = seen(r.maps.seen![0]!.value!);
    // CONFIRMED | SRC_NAT | SRC_NAT_DONE | FIXED_TIMEOUT; the reversed original tuple is no longer the reply.
    expect(s).toMatchObject({ status: 0x498, mark: 5, retB: 0, foundAfter: 0 });
    expectTimeLeft(s.timeoutLeft, 2500);
  });

  it('refuses to insert a flow the table holds (either direction) and an alloc with bad opts', async () => {
    expect((await run(caseOf('ct_insert_xdp_md', tcp4(), [SERVER]))).retval).toBe(3);
    const bad = await run(caseOf('ct_insert_xdp_md', tcp4(), [], { l4proto: 1, netns_id: -2 }));
    expect(bad.retval).toBe(2);
    // The alloc parses the tuple (EPROTO) after checking netns_id.
    expect(seen(bad.maps.seen![0]!.value!).error).toBe(-22);
  });

  it.each([
    { name: 'a new timeout and status bits set', entry: SERVER, rodata: { new_timeout: 5000, new_status: 0xe | 0x2000, new_mark: 1 }, want: { retA: 0, retB: 0, status: 0x200e, mark: 1 }, left: 1250 },
    { name: 'CONFIRMED left out of the new status (-EBUSY)', entry: SERVER, rodata: { new_timeout: 5000, new_status: 0x6 | 0x2000 }, want: { retB: -16, status: 0xe }, left: 1250 },
    { name: 'ASSURED cleared (-EBUSY)', entry: SERVER, rodata: { new_timeout: 5000, new_status: 0xa, new_mark: 2 }, want: { retA: 0, retB: -16, status: 0xe, mark: 2 }, left: 1250 },
    { name: 'bits never cleared, a fixed timeout kept (-EPERM)', entry: { ...SERVER, status: 0x400 }, rodata: { new_timeout: 5000, new_status: 0x8 }, want: { retA: -1, retB: 0, status: 0x408 }, left: 15_000 },
  ])('changes a found entry: $name', async ({ entry, rodata, want, left }) => {
    const r = await run(caseOf('ct_change', tcp4(), [entry], rodata));
    expect(r.retval).toBe(1);
    const s = seen(r.maps.seen![0]!.value!);
    expect(s).toMatchObject(want);
    expectTimeLeft(s.timeoutLeft, left);
  });
});

describe.runIf(kernel)('conntrack parity with the kernel', () => {
  const cases = [
    ['lookup hit', caseOf('ct_lookup_xdp_md', tcp4(), [SERVER, V6])],
    ['lookup miss', caseOf('ct_lookup___sk_buff', tcp4(40001), [SERVER])],
    ['IPv6 lookup', caseOf('ct_lookup___sk_buff', udp6(), [V6])],
    ['lookup in a zone', caseOf('ct_lookup_xdp_md', tcp4(), [{ ...SERVER, zone: 5 }], { zone_id: 5 })],
    ['NAT on insert', caseOf('ct_insert_xdp_md', tcp4(), [], { nat_manip: 1, nat_addr: 0x0100000a, nat_port: 8080 })],
    ['opts error', caseOf('ct_lookup_xdp_md', tcp4(), [SERVER], { reserved_byte: 1 })],
    ['alloc + insert', caseOf('ct_insert___sk_buff', tcp4(), [], { new_timeout: 1000, new_status: 0x2, new_mark: 8 })],
    ['insert of a taken tuple', caseOf('ct_insert_xdp_md', tcp4(), [CLIENT])],
    ['change', caseOf('ct_change', tcp4(), [SERVER], { new_timeout: 100, new_status: 0xe | 0x2000, new_mark: 4 })],
    ['change refused', caseOf('ct_change', tcp4(), [SERVER], { new_timeout: 100, new_status: 0x6, new_mark: 4 })],
  ] as const;
  it.each(cases.flatMap(([name, c]) => (['wasm', 'interp'] as const).map((engine) => ({ name, c, engine }))))('$name agrees on $engine', async ({ c, engine }) => {
    const p = await parityOfCase(c, engine);
    expect(p.load.vm).toEqual({ accepted: true, error: null });
    expect(p.differences).toEqual([]);
  });

  it('the verifiers agree on the type, reference and write rules of nf_conn and nf_conn___init', async () => {
    const ours = verifyObject(loadObjectFile(BAD)).programs.map((p) => ({ program: p.program, accepted: p.accepted, error: p.error }));
    const theirs = (await verifyOnKernel(BAD)).programs.map((p) => ({ program: p.program, accepted: p.accepted, error: p.error }));
    expect(ours.map((p) => p.accepted)).toEqual(ours.map((p) => p.program.startsWith('ok_')));
    expect(ours).toHaveLength(9);
    expect(ours).toEqual(theirs);
  });
});

describe('conntrack table of a machine', () => {
  it('keeps what a run inserts for later runs, lists it, and lets it expire with the clock', async () => {
    const machine = new Machine({ conntrack: [SERVER] });
    const obj = await load(OBJECT, { machine, rodata: { new_timeout: 1000, new_mark: 12 } });
    const udp = buildPacket({ ipv4: { src: '10.0.0.5', dst: '10.0.0.6' }, udp: { sport: 1, dport: 2 } });
    expect(obj.program('ct_lookup_xdp_md').run(udp).retval).toBe(2);
    expect(obj.program('ct_insert_xdp_md').run(udp).retval).toBe(1);
    expect(obj.program('ct_lookup_xdp_md').run(udp).retval).toBe(1);
    expect(machine.conntrackEntries()).toEqual([
      { proto: 'tcp', src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 40000, reply: { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80 }, status: 0xe, mark: 9, timeout: 60_000, zone: 0 },
      { proto: 'udp', src: '10.0.0.5', dst: '10.0.0.6', sport: 1, dport: 2, reply: { src: '10.0.0.6', dst: '10.0.0.5', sport: 2, dport: 1 }, status: 0x8, mark: 12, timeout: 1000, zone: 0 },
    ]);
    machine.kernel.clockNs += 1_000_000_000n;
    expect(obj.program('ct_lookup_xdp_md').run(udp).retval).toBe(2);
    expect(obj.conntrackEntries().map((e) => e.proto)).toEqual(['tcp']);
  });

  it.each([
    { name: 'a status bit a program cannot set', entry: { ...SERVER, status: 0x8 } },
    { name: 'mixed families', entry: { ...SERVER, dst: 'fd00::1' } },
    { name: 'a bad address', entry: { ...SERVER, src: '10.0.0' } },
    { name: 'an unknown field', entry: { ...SERVER, state: 'established' } },
  ])('refuses a case entry with $name', ({ entry }) => {
    let err: unknown;
    try {
      parseCase({ object: OBJECT, program: 'ct_lookup_xdp_md', packet: tcp4(), conntrack: [entry] }, '/');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaseError);
    expect(['case/bad-conntrack', 'case/invalid']).toContain((err as CaseError).code);
  });

  it('names the field of a bad address in one line', () => {
    expect(() => parseCase({ object: OBJECT, program: 'ct_lookup_xdp_md', packet: tcp4(), conntrack: [{ ...SERVER, dst: '10.0.0.300' }] }, '/')).toThrow(
      /^conntrack\[0\]\.dst: expected an IPv4 or IPv6 address, got "10\.0\.0\.300"$/,
    );
  });

  it('refuses the same flow twice', () => {
    expect(() => new Machine({ conntrack: [SERVER, CLIENT] })).toThrow(CaseError);
  });
});
