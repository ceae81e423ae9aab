import { describe, expect, it } from 'vitest';
import { parseCase } from '../../src/sim/case.js';
import type { CaseResult } from '../../src/sim/result.js';
import { testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';

/**
 * XDP multi-buffer frames as BPF_PROG_TEST_RUN builds them (net/bpf/test_run.c): 3520 linear
 * bytes (4096 - 256 headroom - 320 skb_shared_info), the rest in 4096-byte fragments. Every
 * expectation below was measured on 6.18 and is checked on each engine and, where it runs, the kernel.
 */
const OBJECT = testObject('xdp_frags');
const backends = await availableBackends();

/** A frame whose byte i is distinct enough to show where every byte went. */
function frame(len: number): Uint8Array {
  return Uint8Array.from({ length: len }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
}

/** The program's .bss outputs by name, at the offsets clang gave them (llvm-objdump -t). */
function outputs(r: CaseResult) {
  const bss = Buffer.from(r.maps['.bss']![0]!.value!);
  return {
    linearLen: bss.readUInt32LE(0),
    buffLen: bss.readUInt32LE(4),
    loadRet: Number(bss.readBigInt64LE(8)),
    loaded: bss.subarray(16, 32),
    storeRet: Number(bss.readBigInt64LE(32)),
    tailRet: Number(bss.readBigInt64LE(40)),
    linearAfter: bss.readUInt32LE(48),
    buffAfter: bss.readUInt32LE(52),
    dynptrSize: bss.readUInt32LE(56),
    sliceNull: bss.readUInt32LE(60),
    sliceInBuffer: bss.readUInt32LE(64),
    sliced: bss.subarray(72, 80),
  };
}

function frags(program: string, len: number, rodata: { offset_in?: number; tail_delta?: number } = {}, ctx?: Record<string, number>) {
  return parseCase({ object: OBJECT, program, packet: Buffer.from(frame(len)).toString('hex'), rodata, ...(ctx ? { ctx } : {}) }, '/');
}

describe.each(backends)('XDP fragments on $name', ({ run }) => {
  it.each([
    { name: 'a frame that fits stays linear', program: 'xdp_frags_len', len: 3520, ctx: undefined, want: { linearLen: 3520, buffLen: 3520, out: 3520 } },
    { name: 'one byte past the linear buffer goes to a fragment', program: 'xdp_frags_len', len: 3521, ctx: undefined, want: { linearLen: 3520, buffLen: 3521, out: 3521 } },
    { name: 'metadata comes out of the headroom, not the linear data', program: 'xdp_frags_len', len: 9000, ctx: { data: 8 }, want: { linearLen: 3520, buffLen: 8992, out: 8992 } },
    { name: 'a program without BPF_F_XDP_HAS_FRAGS gets the same split', program: 'xdp_linear_len', len: 5000, ctx: undefined, want: { linearLen: 3520, buffLen: 5000, out: 5000 } },
    { name: 'the linear buffer and 17 full pages', program: 'xdp_frags_len', len: 3520 + 17 * 4096, ctx: undefined, want: { linearLen: 3520, buffLen: 73152, out: 73152 } },
  ])('splits the frame: $name', async ({ program, len, ctx, want }) => {
    const r = await run(frags(program, len, {}, ctx));
    const o = outputs(r);
    expect({ linearLen: o.linearLen, buffLen: o.buffLen, out: r.packet.length }).toEqual(want);
    const input = frame(len);
    expect(Buffer.from(r.packet).equals(Buffer.from(input.subarray(input.length - want.out)))).toBe(true);
  });

  it.each([
    { name: 'across the linear part and the first fragment', len: 5000, offset: 3510 },
    { name: 'across two fragments', len: 9000, offset: 7600 },
  ])('loads and stores bytes $name', async ({ len, offset }) => {
    const r = await run(frags('xdp_frags_rw', len, { offset_in: offset }));
    const input = frame(len);
    const o = outputs(r);
    expect(r.action).toBe('XDP_TX');
    expect(o.loadRet).toBe(0);
    expect(o.storeRet).toBe(0);
    expect(Buffer.from(o.loaded).equals(Buffer.from(input.subarray(offset, offset + 16)))).toBe(true);
    const want = input.slice();
    want.set(input.subarray(offset, offset + 16).map((b) => (b + 1) & 0xff), offset + 16);
    expect(Buffer.from(r.packet).equals(Buffer.from(want))).toBe(true);
  });

  it('refuses an offset above 0xffff with EFAULT and a range past the frame with EINVAL', async () => {
    expect(outputs(await run(frags('xdp_frags_rw', 73152, { offset_in: 0x10000 }))).loadRet).toBe(-14);
    expect(outputs(await run(frags('xdp_frags_rw', 9000, { offset_in: 8990 }))).loadRet).toBe(-22);
  });

  it.each([
    { name: 'grows the last fragment, zeroed', len: 5000, delta: 100, want: { ret: 0, linear: 3520, total: 5100 } },
    { name: 'refuses growth past the last fragment page', len: 5000, delta: 2617, want: { ret: -22, linear: 3520, total: 5000 } },
    { name: 'grows up to the end of the last fragment page', len: 5000, delta: 2616, want: { ret: 0, linear: 3520, total: 7616 } },
    { name: 'shrinks inside the last fragment', len: 5000, delta: -1000, want: { ret: 0, linear: 3520, total: 4000 } },
    { name: 'releases fragments it empties and goes on into the linear part', len: 9000, delta: -5500, want: { ret: 0, linear: 3500, total: 3500 } },
    { name: 'shrinks to an Ethernet header', len: 5000, delta: -4986, want: { ret: 0, linear: 14, total: 14 } },
    { name: 'refuses a frame shorter than an Ethernet header', len: 5000, delta: -4987, want: { ret: -22, linear: 3520, total: 5000 } },
  ])('adjusts the tail of a frame with fragments: $name', async ({ len, delta, want }) => {
    const r = await run(frags('xdp_frags_tail', len, { tail_delta: delta }));
    const o = outputs(r);
    expect({ ret: o.tailRet, linear: o.linearAfter, total: o.buffAfter }).toEqual(want);
    expect(r.packet.length).toBe(want.total);
    const input = frame(len);
    const kept = Math.min(len, want.total);
    expect(Buffer.from(r.packet.subarray(0, kept)).equals(Buffer.from(input.subarray(0, kept)))).toBe(true);
    expect(r.packet.subarray(kept).every((b) => b === 0)).toBe(true);
  });

  it("cannot grow a fragment on a device's own queue, whose xdp_rxq_info has no frag_size (EOPNOTSUPP)", async () => {
    const c = parseCase(
      {
        object: OBJECT,
        program: 'xdp_frags_tail',
        packet: Buffer.from(frame(5000)).toString('hex'),
        rodata: { tail_delta: 100 },
        ctx: { ingress_ifindex: 2 },
        fib: { interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24'] }] },
      },
      '/',
    );
    const r = await run(c);
    expect(outputs(r).tailRet).toBe(-95);
    expect(r.packet.length).toBe(5000);
  });

  it.each([
    { name: 'in the linear part points into it', offset: 100, want: { inBuffer: 0, isNull: 0 } },
    { name: 'across the linear part and a fragment is copied to the buffer', offset: 3516, want: { inBuffer: 1, isNull: 0 } },
    { name: 'inside a fragment points into it', offset: 3600, want: { inBuffer: 0, isNull: 0 } },
    { name: 'past the frame is NULL', offset: 8995, want: { inBuffer: 0, isNull: 1 } },
  ])('slices an xdp dynptr over the whole frame: $name', async ({ offset, want }) => {
    const r = await run(frags('xdp_frags_dynptr', 9000, { offset_in: offset }));
    const o = outputs(r);
    expect(o.dynptrSize).toBe(9000);
    expect({ inBuffer: o.sliceInBuffer, isNull: o.sliceNull }).toEqual(want);
    if (!want.isNull) expect(Buffer.from(o.sliced).equals(Buffer.from(frame(9000).subarray(offset, offset + 8)))).toBe(true);
  });
});
