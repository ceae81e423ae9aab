import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { runCase } from '../../src/sim/backend.js';
import { parseCase } from '../../src/sim/case.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';

/*
 * bpf_cast_to_kern_ctx and bpf_rdonly_cast against the kernel: fields of struct xdp_buff,
 * xdp_rxq_info and sk_buff read through the cast pointer. Pointers are compared as differences
 * (the kernel's addresses are not the VM's).
 */
const OBJECT = testObject('kfunc_kern_ctx');
const backends = await availableBackends();
const frame = toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 1000, dport: 80 } }));
const caseOf = (program: string, extra: Record<string, unknown> = {}) => parseCase({ object: OBJECT, program, packet: frame, ...extra }, '/');

/** The `seen` slots a run stored, 0 for those it did not (array maps list non-zero entries only). */
async function seen(run: (c: ReturnType<typeof caseOf>) => Promise<{ retval: number; maps: Record<string, { key: Uint8Array; value?: Uint8Array }[]> }>, c: ReturnType<typeof caseOf>): Promise<bigint[]> {
  const r = await run(c);
  const out = new Array<bigint>(16).fill(0n);
  for (const e of r.maps.seen!) out[e.key[0]!] = new DataView(e.value!.buffer, e.value!.byteOffset).getBigUint64(0, true);
  return out;
}

describe.each(backends)('the kernel context through bpf_cast_to_kern_ctx on $name', ({ run }) => {
  it('reads struct xdp_buff and its xdp_rxq_info', async () => {
    const s = await seen(run, caseOf('xdp_kern_ctx', { ctx: { data: 8 } }));
    // data_end - data, metadata, headroom, frame_sz (a page), flags, queue, loopback's frag_size, same frame.
    expect(s.slice(0, 9)).toEqual([46n, 8n, 256n, 4096n, 0n, 0n, 4096n, 1n, 4096n]);
  });

  it('reads struct sk_buff, with what the program wrote through __sk_buff, and reads through bpf_rdonly_cast', async () => {
    const s = await seen(run, caseOf('tc_kern_ctx', { ctx: { ingress_ifindex: 1 } }));
    expect(s.slice(0, 14)).toEqual([54n, 0n, 0n, 0x5eedn, 7n, 0x800n, 14n, 0xffffn, 54n, 0n, 1n, 0n, 1n, 0x800n]);
  });
});

describe.each(ENGINE_NAMES)('kernel fields bpfsim does not simulate on %s', (engine) => {
  it('fault naming the field', async () => {
    const err = await runCase(caseOf('tc_kern_ctx_unsimulated'), { backend: 'vm', engine }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'vm/kernel-field-unsimulated' });
    expect((err as Error).message).toContain("struct sk_buff at offset 208 size 4: field 'truesize' is not simulated by bpfsim");
    expect((err as Error).message).toMatch(/kfunc_kern_ctx\.c:\d+/);
  });
});
