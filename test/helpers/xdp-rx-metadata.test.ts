import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { runCase } from '../../src/sim/backend.js';
import { parseCase } from '../../src/sim/case.js';
import { load } from '../../src/sim/object.js';
import { replayCapture } from '../../src/sim/replay.js';
import { parityOfCase } from '../../src/sim/parity-case.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { kernelAvailable } from '../../src/kernel/index.js';
import { testObject } from '../kernel/require-kernel.js';

/*
 * bpf_xdp_metadata_rx_timestamp, _rx_hash and _rx_vlan_tag of a device-bound XDP program,
 * answered from the case's rxMetadata as veth answers them: a hint the packet carries is written
 * through the pointers, one it lacks is -ENODATA (61).
 */
const OBJECT = testObject('kfunc_xdp_metadata');
const frame = toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 1000, dport: 53 } }));
const KERNEL = await kernelAvailable();
const ENODATA = BigInt.asUintN(64, -61n);
const ALL = ['xdp_rx_timestamp', 'xdp_rx_hash', 'xdp_rx_vlan_tag'];
const caseOf = (program: string, extra: Record<string, unknown> = {}) => parseCase({ object: OBJECT, program, packet: frame, deviceBound: ALL, ...extra }, '/');

/** A classic pcap (LINKTYPE_ETHERNET) of `frames`. */
function pcapOf(frames: Uint8Array[]): Uint8Array {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const records = frames.map((f, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(i, 0);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    return Buffer.concat([rec, f]);
  });
  return new Uint8Array(Buffer.concat([header, ...records]));
}

/** The `seen` slots the run stored (array maps list non-zero entries only). */
function slots(maps: Record<string, { key: Uint8Array; value?: Uint8Array }[]>): bigint[] {
  const out = new Array<bigint>(4).fill(0n);
  for (const e of maps.seen!) out[e.key[0]!] = new DataView(e.value!.buffer, e.value!.byteOffset).getBigUint64(0, true);
  return out;
}

describe.each(ENGINE_NAMES)('XDP metadata kfuncs on %s', (engine) => {
  const run = async (c: ReturnType<typeof caseOf>) => slots((await runCase(c, { backend: 'vm', engine })).maps);

  it.each([
    { name: 'rx_timestamp', program: 'xdp_rx_timestamp', rx: { timestamp: '17000000001234567890' }, want: [0n, 17_000_000_001_234_567_890n, 0n] },
    { name: 'rx_timestamp as a number', program: 'xdp_rx_timestamp', rx: { timestamp: 123_456_789 }, want: [0n, 123_456_789n, 0n] },
    { name: 'rx_hash', program: 'xdp_rx_hash', rx: { hash: 0xdeadbeef, hashType: 0x2a1 }, want: [0n, 0xdeadbeefn, 0x2a1n] },
    { name: 'rx_hash without a type', program: 'xdp_rx_hash', rx: { hash: 7 }, want: [0n, 7n, 0n] },
    // vlan_proto is __be16: 0x88a8 reads back from memory as 0xa888 on a little-endian machine.
    { name: 'rx_vlan_tag', program: 'xdp_rx_vlan_tag', rx: { vlanProto: 0x88a8, vlanTci: 0x2064 }, want: [0n, 0xa888n, 0x2064n] },
    { name: 'rx_vlan_tag with the default protocol', program: 'xdp_rx_vlan_tag', rx: { vlanTci: 5 }, want: [0n, 0x0081n, 5n] },
  ])('writes the $name hint the packet carries', async ({ program, rx, want }) => {
    expect((await run(caseOf(program, { rxMetadata: rx }))).slice(0, 3)).toEqual(want);
  });

  it.each([
    { program: 'xdp_rx_timestamp', rx: { hash: 1, vlanTci: 1 } },
    { program: 'xdp_rx_hash', rx: { timestamp: 5, vlanTci: 1 } },
    { program: 'xdp_rx_vlan_tag', rx: { timestamp: 5, hash: 1 } },
    { program: 'xdp_rx_vlan_tag', rx: undefined },
  ])('answers -ENODATA from $program for a hint the packet lacks, leaving the outputs', async ({ program, rx }) => {
    expect(await run(caseOf(program, rx ? { rxMetadata: rx } : {}))).toEqual([ENODATA, 0n, 0n, 0n]);
  });

  it('runs the case through its program with the verdict the kfunc led to', async () => {
    const ran = await runCase(caseOf('xdp_rx_vlan_tag', { rxMetadata: { vlanTci: 1 } }), { backend: 'vm', engine });
    const lacked = await runCase(caseOf('xdp_rx_vlan_tag'), { backend: 'vm', engine });
    expect([ran.action, lacked.action]).toEqual(['XDP_PASS', 'XDP_DROP']);
  });

  it('gives every packet of a replay the case\'s hints', async () => {
    const packet = Buffer.from(frame, 'hex');
    const capture = pcapOf([packet, packet, packet]);
    expect((await replayCapture(caseOf('xdp_rx_hash', { rxMetadata: { hash: 1 } }), capture, { engine })).actions).toEqual({ XDP_PASS: 3 });
    expect((await replayCapture(caseOf('xdp_rx_hash'), capture, { engine })).actions).toEqual({ XDP_DROP: 3 });
  });

  it('answers each run from its own hints (API)', async () => {
    const obj = await load(OBJECT, { engine, deviceBound: ALL });
    const prog = obj.program('xdp_rx_hash');
    const packet = buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 1, dport: 2 } });
    prog.run(packet, { rxMetadata: { hash: 9 } });
    expect([obj.map('seen').get(0), obj.map('seen').get(1)]).toEqual([0n, 9n]);
    prog.run(packet);
    expect([obj.map('seen').get(0), obj.map('seen').get(1)]).toEqual([ENODATA, 0n]);
  });
});

describe('device binding and the metadata kfuncs', () => {
  it('refuses a program that is not device-bound, as the kernel verifier does', async () => {
    const err = await load(OBJECT).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'verifier/rejected' });
    expect((err as Error).message).toContain('metadata kfuncs require device-bound program');
  });

  it('loads when every calling program is device-bound', async () => {
    await expect(load(OBJECT, { deviceBound: ALL })).resolves.toBeDefined();
  });

  it('refuses the programs a case leaves unbound when it binds only its own (deviceBound: true)', async () => {
    const err = await runCase(caseOf('xdp_rx_hash', { deviceBound: true }), { backend: 'vm' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'verifier/rejected' });
    expect((err as Error).message).toContain("program 'xdp_rx_timestamp': metadata kfuncs require device-bound program");
  });

  it.each([
    { name: 'a non-array', deviceBound: 'xdp_rx_hash', code: 'arg/type' },
    { name: 'an unknown program', deviceBound: ['nope'], code: 'arg/range' },
    { name: 'a list with a number', deviceBound: [1], code: 'arg/type' },
  ])('refuses deviceBound as $name', async ({ deviceBound, code }) => {
    await expect(load(OBJECT, { deviceBound } as never)).rejects.toMatchObject({ code });
  });

  it.each([
    { name: 'an unknown field', rx: { stamp: 1 } },
    { name: 'a hash past 32 bits', rx: { hash: 2 ** 32 } },
    { name: 'a negative TCI', rx: { vlanTci: -1 } },
    { name: 'a timestamp past 64 bits', rx: { timestamp: '18446744073709551616' } },
    { name: 'a timestamp that is not a number', rx: { timestamp: '12ns' } },
    { name: 'a protocol without a TCI', rx: { vlanProto: 0x8100 } },
    { name: 'a hash type without a hash', rx: { hashType: 1 } },
  ])('refuses rxMetadata with $name in a case', ({ rx }) => {
    expect(() => caseOf('xdp_rx_hash', { rxMetadata: rx })).toThrow(expect.objectContaining({ code: 'case/bad-rx-metadata' }));
  });

  it('refuses rxMetadata with a bad field in a run', async () => {
    const obj = await load(OBJECT, { deviceBound: ALL });
    expect(() => obj.program('xdp_rx_hash').run(new Uint8Array(60), { rxMetadata: { timestamp: -1 } })).toThrow(expect.objectContaining({ code: 'arg/range' }));
  });

  it('is refused by the kernel backend with EINVAL, as BPF_PROG_TEST_RUN refuses a device-bound program', async () => {
    await expect(runCase(caseOf('xdp_rx_hash'), { backend: 'kernel' })).rejects.toMatchObject({ code: 'case/kernel-unsupported', errno: 'EINVAL' });
  });

  it.runIf(KERNEL)('shows in parity as the kernel refusing a run the VM makes', async () => {
    const p = await parityOfCase(caseOf('xdp_rx_hash', { rxMetadata: { hash: 3 } }));
    expect(p.differences).toEqual([expect.objectContaining({ kind: 'refused', a: 'runs', b: 'EINVAL' })]);
  });
});
