import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';

/**
 * bpf_dynptr_copy and bpf_dynptr_memset (kernel/bpf/helpers.c): the program checks each return
 * value and returns the failing check's line; the rewritten packet is compared here. Checked on
 * each engine and, where it runs, the kernel.
 */
const OBJECT = testObject('kfunc_dynptr_copy');
const backends = await availableBackends();
const tcp = buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 1, dport: 80 } });
const caseOf = (program: string, packet: Uint8Array) => parseCase({ object: OBJECT, program, packet: toHex(packet) }, '/');

/** A frame whose byte i is distinct enough to show where every byte went. */
function frame(len: number): Uint8Array {
  return Uint8Array.from({ length: len }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
}

describe.each(backends)('bpf_dynptr_copy and bpf_dynptr_memset on $name', ({ run }) => {
  it('copy (memmove on overlap) and fill skb and local dynptrs, with -E2BIG for ranges and -EINVAL for NULL dynptrs', async () => {
    const r = await run(caseOf('tc_dynptr_copy', tcp));
    expect(r.retval).toBe(0);
    const want = Uint8Array.from(tcp);
    want.copyWithin(30, 26, 30);
    want.copyWithin(0, 3, 9);
    want.copyWithin(42, 40, 46);
    want.fill(0xee, want.length - 2);
    expect(toHex(r.packet!)).toBe(toHex(want));
    expect(toHex(r.maps.scratch![0]!.value!)).toBe('aaaaaaaa07070707' + '0a0000010a000002');
  });

  it('refuse to write a read-only (socket filter) skb dynptr with -EINVAL before checking the range', async () => {
    const r = await run(caseOf('socket_dynptr_copy', tcp));
    expect(r.retval).toBe(tcp.length - 14);
  });

  it('copy and fill across the fragments of a multi-buffer frame', async () => {
    const r = await run(caseOf('xdp_dynptr_copy_frags', frame(9000)));
    expect(r.retval).toBe(2);
    const want = frame(9000);
    want.copyWithin(100, 3400, 3700);
    want.copyWithin(3500, 14, 54);
    want.copyWithin(7500, 3300, 3900);
    want.fill(0x5a, 7600, 7640);
    want.fill(0xa5, 3510, 3530);
    expect(toHex(r.packet!)).toBe(toHex(want));
  });

  it('fail with -EFAULT past offset 0xffff of an xdp frame, as bpf_xdp_pointer does', async () => {
    const len = 3520 + 17 * 4096;
    const r = await run(caseOf('xdp_dynptr_copy_frags', frame(len)));
    expect(r.retval).toBe(2);
    const want = frame(len);
    want.fill(1, 0xff00, 0xff08);
    expect(toHex(r.packet!)).toBe(toHex(want));
  });
});
