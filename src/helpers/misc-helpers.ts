import { BPF_MAP_TYPE } from '../uapi/bpf.js';
import type { HelperFn } from '../vm/env.js';
import { helperFault, mapArg, memAt, u32 } from './args.js';
import { JIFFY_NS, type SimKernel } from './kernel-state.js';

/**
 * Small helpers of kernel/bpf/helpers.c and net/core/filter.c: spin locks, jiffies, per-CPU
 * lookups on another CPU, and the socket and network-namespace cookies of the skb
 * BPF_PROG_TEST_RUN builds.
 */

/**
 * bpf_spin_lock(lock) / bpf_spin_unlock(lock): the 4-byte `struct bpf_spin_lock` in a map value.
 * A run is alone on its CPU and the verifier proves every lock is released before the program
 * exits and that no other helper is called while it is held, so taking the lock always
 * succeeds; the word holds 1 while taken and 0 after, as an uncontended qspinlock does.
 */
export const spinLock: HelperFn = (env, r1) => {
  memAt(env, r1, 4, true);
  env.mem.view.setUint32(Number(r1), 1, true);
  return 0n;
};

export const spinUnlock: HelperFn = (env, r1) => {
  memAt(env, r1, 4, true);
  env.mem.view.setUint32(Number(r1), 0, true);
  return 0n;
};

/** INITIAL_JIFFIES (include/linux/jiffies.h): jiffies start 5 minutes before wrapping 32 bits, (u32)(-300 * HZ) at HZ=250. */
export const INITIAL_JIFFIES = BigInt((-300 * 250) >>> 0);

/** bpf_jiffies64: get_jiffies_64(), INITIAL_JIFFIES at boot plus one per 4 ms tick (HZ=250) of the simulated clock. */
export function jiffies64(kernel: SimKernel): HelperFn {
  return () => INITIAL_JIFFIES + kernel.clockNs / JIFFY_NS;
}

const PERCPU = new Set<number>([BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE.BPF_MAP_TYPE_LRU_PERCPU_HASH]);

/**
 * bpf_map_lookup_percpu_elem(map, key, cpu): the value of `key` on `cpu` of a per-CPU array or
 * hash (the map's map_lookup_percpu_elem), NULL when `cpu` is not below the CPU count
 * (nr_cpu_ids) or the key is absent. An LRU element gets its ref bit, as a lookup does.
 */
export function mapLookupPercpuElem(kernel: SimKernel): HelperFn {
  return (env, r1, r2, r3) => {
    const { map } = mapArg(env, r1, 'bpf_map_lookup_percpu_elem');
    if (!PERCPU.has(map.spec.type)) throw helperFault(env, 'bpf_map_lookup_percpu_elem', 'helper/bad-map', `map '${map.spec.name}' is not a per-CPU map`);
    const key = memAt(env, r2, map.spec.keySize, false);
    const cpu = u32(r3);
    if (cpu >= kernel.cpus) return 0n;
    return BigInt(map.lookup(key, cpu));
  };
}

/**
 * bpf_get_socket_cookie(skb): BPF_PROG_TEST_RUN gives its skb a socket of its own for each run
 * (bpf_prog_test_run_skb), whose cookie is taken from a global counter the first time it is
 * asked for. Here run n of a kernel's life (SimKernel.runs) has socket cookie n: the same for every
 * call in a run, a new one for every run. The kernel's numbers depend on the machine's history.
 */
export function getSocketCookie(kernel: SimKernel): HelperFn {
  return () => BigInt(kernel.runs);
}

/** net_cookie of init_net and of the namespace BPF_PROG_TEST_RUN's socket lives in, in the simulation (numbers the kernel hands out in the order namespaces ask). */
export const INIT_NET_COOKIE = 1n;
export const TEST_NET_COOKIE = 2n;

/**
 * bpf_get_netns_cookie(ctx): the cookie of the network namespace of the skb's socket (the
 * namespace the run happens in), or init_net's when ctx is NULL.
 */
export const getNetnsCookie: HelperFn = (_env, r1) => (r1 === 0n ? INIT_NET_COOKIE : TEST_NET_COOKIE);
