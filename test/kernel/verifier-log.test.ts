import { describe, expect, it } from 'vitest';
import { needsPreviousLine, summarizeVerifierLog, verdictFromLog, verifierLogLines } from '../../src/kernel/verifier-log.js';

describe('kernel', () => {
  it.each([
    {
      name: 'register line needs the line before',
      have: '0: R1=ctx() R10=fp0\n1: (71) r0 = *(u8 *)(r1 +20)\ninvalid access to packet, off=20 size=1, R1(id=0,off=20,r=0)\nR1 offset is outside of the packet\nprocessed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n',
      want: 'invalid access to packet, off=20 size=1, R1(id=0,off=20,r=0): R1 offset is outside of the packet',
    },
    { name: 'R0 !read_ok', have: '0: (95) exit\nR0 !read_ok\nprocessed 1 insns (limit 1000000)', want: '0: (95) exit: R0 !read_ok' },
    { name: 'a self-explaining last line', have: 'func#0 @0\nunknown func bpf_foo#999\n', want: 'unknown func bpf_foo#999' },
    {
      name: 'invalid bpf_context access',
      have: "0: (79) r6 = *(u64 *)(r1 +0)\nfunc '__x64_sys_recvfrom' arg0 type FWD is not a struct\ninvalid bpf_context access off=0 size=8",
      want: "func '__x64_sys_recvfrom' arg0 type FWD is not a struct: invalid bpf_context access off=0 size=8",
    },
    { name: 'BTF member line', have: '[13] STRUCT drm_rect size=16 vlen=4\n\tx1 type_id=2', want: '[13] STRUCT drm_rect size=16 vlen=4: x1 type_id=2' },
    { name: 'a one-line log', have: 'R1 type=scalar expected=fp', want: 'R1 type=scalar expected=fp' },
    { name: 'text after a NUL is ignored', have: 'back-edge from insn 3 to 1\n\0garbage\nmore', want: 'back-edge from insn 3 to 1' },
    { name: 'empty', have: '  \n', want: '' },
    { name: 'statistics only', have: 'processed 1 insns\nverification time 12 usec\n', want: '' },
    {
      // bpf/tests/bad_loop.c on 6.18: the verdict comes before two state dumps.
      name: 'an infinite loop with its state dumps',
      have: 'infinite loop detected at insn 2\ncur state: R1=scalar() R10=fp0 fp-8=mmmm????\nold state: R1=scalar() R10=fp0 fp-8=mmmm????\nverification time 144 usec\nstack depth 8\nprocessed 15 insns (limit 1000000)',
      want: 'infinite loop detected at insn 2',
    },
  ])('summarizes a verifier log: $name', ({ have, want }) => {
    expect(summarizeVerifierLog(have)).toBe(want);
  });

  it('keeps leading whitespace of each line and trims trailing whitespace', () => {
    expect(verifierLogLines('\n a  \n\tb\t\n')).toEqual(['a', '\tb']);
  });

  it.each([
    { have: 'R0 !read_ok', want: true },
    { have: '\tx1 type_id=2', want: true },
    { have: 'invalid bpf_context access off=0 size=8', want: true },
    { have: 'Rx is not a register', want: false },
    { have: 'unreachable insn 4', want: false },
  ])('tells whether "$have" needs the previous line', ({ have, want }) => {
    expect(needsPreviousLine(have)).toBe(want);
  });

  it.each([
    {
      name: 'a rejection: last line, last instruction, its C line, processed count',
      have: 'func#0 @0\n0: R1=ctx() R10=fp0\n; __u8 *data = (void *)(long)ctx->data; @ kernel_bad.c:8\n0: (61) r1 = *(u32 *)(r1 +0)\n; return data[20]; @ kernel_bad.c:9\n1: (71) r0 = *(u8 *)(r1 +20)\ninvalid access to packet, off=20 size=1, R1(id=0,off=20,r=0)\nR1 offset is outside of the packet\nprocessed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n',
      want: { error: 'R1 offset is outside of the packet', insn: 1, source: 'kernel_bad.c:9', insnsProcessed: 2 },
    },
    {
      name: 'the C line of an earlier instruction on the same line',
      have: '; return x; @ /src/a.c:4\n3: (bf) r0 = r1\n4: (95) exit\nR0 !read_ok\nprocessed 5 insns (limit 1000000)\n',
      want: { error: 'R0 !read_ok', insn: 4, source: 'a.c:4', insnsProcessed: 5 },
    },
    {
      name: 'a message without its newline, glued to the statistics',
      have: '2: (85) call bpf_tail_call#12\nexpected prog array map for tail callprocessed 3 insns (limit 1000000) max_states_per_insn 0\n',
      want: { error: 'expected prog array map for tail call', insn: 2, source: null, insnsProcessed: 3 },
    },
    {
      name: 'an accepted program: only statistics',
      have: 'processed 683 insns (limit 1000000) max_states_per_insn 4 total_states 60\n',
      want: { error: null, insn: null, source: null, insnsProcessed: 683 },
    },
  ])('reads verdict fields from a verifier log: $name', ({ have, want }) => {
    expect(verdictFromLog(have)).toEqual(want);
  });
});
