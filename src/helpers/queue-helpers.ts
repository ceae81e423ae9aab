import { BloomFilterMap } from '../maps/bloom-filter.js';
import { QueueStackMap } from '../maps/queue-stack.js';
import { ERRNO } from '../uapi/errno.js';
import type { HelperFn, RunEnv, VmMap } from '../vm/env.js';
import { errno, helperFault, mapArg, memAt } from './args.js';

/**
 * bpf_map_push_elem, bpf_map_pop_elem and bpf_map_peek_elem (kernel/bpf/helpers.c): the map's
 * own push/pop/peek ops, which only queues, stacks and bloom filters have (the verifier refuses
 * the helpers on other maps; here they fault `helper/bad-map`).
 */

function keylessArg(env: RunEnv, r: bigint, helper: string): QueueStackMap | BloomFilterMap {
  const { map } = mapArg(env, r, helper);
  if (map instanceof QueueStackMap || map instanceof BloomFilterMap) return map;
  throw helperFault(env, helper, 'helper/bad-map', `map '${(map as VmMap).spec.name}' is not a queue, stack or bloom filter`);
}

/** bpf_map_push_elem(map, value, flags): 0 or a negative errno. */
export const mapPushElem: HelperFn = (env, r1, r2, r3) => {
  const map = keylessArg(env, r1, 'bpf_map_push_elem');
  const value = memAt(env, r2, map.spec.valueSize, false).slice();
  const flags = r3 > 0xffff_ffffn ? 0xffff_ffff : Number(r3);
  const rc = map.push(value, flags);
  return rc < 0 ? errno(-rc) : 0n;
};

function take(helper: string, remove: boolean): HelperFn {
  return (env, r1, r2) => {
    const map = keylessArg(env, r1, helper);
    const out = memAt(env, r2, map.spec.valueSize, map instanceof QueueStackMap);
    if (map instanceof BloomFilterMap) {
      if (remove) return errno(ERRNO.EOPNOTSUPP);
      const rc = map.peek(out.slice());
      return rc < 0 ? errno(-rc) : 0n;
    }
    const value = map.take(remove);
    if (value === null) {
      out.fill(0);
      return errno(ERRNO.ENOENT);
    }
    out.set(value);
    return 0n;
  };
}

/** bpf_map_pop_elem(map, value): the next value into `value` and out of the map; -ENOENT (value zeroed) when empty. */
export const mapPopElem = take('bpf_map_pop_elem', true);
/** bpf_map_peek_elem(map, value): the next value into `value` (a bloom filter: 0 when it may hold `value`). */
export const mapPeekElem = take('bpf_map_peek_elem', false);
