import { describe, expect, it } from 'vitest';
import { SimKernel } from '../../src/helpers/kernel-state.js';
import { checkHelpers, createHelperRegistry } from '../../src/helpers/registry.js';
import { helperAllowed } from '../../src/helpers/table.js';
import { BPF_FUNC_tail_call as BPF_FUNC_TAIL_CALL } from '../../src/uapi/helper-names.js';
import { HelperError } from '../../src/internal/errors.js';
import type { ProgramSpec } from '../../src/loader/spec.js';
import { BPF_PROG_TYPE } from '../../src/uapi/bpf.js';
import { helperId } from '../../src/uapi/helper-names.js';

const XDP = BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
const TC = BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS;

function program(type: number, ...ids: number[]): ProgramSpec {
  return {
    name: 'prog',
    sectionName: 'xdp',
    type,
    insns: [...ids.map((imm) => ({ opcode: 0x85, dst: 0, src: 0, off: 0, imm })), { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }],
    functions: [{ name: 'prog', pc: 0 }],
    lines: [],
    flags: 0,
  };
}

function codeOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof HelperError) return err.code;
    throw err;
  }
  return 'ok';
}

const id = (name: string) => helperId(name)!;

describe('helpers', () => {
  // The allow lists come from the 6.18 verifier ("program of this type cannot use helper").
  it.each([
    { name: 'bpf_skb_store_bytes in XDP', have: { type: XDP, id: id('skb_store_bytes') }, want: 'helper/not-allowed' },
    { name: 'bpf_xdp_adjust_head in TC', have: { type: TC, id: id('xdp_adjust_head') }, want: 'helper/not-allowed' },
    { name: 'bpf_redirect_map in TC', have: { type: TC, id: id('redirect_map') }, want: 'helper/not-allowed' },
    { name: 'bpf_clone_redirect in XDP', have: { type: XDP, id: id('clone_redirect') }, want: 'helper/not-allowed' },
    { name: 'helper id 0', have: { type: XDP, id: 0 }, want: 'helper/unknown' },
    { name: 'helper id 212', have: { type: XDP, id: 212 }, want: 'helper/unknown' },
    // Allowed but not simulated: it loads, and faults when a run calls it (test/api/handles.test.ts).
    { name: 'bpf_get_route_realm in TC (allowed, not simulated)', have: { type: TC, id: id('get_route_realm') }, want: 'ok' },
    { name: 'bpf_tail_call in XDP', have: { type: XDP, id: BPF_FUNC_TAIL_CALL }, want: 'ok' },
    { name: 'bpf_tail_call in TC', have: { type: TC, id: BPF_FUNC_TAIL_CALL }, want: 'ok' },
    { name: 'bpf_fib_lookup in XDP', have: { type: XDP, id: id('fib_lookup') }, want: 'ok' },
    { name: 'bpf_fib_lookup in TC', have: { type: TC, id: id('fib_lookup') }, want: 'ok' },
    { name: 'bpf_ktime_get_coarse_ns in XDP', have: { type: XDP, id: id('ktime_get_coarse_ns') }, want: 'ok' },
    { name: 'bpf_trace_printk in TC', have: { type: TC, id: id('trace_printk') }, want: 'ok' },
  ])('checks helper calls at load as the verifier does: $name', ({ have, want }) => {
    expect(codeOf(() => checkHelpers(program(have.type, have.id)))).toBe(want);
  });

  it('names the helper and the program type in a not-allowed error', () => {
    expect(() => checkHelpers(program(XDP, id('skb_store_bytes')))).toThrow(/bpf_skb_store_bytes.*XDP/);
  });

  it('checks against the type a run overrides the section with', () => {
    expect(codeOf(() => checkHelpers(program(XDP, id('skb_load_bytes')), TC))).toBe('ok');
  });

  it('ignores BPF-to-BPF calls and kfunc calls', () => {
    const p = program(XDP);
    p.insns.unshift({ opcode: 0x85, dst: 0, src: 1, off: 0, imm: 5000 }, { opcode: 0x85, dst: 0, src: 2, off: 0, imm: 9999 });
    expect(codeOf(() => checkHelpers(p))).toBe('ok');
  });

  it('registers every helper the type allows and nothing else', () => {
    const kernel = new SimKernel();
    const xdp = createHelperRegistry(XDP, kernel);
    const tc = createHelperRegistry(TC, kernel);
    expect(xdp.get(id('xdp_adjust_tail'))?.name).toBe('bpf_xdp_adjust_tail');
    expect(xdp.get(id('skb_load_bytes'))).toBeUndefined();
    expect(tc.get(id('skb_load_bytes'))?.name).toBe('bpf_skb_load_bytes');
    expect(tc.get(BPF_FUNC_TAIL_CALL)).toBeUndefined();
    // Allowed but not simulated: registered as a call that faults naming the helper.
    expect(() => tc.get(id('get_route_realm'))?.fn({ pc: 7 } as never, 0n, 0n, 0n, 0n, 0n)).toThrow(expect.objectContaining({ code: 'vm/helper-unsupported', message: expect.stringContaining('insn 7: bpf_get_route_realm (#24)') }));
    for (let i = 1; i <= 211; i++) {
      if (xdp.get(i)) expect(helperAllowed(i, XDP)).toBe(true);
      if (tc.get(i)) expect(helperAllowed(i, TC)).toBe(true);
    }
    expect(helperAllowed(id("clone_redirect"), BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT)).toBe(true);
  });
});
