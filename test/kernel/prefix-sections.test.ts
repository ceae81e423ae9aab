/**
 * Sections named by libbpf 0.x's bare prefixes (`xdp_strip_tag`, `classifier_mark`, `tc_len`), which
 * libbpf 1.x leaves untyped: the kernel backend types them from the loader's section table, as
 * the VM does, so verify and parity see the same programs with the same types on both backends.
 * A section nobody types is refused by both, instead of the kernel backend verifying nothing.
 */
import { describe, expect, it } from 'vitest';
import { verifyOnKernel } from '../../src/kernel/index.js';
import { sectionProgType } from '../../src/kernel/run-case.js';
import { LoadError } from '../../src/internal/errors.js';
import { loadObjectFile } from '../../src/loader/load-object.js';
import { parseCase } from '../../src/sim/case.js';
import { parityOfCase } from '../../src/sim/parity-case.js';
import { BPF_PROG_TYPE } from '../../src/uapi/bpf.js';
import { verifyObject } from '../../src/verifier/index.js';
import { kernelOrSkip, ROOT, testObject } from './require-kernel.js';

const kernel = await kernelOrSkip();
/** 02:00:00:00:00:02 <- 02:00:00:00:00:01, IPv4 TCP 10.0.0.1 -> 10.0.0.2, 20-byte header only. */
const FRAME = '0200000000020200000000010800450000140000000040060000' + '0a0000010a000002';

describe('kernel', () => {
  it.each([
    { name: 'xdp_strip_tag', want: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP },
    { name: 'xdp', want: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP },
    { name: 'classifier_mark', want: BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS },
    { name: 'tc_len', want: BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS },
    { name: 'tcx/ingress', want: BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS },
    { name: 'action_x', want: BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT },
    { name: 'socket_filter', want: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER },
    { name: 'kprobe/tcp_connect', want: undefined },
    { name: 'xdpfoo', want: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP },
    { name: 'unknown', want: undefined },
  ])('types section $name for libbpf as the loader types it', ({ name, want }) => {
    expect(sectionProgType(name)).toBe(want);
  });

  describe.runIf(kernel)('on the kernel', () => {
    it('verifies every bare-prefix program with the type the VM gives it', async () => {
      const ours = verifyObject(loadObjectFile(testObject('kernel_prefix_sections'))).programs;
      const theirs = (await verifyOnKernel(testObject('kernel_prefix_sections'))).programs;
      const verdicts = (ps: typeof ours) => ps.map((p) => [p.program, p.type, p.accepted, p.error]);
      expect(verdicts(theirs)).toEqual([
        ['strip_tag', 'xdp', true, null],
        ['mark_len', 'tc', true, null],
        ['len_plus_proto', 'tc', true, null],
      ]);
      expect(verdicts(ours)).toEqual(verdicts(theirs));
    }, 60_000);

    it('refuses an object with a section nobody types on both backends, and verifies it with a type', async () => {
      const object = testObject('kernel_unknown_section');
      expect(() => loadObjectFile(object)).toThrow(expect.objectContaining({ code: 'load/unknown-section' }));
      const refusal = verifyOnKernel(object);
      await expect(refusal).rejects.toBeInstanceOf(LoadError);
      await expect(refusal).rejects.toMatchObject({ code: 'load/unknown-section', message: expect.stringContaining("section 'flow_sorter'") });
      const typed = (await verifyOnKernel(object, { type: 'tc' })).programs;
      expect(typed.map((p) => [p.program, p.type, p.accepted])).toEqual([['sort_flows', 'tc', true]]);
    }, 60_000);

    it.each(['strip_tag', 'mark_len', 'len_plus_proto'])('runs %s on both backends with one result', async (program) => {
      const p = await parityOfCase(parseCase({ object: testObject('kernel_prefix_sections'), program, packet: FRAME }, ROOT));
      expect(p.load).toEqual({ vm: { accepted: true, error: null }, kernel: { accepted: true, error: null } });
      expect(p.differences).toEqual([]);
      expect(p.kernel?.retval).toBe(p.vm?.retval);
    }, 60_000);
  });
});
