import { describe, expect, it } from 'vitest';
import { KernelError } from '../../src/internal/errors.js';
import { runOnKernel } from '../../src/kernel/run-on-kernel.js';
import { kernelOrSkip, testObject } from './require-kernel.js';

const available = await kernelOrSkip();

/** A frame of `len` bytes with EtherType `type` and zeros after it. */
function frame(type: number, len: number): Uint8Array {
  const f = new Uint8Array(len);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  return f;
}

describe.runIf(available)('kernel', () => {
  // The oracle of src/helpers/context-skb.ts MIN_L3_LEN: test_run refuses a TC frame whose
  // EtherType announces IPv4 or IPv6 when the fixed L3 header is not all there.
  it.each([
    { name: 'IPv4 one byte short', have: frame(0x0800, 33), want: 'refused' },
    { name: 'IPv4 header complete', have: frame(0x0800, 34), want: 'ran' },
    { name: 'IPv6 one byte short', have: frame(0x86dd, 53), want: 'refused' },
    { name: 'IPv6 header complete', have: frame(0x86dd, 54), want: 'ran' },
    { name: 'ARP Ethernet header only', have: frame(0x0806, 14), want: 'ran' },
  ])('runs a TC program only on a frame with its whole L3 header: $name', async ({ have, want }) => {
    const got = await runOnKernel({ objectPath: testObject('kernel_tc'), program: 'tc_shot', packet: have }).then(
      () => 'ran',
      (err) => {
        expect(err).toBeInstanceOf(KernelError);
        expect((err as KernelError).code).toBe('kernel/test-run');
        return 'refused';
      },
    );
    expect(got).toBe(want);
  });
});
