import type { HelperFn } from '../vm/env.js';
import { errno, mapArg, memAt } from './args.js';

/**
 * The map helpers of kernel/bpf/helpers.c: keys and values are read from the program's memory
 * after a bounds check for the map's key and value size, the map implements the semantics.
 */

/** bpf_map_lookup_elem(map, key): the value's address, or 0 (NULL). */
export const mapLookupElem: HelperFn = (env, r1, r2) => {
  const { map } = mapArg(env, r1, 'bpf_map_lookup_elem');
  const key = memAt(env, r2, map.spec.keySize, false);
  return BigInt(map.lookup(key, env.cpu));
};

/** bpf_map_update_elem(map, key, value, flags): 0 or a negative errno. */
export const mapUpdateElem: HelperFn = (env, r1, r2, r3, r4) => {
  const { map } = mapArg(env, r1, 'bpf_map_update_elem');
  // Copies: an insert may grow the VM memory, which detaches views of the old buffer.
  const key = memAt(env, r2, map.spec.keySize, false).slice();
  const value = memAt(env, r3, map.spec.valueSize, false).slice();
  // Flags are a u64; bits the map does not know make it return -EINVAL, so keep them visible.
  const flags = r4 > 0xffff_ffffn ? 0xffff_ffff : Number(r4);
  const rc = map.update(key, value, flags, env.cpu);
  return rc < 0 ? errno(-rc) : BigInt(rc);
};

/** bpf_map_delete_elem(map, key): 0 or a negative errno. */
export const mapDeleteElem: HelperFn = (env, r1, r2) => {
  const { map } = mapArg(env, r1, 'bpf_map_delete_elem');
  const key = memAt(env, r2, map.spec.keySize, false);
  const rc = map.delete(key);
  return rc < 0 ? errno(-rc) : BigInt(rc);
};
