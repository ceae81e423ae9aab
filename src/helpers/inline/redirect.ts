import { BPF_F_INGRESS, BPF_PROG_TYPE, TC_ACT, XDP_ACTION } from '../../uapi/bpf.js';
import { I64, Op } from '../../vm/wasm/encoder.js';
import type { InlineForm, InlineSite } from '../../vm/wasm/inline-api.js';
import type { VmMemory } from '../../vm/memory.js';
import { INLINE_STATE } from './state.js';

const VARIANT_XDP = 0;
const VARIANT_TC = 1;

/**
 * bpf_redirect(ifindex, flags) carried out in generated code, as redirect-helpers.ts does it: for
 * XDP flags must be 0 (else XDP_ABORTED) and the answer is XDP_REDIRECT; for TC flags beyond
 * BPF_F_INGRESS give TC_ACT_SHOT, else TC_ACT_REDIRECT. The target goes to the control block
 * (INLINE_STATE.REDIRECT), where {@link takeInlineRedirect} finds it after the run.
 */
export const redirectInline: InlineForm = {
  name: 'bpf_redirect',
  variants: 2,
  variantFor: (progType) =>
    progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP ? VARIANT_XDP : progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS || progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT ? VARIANT_TC : -1,
  emit(site: InlineSite): number {
    const { f } = site;
    const at = INLINE_STATE.REDIRECT;
    const store = (flags: () => void): void => {
      f.i32(0).i32(1).mem(Op.i32_store, at);
      f.i32(0).get(site.reg(1)).op(Op.i32_wrap_i64).mem(Op.i32_store, at + 4);
      f.i32(0);
      flags();
      f.mem(Op.i32_store, at + 8);
    };
    site.allowed(VARIANT_XDP);
    f.if(I64);
    f.get(site.reg(2)).op(Op.i64_eqz).if(I64);
    store(() => f.i32(0));
    f.i64(XDP_ACTION.XDP_REDIRECT);
    f.op(Op.else);
    f.i64(XDP_ACTION.XDP_ABORTED);
    f.end();
    f.op(Op.else);
    site.allowed(VARIANT_TC);
    f.if(I64);
    f.get(site.reg(2)).i64(~BigInt(BPF_F_INGRESS)).op(Op.i64_and).op(Op.i64_eqz).if(I64);
    store(() => f.get(site.reg(2)).op(Op.i32_wrap_i64));
    f.i64(TC_ACT.TC_ACT_REDIRECT);
    f.op(Op.else);
    f.i64(TC_ACT.TC_ACT_SHOT);
    f.end();
    f.op(Op.else);
    return 2;
  },
};

/** The redirect an inline bpf_redirect left in `mem`'s control block, clearing it; null when none is pending. */
export function takeInlineRedirect(mem: VmMemory): { ifindex: number; flags: number } | null {
  const v = mem.view;
  const at = INLINE_STATE.REDIRECT;
  if (v.getUint32(at, true) !== 1) return null;
  v.setUint32(at, 0, true);
  return { ifindex: v.getUint32(at + 4, true), flags: v.getUint32(at + 8, true) };
}

/** Drops a pending inline redirect from `mem`'s control block. */
export function clearInlineRedirect(mem: VmMemory): void {
  mem.view.setUint32(INLINE_STATE.REDIRECT, 0, true);
}
