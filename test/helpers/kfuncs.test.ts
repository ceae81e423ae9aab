import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { runCase } from '../../src/sim/backend.js';
import { testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';
import { engines } from '../vm/engines.js';

const OBJECT = testObject('kfunc_dynptr');
const frame = toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 1, dport: 80 } }));
const backends = await availableBackends();
const caseOf = (program: string) => parseCase({ object: OBJECT, program, packet: frame }, '/');

/** `frame` with byte `at` (from the Ethernet header) set to `value` for each pair. */
function patched(...bytes: [at: number, value: number][]): string {
  const out = Buffer.from(frame, 'hex');
  for (const [at, value] of bytes) out[at] = value;
  return out.toString('hex');
}

describe.each(backends)('dynptr kfuncs and helpers on $name', ({ run }) => {
  it('reads, slices, clones, adjusts and writes an xdp dynptr with the kernel errors', async () => {
    const r = await run(caseOf('xdp_dynptr'));
    expect(r.retval).toBe(2);
    // The clone starts at the IPv4 header: tos (byte 1) and ttl (byte 8) written through it.
    expect(toHex(r.packet!)).toBe(patched([15, 0x2c], [22, 9]));
  });

  it('writes an skb dynptr with bpf_skb_store_bytes semantics, and refuses bpf_dynptr_data on it', async () => {
    const r = await run(caseOf('tc_dynptr'));
    expect(r.retval).toBe(0);
    expect(toHex(r.packet!)).toBe(patched([22, 3], [36, 0x1f], [37, 0x90]));
  });

  it('gives socket filters a read-only skb dynptr starting at the network header', async () => {
    const r = await run(caseOf('socket_dynptr'));
    expect(r.retval).toBe(frame.length / 2 - 14);
  });

  it('reserves, writes and submits ring buffer dynptrs, with -EINVAL for flags and oversized records', async () => {
    const r = await run(caseOf('xdp_ringbuf_dynptr'));
    expect(r.retval).toBe(2);
    expect(r.events!.map((e) => ({ ...e, data: toHex(e.data) }))).toEqual([
      { map: 'rb', cpu: 0, data: '8877665544332211' },
      { map: 'rb', cpu: 0, data: 'ab0000cd' },
    ]);
  });

  it('gives an empty skb metadata dynptr on a test_run skb, with -EINVAL for flags and -E2BIG past its end', async () => {
    const r = await run(parseCase({ object: testObject('kfunc_skb_meta'), program: 'tc_skb_meta_dynptr', packet: frame }, '/'));
    expect(r.retval).toBe(0);
    expect(toHex(r.packet!)).toBe(frame);
  });

  it('makes local dynptrs over map values with bpf_dynptr_from_mem', async () => {
    const r = await run(caseOf('tc_local_dynptr'));
    expect(r.retval).toBe(0);
  });
});

describe.each(engines)('kfuncs bpfsim does not simulate on $name', ({ name }) => {
  it('fault when called, naming the kfunc and its C line', async () => {
    const err = await runCase(caseOf('xdp_unsimulated'), { backend: 'vm', engine: name as 'wasm' | 'interp' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'vm/kfunc-unsupported' });
    expect((err as Error).message).toContain('bpf_xdp_pull_data');
    expect((err as Error).message).toMatch(/kfunc_dynptr\.c:\d+/);
  });
});
