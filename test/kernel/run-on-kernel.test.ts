import { describe, expect, it } from 'vitest';
import { CaseError, KernelError, VerifierError } from '../../src/internal/errors.js';
import { runOnKernel, type KernelCase } from '../../src/kernel/run-on-kernel.js';
import { kernelOrSkip, testObject } from './require-kernel.js';

const available = await kernelOrSkip();

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return new Uint8Array(b); };
const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return new Uint8Array(b); };

/** 02:00:00:00:01:01 <- 02:00:00:00:00:01, IPv4 UDP 10.1.0.5 -> 10.9.1.1, ports 53 -> 53. */
const UDP = bytes('020000000101' + '020000000001' + '0800' + '4500001c0001000040110000' + '0a010005' + '0a090101' + '0035003500080000');

const FIB = {
  interfaces: [
    { ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24', 'fd01::1/64'] },
    { ifindex: 3, name: 'eth2', mac: '02:00:00:00:02:01', addrs: ['10.2.0.1/24'], mtu: 1400 },
  ],
  routes: [{ dst: '10.9.0.0/16', via: '10.2.0.254', dev: 3 }],
  neighbors: [{ ip: '10.2.0.254', mac: '02:00:00:00:02:fe', dev: 3 }],
};

describe.runIf(available)('kernel', () => {
  it('runs an XDP program and reads back packet, ctx and every map', async () => {
    const r = await runOnKernel({
      objectPath: testObject('kernel_xdp'),
      program: 'xdp_rewrite',
      packet: UDP,
      ctx: { ingress_ifindex: 1 },
      maps: { counts: [{ key: u32(2), value: u64(5) }], '.data': [{ key: u32(0), value: u32(40) }] },
    });
    expect(r.retval).toBe(3); // XDP_TX
    expect(r.progType).toBe(6);
    expect(hex(r.packet)).toBe('fd' + hex(UDP).slice(2));
    expect(r.ctx).toEqual({ data: 0, ingress_ifindex: 1, rx_queue_index: 0 });
    expect(r.maps.counts).toEqual([{ key: u32(2), values: [u64(6)] }]);
    expect(r.maps['.rodata']).toEqual([{ key: u32(0), values: [bytes('ff')] }]);
    expect(r.maps['.data']).toEqual([{ key: u32(0), values: [u32(41)] }]);
    // Per-CPU: the run happens on CPU 0; every other possible CPU's value stays zero.
    const percpu = r.maps.percpu;
    expect(percpu).toHaveLength(1);
    expect(percpu[0].values[0]).toEqual(u32(1));
    for (const v of percpu[0].values.slice(1)) expect(v).toEqual(u32(0));
    expect(r.durationNs).toBeUndefined();
  });

  it('sets a per-CPU value on every CPU and keeps metadata apart from the packet', async () => {
    const meta = bytes('aabbccdd');
    const r = await runOnKernel({
      objectPath: testObject('kernel_xdp'),
      program: 'xdp_rewrite',
      packet: new Uint8Array([...meta, ...UDP]),
      ctx: { data: 4 },
      maps: { percpu: [{ key: u32(0), value: u32(7) }] },
      repeat: 3,
    });
    expect(hex(r.meta!)).toBe('aabbccdd');
    expect(hex(r.packet)).toBe('fd' + hex(UDP).slice(2));
    expect(r.ctx).toEqual({ data: 4, ingress_ifindex: 0, rx_queue_index: 0 });
    expect(r.maps.percpu[0].values.every((v) => v.length === 4)).toBe(true);
    // Without ingress_ifindex the kernel runs on loopback's queue: ctx->ingress_ifindex reads 1, three runs.
    expect(r.maps.percpu[0].values[0]).toEqual(u32(10));
    for (const v of r.maps.percpu[0].values.slice(1)) expect(v).toEqual(u32(7));
    // XDP's repeat runs on the same buffer without restoring it: the rewrite toggles data[0].
    expect(r.maps.counts).toEqual([
      { key: u32(2), values: [u64(2)] },
      { key: u32(0xfd), values: [u64(1)] },
    ]);
    expect(typeof r.durationNs).toBe('number');
  });

  it('runs a TC program with ctx fields and a prog-array slot', async () => {
    const c: KernelCase = {
      objectPath: testObject('kernel_tc'),
      program: 'tc_mark',
      packet: UDP,
      ctx: { mark: 5, priority: 1, cb: [1, 2, 3, 4, 5] },
    };
    const plain = await runOnKernel(c);
    expect(plain.retval).toBe(0); // TC_ACT_OK
    expect(plain.ctx).toMatchObject({ mark: 0x105, priority: UDP.length, cb: [1, 42, 3, 4, 5], wire_len: UDP.length });
    expect(plain.maps).toEqual({ jump: [] });
    const tail = await runOnKernel({ ...c, maps: { jump: [{ key: u32(0), program: 'tc_shot' }] } });
    expect(tail.retval).toBe(2); // TC_ACT_SHOT
    expect(tail.maps.jump).toEqual([{ key: u32(0), values: [], program: 'tc_shot' }]);
    expect(tail.ctx!.mark).toBe(0xdead);
  });

  it('types a program whose section libbpf 1.1 does not know', async () => {
    const r = await runOnKernel({ objectPath: testObject('kernel_tcx'), program: 'tc_ingress_new', packet: UDP });
    expect(r.progType).toBe(3); // BPF_PROG_TYPE_SCHED_CLS
    expect(r.retval).toBe(0xffffffff); // TC_ACT_UNSPEC as a u32
  });

  it.each([
    { name: 'forwarding on', forwarding: true, retval: 4, rc: 100, dst: '0200000002fe020000000201' },
    { name: 'forwarding off', forwarding: false, retval: 2, rc: 105, dst: '020000000101020000000001' },
  ])('builds the fib for bpf_fib_lookup ($name)', async ({ forwarding, retval, rc, dst }) => {
    const r = await runOnKernel({
      objectPath: testObject('kernel_fib'),
      program: 'xdp_fib',
      packet: UDP,
      ctx: { ingress_ifindex: 2 },
      fib: { ...FIB, forwarding },
    });
    expect(r.retval).toBe(retval);
    expect(hex(r.packet).slice(0, 24)).toBe(dst);
    expect(r.maps.last_rc).toEqual([{ key: u32(0), values: [u64(rc)] }]);
  });

  it('gives a VerifierError with a summary and the whole log', async () => {
    const err = await runOnKernel({ objectPath: testObject('kernel_bad'), program: 'xdp_unchecked', packet: UDP }).catch((e) => e);
    expect(err).toBeInstanceOf(VerifierError);
    expect(err.code).toBe('kernel/verifier');
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.message).toContain('R1 offset is outside of the packet');
    expect(err.log).toContain('processed ');
  });

  it.each([
    { name: 'unknown program', have: { program: 'nope' }, want: { cls: CaseError, code: 'case/unknown-program' } },
    { name: 'unknown map', have: { maps: { nope: [{ key: u32(0), value: u32(0) }] } }, want: { cls: CaseError, code: 'case/unknown-map' } },
    { name: 'short key', have: { maps: { counts: [{ key: u32(0).slice(0, 2), value: u64(0) }] } }, want: { cls: CaseError, code: 'case/bad-map-key' } },
    { name: 'ctx field ctx_in refuses', have: { ctx: { egress_ifindex: 1 } }, want: { cls: CaseError, code: 'case/bad-ctx' } },
    { name: 'rx queue the device lacks', have: { ctx: { ingress_ifindex: 1, rx_queue_index: 9 } }, want: { cls: KernelError, code: 'kernel/test-run' } },
    { name: 'missing object', have: { objectPath: '/nonexistent.o' }, want: { cls: KernelError, code: 'kernel/open' } },
    { name: 'a .rodata initial value of the wrong size', have: { maps: { '.rodata': [{ key: u32(0), value: bytes('0000') }] } }, want: { cls: CaseError, code: 'case/map-update' } },
  ])('rejects a bad case: $name', async ({ have, want }) => {
    const c = { objectPath: testObject('kernel_xdp'), program: 'xdp_rewrite', packet: UDP, ...have } as KernelCase;
    const err = await runOnKernel(c).catch((e) => e);
    expect(err).toBeInstanceOf(want.cls);
    expect(err.code).toBe(want.code);
  });
});
