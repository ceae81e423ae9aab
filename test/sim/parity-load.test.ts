/**
 * Parity compares load verdicts before runs: accepted, or the verifier's message, on the VM
 * (src/verifier) and on the kernel (the log's last line).
 */
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../src/sim/case.js';
import { diffLoads, parityOfCase } from '../../src/sim/parity-case.js';
import { kernelOrSkip, ROOT, testObject } from '../kernel/require-kernel.js';

const kernel = await kernelOrSkip();
const FRAME = '0200000000020200000000010800450000140000000040060000' + '0a0000010a000002';

describe('sim', () => {
  it.each([
    { name: 'both accept', vm: { accepted: true, error: null }, kernel: { accepted: true, error: null }, want: [] },
    { name: 'same message', vm: { accepted: false, error: 'R0 !read_ok' }, kernel: { accepted: false, error: 'R0 !read_ok' }, want: [] },
    {
      name: 'vm accepts what the kernel rejects',
      vm: { accepted: true, error: null },
      kernel: { accepted: false, error: 'R1 offset is outside of the packet' },
      want: ['load: vm accepts; kernel rejects: R1 offset is outside of the packet'],
    },
    {
      name: 'different messages',
      vm: { accepted: false, error: 'R2 !read_ok' },
      kernel: { accepted: false, error: 'R0 !read_ok' },
      want: ['load: vm rejects: R2 !read_ok; kernel rejects: R0 !read_ok'],
    },
  ])('compares load verdicts: $name', ({ vm, kernel, want }) => {
    const diffs = diffLoads(vm, kernel);
    expect(diffs.map((d) => d.message)).toEqual(want);
    for (const d of diffs) expect(d.kind).toBe('load');
  });

  describe.runIf(kernel)('on the kernel', () => {
    it('agrees on a program both verifiers reject, with the same message, and runs neither', async () => {
      const c = parseCase({ object: testObject('kernel_bad'), program: 'xdp_unchecked', packet: FRAME }, ROOT);
      const p = await parityOfCase(c);
      expect(p.load.kernel).toEqual({ accepted: false, error: 'R1 offset is outside of the packet' });
      expect(p.load.vm).toEqual(p.load.kernel);
      expect([p.vm, p.kernel, p.differences]).toEqual([null, null, []]);
    }, 60_000);

    it('compares the runs of a program both accept', async () => {
      const c = parseCase({ object: testObject('kernel_xdp'), program: 'xdp_pass', packet: FRAME }, ROOT);
      const p = await parityOfCase(c);
      expect(p.load).toEqual({ vm: { accepted: true, error: null }, kernel: { accepted: true, error: null } });
      expect(p.vm?.retval).toBe(p.kernel?.retval);
    }, 60_000);
  });
});
