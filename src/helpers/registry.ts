import { HelperError } from '../internal/errors.js';
import type { ProgramSpec } from '../loader/spec.js';
import { BPF_PROG_TYPE, progTypeName } from '../uapi/bpf.js';
import { MAX_HELPER_ID, helperId, helperName } from '../uapi/helper-names.js';
import type { FastHelperFn, HelperDef, HelperFn, HelperRegistry } from '../vm/env.js';
import { csumDiffFast, redirectMapFast, tcRedirectFast, xdpRedirectFast } from './fast-forms.js';
import { skbFibLookup, skbFibLookupFast, xdpFibLookup, xdpFibLookupFast } from './fib-lookup.js';
import type { SimKernel } from './kernel-state.js';
import { FAST_FORMS, mapDeleteElem, mapLookupElem, mapUpdateElem } from './map-helpers.js';
import { cloneRedirect, redirectMap, tcRedirect, xdpRedirect } from './redirect-helpers.js';
import { csumDiff, csumLevel, csumUpdate, l3CsumReplace, l4CsumReplace, setHash, setHashInvalid, skbLoadBytes, skbPullData, skbStoreBytes } from './skb-helpers.js';
import { timeHelpers, timeHelpersFast } from './time-helpers.js';
import { tracePrintk } from './trace-printk.js';
import { xdpAdjustHead, xdpAdjustMeta, xdpAdjustTail, xdpGetBuffLen, xdpLoadBytes, xdpStoreBytes } from './xdp-helpers.js';

/**
 * The helpers each program type may call on this machine's 6.18 kernel: xdp_func_proto and
 * tc_cls_act_func_proto (net/core/filter.c) over bpf_base_func_proto (kernel/bpf/helpers.c), for
 * a privileged loader (CAP_BPF, CAP_PERFMON). Read from the kernel itself by loading a program
 * that calls each helper id and sorting the verifier's answers ("program of this type cannot use
 * helper" or not).
 */
const XDP_ALLOWED = [
  1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 23, 25, 28, 35, 37, 42, 44, 51, 54, 55, 65, 69, 80, 84, 85, 86, 87, 88, 89, 93, 94, 99, 100, 105, 106, 109, 110, 112, 113,
  114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140, 141, 148, 149, 153, 154, 156, 157, 158, 160, 163, 164, 165, 169, 170, 171, 172,
  175, 176, 177, 178, 180, 181, 182, 188, 189, 190, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211,
];
const TC_ALLOWED = [
  1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 28, 29, 30, 31, 32, 33, 34, 35, 37, 38, 39, 40, 41, 42, 43, 46, 47, 48, 50,
  55, 66, 68, 69, 79, 80, 83, 84, 85, 86, 87, 88, 89, 93, 94, 95, 96, 97, 98, 99, 100, 105, 106, 107, 108, 109, 110, 112, 113, 114, 115, 117, 118, 120, 122, 123, 124,
  125, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 148, 149, 151, 152, 153, 154, 155, 156, 157, 158, 160, 163, 164, 165, 169, 170, 171, 172, 175, 176,
  177, 178, 180, 181, 182, 191, 192, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211,
];

const ALLOWED = new Map<number, ReadonlySet<number>>([
  [BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, new Set(XDP_ALLOWED)],
  [BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS, new Set(TC_ALLOWED)],
  [BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT, new Set(TC_ALLOWED)],
]);

const BPF_FUNC_MAP_LOOKUP_ELEM = 1;
const BPF_FUNC_CSUM_DIFF = 28;
/** bpf_redirect: inline, it leaves its target in the control block SimKernel.redirect reads (SimKernel.bindMemory). */
const BPF_FUNC_REDIRECT = 23;
/** bpf_fib_lookup: inline over the FIB tables SimKernel keeps in the bound memory (SimKernel.bindMemory). */
const BPF_FUNC_FIB_LOOKUP = 69;
/** Helpers without arguments or side effects whose result only changes between runs. */
const CONSTANT_DURING_RUN = new Set(
  ['ktime_get_ns', 'ktime_get_boot_ns', 'ktime_get_coarse_ns', 'ktime_get_tai_ns', 'get_smp_processor_id', 'get_numa_node_id'].map((n) => helperId(n)!),
);

/** BPF_FUNC_tail_call: allowed for both types, carried out by the engine, never registered. */
export const BPF_FUNC_TAIL_CALL = 12;

/** True when the kernel lets a program of `progType` call helper `id`. */
export function helperAllowed(progType: number, id: number): boolean {
  return ALLOWED.get(progType)?.has(id) ?? false;
}

type Factory = (kernel: SimKernel, xdp: boolean) => HelperFn;
/** Makes a helper's BigInt-free form (HelperDef.fast), given the kernel and the reference form it must agree with. */
type FastFactory = (kernel: SimKernel, xdp: boolean, fn: HelperFn) => FastHelperFn;

/** The BigInt-free forms of the hot helpers that are bound to a kernel (those that are not sit in FAST_FORMS). */
function fastImplementations(): Map<number, FastFactory> {
  const byName: Record<string, FastFactory> = {
    csum_diff: () => csumDiffFast,
    redirect: (k, xdp) => (xdp ? xdpRedirectFast(k) : tcRedirectFast(k)),
    redirect_map: (k, _xdp, fn) => redirectMapFast(k, fn),
    fib_lookup: (k, xdp) => (xdp ? xdpFibLookupFast(k) : skbFibLookupFast(k)),
  };
  for (const name of Object.keys(timeHelpersFast(undefined as unknown as SimKernel))) {
    byName[name] = (k) => timeHelpersFast(k)[name]!;
  }
  const out = new Map<number, FastFactory>();
  for (const [name, f] of Object.entries(byName)) out.set(helperId(name)!, f);
  return out;
}

function implementations(): Map<number, Factory> {
  const byName: Record<string, Factory> = {
    map_lookup_elem: () => mapLookupElem,
    map_update_elem: () => mapUpdateElem,
    map_delete_elem: () => mapDeleteElem,
    trace_printk: (k) => tracePrintk(k),
    skb_store_bytes: () => skbStoreBytes,
    l3_csum_replace: () => l3CsumReplace,
    l4_csum_replace: () => l4CsumReplace,
    clone_redirect: (k) => cloneRedirect(k),
    redirect: (k, xdp) => (xdp ? xdpRedirect(k) : tcRedirect(k)),
    skb_load_bytes: () => skbLoadBytes,
    csum_diff: () => csumDiff,
    skb_pull_data: () => skbPullData,
    csum_update: () => csumUpdate,
    set_hash_invalid: () => setHashInvalid,
    set_hash: () => setHash,
    csum_level: () => csumLevel,
    xdp_adjust_head: () => xdpAdjustHead,
    xdp_adjust_meta: () => xdpAdjustMeta,
    xdp_adjust_tail: () => xdpAdjustTail,
    xdp_get_buff_len: () => xdpGetBuffLen,
    xdp_load_bytes: () => xdpLoadBytes,
    xdp_store_bytes: () => xdpStoreBytes,
    redirect_map: (k) => redirectMap(k),
    fib_lookup: (k, xdp) => (xdp ? xdpFibLookup(k) : skbFibLookup(k)),
  };
  for (const name of Object.keys(timeHelpers(undefined as unknown as SimKernel))) {
    byName[name] = (k) => timeHelpers(k)[name]!;
  }
  const out = new Map<number, Factory>();
  for (const [name, f] of Object.entries(byName)) out.set(helperId(name)!, f);
  return out;
}

const IMPLEMENTED = implementations();
const FAST_IMPLEMENTED = fastImplementations();

/** True when bpfsim implements helper `id` (for some program type). */
export function helperImplemented(id: number): boolean {
  return IMPLEMENTED.has(id);
}

/**
 * The helpers a program of `progType` can call, bound to `kernel`: every helper the kernel
 * allows for the type and bpfsim implements, by id. Tail calls are the engine's.
 */
export function createHelperRegistry(progType: number, kernel: SimKernel): HelperRegistry {
  const defs = new Map<number, HelperDef>();
  const xdp = progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
  for (const [id, factory] of IMPLEMENTED) {
    if (!helperAllowed(progType, id)) continue;
    const fn = factory(kernel, xdp);
    const def: HelperDef = { id, name: helperName(id), fn, fast: FAST_IMPLEMENTED.get(id)?.(kernel, xdp, fn) ?? FAST_FORMS.get(fn) };
    // Map lookups (VmMap.arrayLayout, hashLayout) and csum_diff are what an engine can do without calling in.
    if (id === BPF_FUNC_MAP_LOOKUP_ELEM || id === BPF_FUNC_CSUM_DIFF || ((id === BPF_FUNC_REDIRECT || id === BPF_FUNC_FIB_LOOKUP) && kernel.memoryBound)) def.inline = true;
    // The clock does not move during a run (SimKernel), nor does the CPU: one reading serves every call.
    if (CONSTANT_DURING_RUN.has(id)) def.constant = (env) => fn(env, 0n, 0n, 0n, 0n, 0n);
    defs.set(id, def);
  }
  return { get: (id) => defs.get(id) };
}

/**
 * Checks every helper call (opcode 0x85, src 0) of `program` as the verifier would at load:
 * HelperError `helper/unknown` for an id the kernel does not know, `helper/not-allowed` for one
 * the program type may not call, `helper/unimplemented` for one the kernel allows but bpfsim
 * does not simulate yet. `progType` defaults to the program's own.
 */
export function checkHelpers(program: ProgramSpec, progType: number = program.type): void {
  const insns = program.insns;
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc]!;
    if (insn.opcode !== 0x85 || insn.src !== 0) continue;
    const id = insn.imm;
    const where = `program '${program.name}': insn ${pc}`;
    if (id <= 0 || id > MAX_HELPER_ID) throw new HelperError('helper/unknown', `${where}: unknown helper id ${id} (this kernel knows 1 to ${MAX_HELPER_ID})`);
    if (!helperAllowed(progType, id)) throw new HelperError('helper/not-allowed', `${where}: ${helperName(id)} (#${id}) is not allowed in ${progTypeName(progType)} programs`);
    if (id !== BPF_FUNC_TAIL_CALL && !IMPLEMENTED.has(id)) throw new HelperError('helper/unimplemented', `${where}: ${helperName(id)} (#${id}) is allowed in ${progTypeName(progType)} programs but bpfsim does not simulate it yet`);
  }
}
