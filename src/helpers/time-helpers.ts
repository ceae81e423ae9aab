import type { FastHelperFn, HelperFn } from '../vm/env.js';
import type { SimKernel } from './kernel-state.js';

/**
 * Clock, random and CPU helpers (kernel/bpf/helpers.c), answered from a {@link SimKernel}: the
 * clock is the one the caller set, random numbers come from its seeded generator.
 */
export function timeHelpers(kernel: SimKernel): Record<string, HelperFn> {
  return {
    /** bpf_ktime_get_ns: CLOCK_MONOTONIC, ns. */
    ktime_get_ns: () => BigInt.asUintN(64, kernel.clockNs),
    /** bpf_ktime_get_boot_ns: CLOCK_BOOTTIME, ns (no suspend in a simulation, so the same). */
    ktime_get_boot_ns: () => BigInt.asUintN(64, kernel.clockNs),
    /** bpf_ktime_get_coarse_ns: CLOCK_MONOTONIC_COARSE, ns, at the last tick. */
    ktime_get_coarse_ns: () => BigInt.asUintN(64, kernel.coarseNs),
    /** bpf_ktime_get_tai_ns: CLOCK_TAI; the simulation has no leap offset, so the same clock. */
    ktime_get_tai_ns: () => BigInt.asUintN(64, kernel.clockNs),
    /** bpf_get_prandom_u32. */
    get_prandom_u32: () => BigInt(kernel.nextRandom()),
    /** bpf_get_smp_processor_id: the CPU the run happens on. */
    get_smp_processor_id: (env) => BigInt(env.cpu),
    /** bpf_get_numa_node_id: one node. */
    get_numa_node_id: () => 0n,
  };
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A u64 clock reading as HelperDef.fast returns it: the number when it is a safe integer, else NaN (the engine then calls the BigInt form). */
function clockNumber(ns: bigint): number {
  const v = BigInt.asUintN(64, ns);
  return v <= SAFE ? Number(v) : NaN;
}

/** BigInt-free forms (HelperDef.fast) of {@link timeHelpers}, by the same names. */
export function timeHelpersFast(kernel: SimKernel): Record<string, FastHelperFn> {
  return {
    ktime_get_ns: () => clockNumber(kernel.clockNs),
    ktime_get_boot_ns: () => clockNumber(kernel.clockNs),
    ktime_get_coarse_ns: () => clockNumber(kernel.coarseNs),
    ktime_get_tai_ns: () => clockNumber(kernel.clockNs),
    get_prandom_u32: () => kernel.nextRandom(),
    get_smp_processor_id: (env) => env.cpu,
    get_numa_node_id: () => 0,
  };
}
