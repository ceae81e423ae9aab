/**
 * Parity on cases BPF_PROG_TEST_RUN refuses: both backends refusing a case with the same errno
 * is agreement (the VM refuses the ctx_in and packet lengths the kernel does not accept).
 */
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../src/sim/case.js';
import { diffRefusals, parityOfCase } from '../../src/sim/parity-case.js';
import type { CaseResult } from '../../src/sim/result.js';
import { kernelOrSkip, ROOT, testObject } from '../kernel/require-kernel.js';

const kernel = await kernelOrSkip();
const FRAME = '0200000000020200000000010800450000140000000040060000' + '0a0000010a000002';

describe('diffRefusals', () => {
  const ran = { retval: 2 } as CaseResult;
  it.each([
    { name: 'the same errno', vm: 'EINVAL', kernel: 'EINVAL', want: [] },
    { name: 'different errnos', vm: 'EINVAL', kernel: 'ENODEV', want: ['run: vm refuses the case with EINVAL (m); kernel refuses the case with ENODEV (m)'] },
    { name: 'a case only the vm refuses', vm: 'EINVAL', kernel: null, want: ['run: vm refuses the case with EINVAL (m); kernel runs it (retval 2)'] },
    { name: 'a case only the kernel refuses', vm: null, kernel: 'EINVAL', want: ['run: vm runs it (retval 2); kernel refuses the case with EINVAL (m)'] },
  ])('compares refusals: $name', ({ vm, kernel: k, want }) => {
    const refusal = (errno: string | null) => (errno ? { errno, message: 'm' } : null);
    const diffs = diffRefusals(refusal(vm), refusal(k), ran);
    expect(diffs.map((d) => d.message)).toEqual(want);
    for (const d of diffs) expect(d.kind).toBe('refused');
  });
});

describe.runIf(kernel)('parity of cases the kernel refuses', () => {
  const xdp = (ctx: Record<string, unknown>, packet = FRAME) => parseCase({ object: testObject('kernel_xdp'), program: 'xdp_pass', packet, ctx }, ROOT);
  const tc = (ctx: Record<string, unknown> | undefined, packet = FRAME) => parseCase({ object: testObject('kernel_tc'), program: 'tc_shot', packet, ...(ctx ? { ctx } : {}) }, ROOT);

  it.each([
    { name: 'XDP metadata not a multiple of 4', have: () => xdp({ data: 3 }), errno: 'EINVAL' },
    { name: 'XDP on an interface the namespace lacks', have: () => xdp({ ingress_ifindex: 9 }), errno: 'ENODEV' },
    { name: 'XDP on an rx queue loopback lacks', have: () => xdp({ ingress_ifindex: 1, rx_queue_index: 9 }), errno: 'EINVAL' },
    { name: 'TC with gso_segs past GSO_MAX_SEGS', have: () => tc({ gso_segs: 70000 }), errno: 'EINVAL' },
    { name: 'TC with wire_len below the skb length', have: () => tc({ wire_len: 20 }), errno: 'EINVAL' },
    { name: 'TC on an IPv4 frame shorter than its header', have: () => tc(undefined, FRAME.slice(0, 60)), errno: 'EINVAL' },
  ])('agrees when both refuse $name', async ({ have, errno }) => {
    const p = await parityOfCase(have());
    expect(p.differences).toEqual([]);
    expect(p.refused?.vm?.errno).toBe(errno);
    expect(p.refused?.kernel?.errno).toBe(errno);
    expect([p.vm, p.kernel]).toEqual([null, null]);
  }, 60_000);
});
