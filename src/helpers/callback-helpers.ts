import { ERRNO } from '../uapi/errno.js';
import { BPF_MAP_TYPE } from '../uapi/bpf.js';
import type { HelperFn, RunEnv, VmMap } from '../vm/env.js';
import type { Slab, VmMemory } from '../vm/memory.js';
import { errno, helperFault, mapArg, u32 } from './args.js';

/**
 * The helpers that call back into the program: bpf_loop (kernel/bpf/bpf_iter.c) and
 * bpf_for_each_map_elem (each map's map_for_each_callback, kernel/bpf/arraymap.c and hashtab.c).
 * The callback runs in a new call frame through RunEnv.callback, on the instruction budget of
 * the run.
 */

/** BPF_MAX_LOOPS (include/linux/bpf.h). */
export const BPF_MAX_LOOPS = 1 << 23;

/**
 * bpf_loop(nr_loops, callback, ctx, flags): calls `callback(i, ctx)` for i from 0 while i <
 * nr_loops and the callback returns 0; returns the number of calls. Flags other than 0 give
 * -EINVAL, nr_loops over BPF_MAX_LOOPS -E2BIG. The verifier inlines a call whose flags are a
 * known 0 (verifier.c inline_bpf_loop), and that form sets -E2BIG with a 32-bit move: r0 is
 * 0xfffffff9 then, as measured on 6.18. A call that reaches here with flags 0 is taken to be
 * such a call.
 */
export const loop: HelperFn = (env, r1, r2, r3, r4) => {
  if (r4 !== 0n) return errno(ERRNO.EINVAL);
  const n = u32(r1);
  if (n > BPF_MAX_LOOPS) return BigInt((-ERRNO.E2BIG) >>> 0);
  const callback = callbackOf(env, 'bpf_loop');
  const fn = Number(r2);
  let i = 0;
  for (; i < n; i++) {
    if (callback(fn, BigInt(i), r3, 0n, 0n, 0n) !== 0n) return BigInt(i + 1);
  }
  return BigInt(i);
};

/** Map types with a map_for_each_callback: the array and hash families. */
const ITERABLE = new Set<number>([
  BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE.BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_HASH,
  BPF_MAP_TYPE.BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE.BPF_MAP_TYPE_LRU_PERCPU_HASH,
]);

const ARRAYS = new Set<number>([BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_ARRAY]);

/**
 * bpf_for_each_map_elem(map, callback, ctx, flags): calls `callback(map, &key, value, ctx)` for
 * every element, in the map's order, until the callback returns non-zero; returns the number of
 * calls. Arrays visit every index below max_entries; hashes every element present when its turn
 * comes (one the callback deleted is skipped, as unlinking it from its bucket does). The value is
 * the element's own (the current CPU's, for per-CPU maps), so the callback's writes land in the
 * map; the key is a read-only copy, as the kernel's verifier allows no write through it. An LRU
 * element's ref bit is left alone, as the kernel's walk of the buckets does. Flags other than 0
 * give -EINVAL.
 */
export const forEachMapElem: HelperFn = (env, r1, r2, r3, r4) => {
  const { map } = mapArg(env, r1, 'bpf_for_each_map_elem');
  if (!ITERABLE.has(map.spec.type)) {
    throw helperFault(env, 'bpf_for_each_map_elem', 'helper/bad-map', `callback function not allowed for map '${map.spec.name}'`);
  }
  if (r4 !== 0n) return errno(ERRNO.EINVAL);
  const callback = callbackOf(env, 'bpf_for_each_map_elem');
  const fn = Number(r2);
  const keys = ARRAYS.has(map.spec.type) ? arrayKeys(map.spec.maxEntries) : hashKeys(map);
  const depth = nesting.get(env.mem) ?? 0;
  const keySlot = keySlab(env.mem, depth, map.spec.keySize);
  nesting.set(env.mem, depth + 1);
  let calls = 0;
  try {
    for (const key of keys) {
      const value = valueAddr(map, key, env.cpu);
      if (value === 0) continue;
      env.mem.u8.set(key, keySlot.base);
      calls++;
      if (callback(fn, r1, BigInt(keySlot.base), BigInt(value), r3, 0n) !== 0n) break;
    }
  } finally {
    nesting.set(env.mem, depth);
  }
  return BigInt(calls);
};

function callbackOf(env: RunEnv, helper: string): NonNullable<RunEnv['callback']> {
  const cb = env.callback;
  if (cb === undefined) throw helperFault(env, helper, 'helper/no-callback', 'the engine gave no way to call back into the program');
  return cb;
}

function* arrayKeys(maxEntries: number): Generator<Uint8Array> {
  const key = new Uint8Array(4);
  const view = new DataView(key.buffer);
  for (let i = 0; i < maxEntries; i++) {
    view.setUint32(0, i, true);
    yield key;
  }
}

/** The keys present as the walk starts, in the map's get_next_key order. */
function hashKeys(map: VmMap): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (let k = map.nextKey(null); k !== null; k = map.nextKey(k)) keys.push(k.slice());
  return keys;
}

/** The element's value address on `cpu` without a lookup's side effects (an LRU ref bit), 0 when absent. */
function valueAddr(map: VmMap, key: Uint8Array, cpu: number): number {
  const peek = (map as VmMap & { peek?: (key: Uint8Array, cpu: number) => number }).peek;
  return peek !== undefined ? peek.call(map, key, cpu) : map.lookup(key, cpu);
}

/** How deeply bpf_for_each_map_elem calls nest now, per VM memory: each level has its own key slot. */
const nesting = new WeakMap<VmMemory, number>();
const keySlabs = new WeakMap<VmMemory, Slab[]>();

/** The read-only slot the key is copied to at nesting `depth`, at least `size` bytes. */
function keySlab(mem: VmMemory, depth: number, size: number): Slab {
  let slabs = keySlabs.get(mem);
  if (slabs === undefined) keySlabs.set(mem, (slabs = []));
  const have = slabs[depth];
  if (have !== undefined && have.valueSize >= size) return have;
  const slab = mem.allocSlab(Math.max(size, 8), 1, `bpf_for_each_map_elem key (${depth})`, false);
  slabs[depth] = slab;
  return slab;
}
