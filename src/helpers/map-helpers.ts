import type { FastHelperFn, HelperFn } from '../vm/env.js';
import { STACK_END, mapIndexOf } from '../vm/layout.js';
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

/**
 * bpf_map_lookup_elem with 32-bit arguments and no BigInt (HelperDef.fast): the same checks and
 * result as {@link mapLookupElem}, which it defers to for anything but a map and a key in memory.
 * A key on the live stack needs no VmMemory.check: the check would accept it.
 */
export const mapLookupElemFast: FastHelperFn = (env, r1, r2) => {
  const map = env.maps[mapIndexOf(r1)];
  const len = map?.spec.keySize ?? 0;
  if (map === undefined || len === 0) return Number(mapLookupElem(env, BigInt(r1), BigInt(r2), 0n, 0n, 0n));
  const mem = env.mem;
  if (r2 < mem.stackLow || r2 + len > STACK_END) mem.check(r2, len, false, env.pc);
  // Hashed and compared in place: no view of the key is made.
  if (map.lookupAt !== undefined) return map.lookupAt(mem.u8, r2, env.cpu);
  return map.lookup(mem.u8.subarray(r2, r2 + len), env.cpu);
};

/** bpf_map_update_elem with 32-bit arguments (HelperDef.fast): {@link mapUpdateElem} without BigInt. */
export const mapUpdateElemFast: FastHelperFn = (env, r1, r2, r3, r4) => {
  const map = env.maps[mapIndexOf(r1)];
  if (map === undefined) return Number(BigInt.asIntN(64, mapUpdateElem(env, BigInt(r1), BigInt(r2), BigInt(r3), BigInt(r4), 0n)));
  const key = keyCopy(env, r2, map.spec.keySize);
  const value = keyCopy(env, r3, map.spec.valueSize);
  return map.update(key, value, r4, env.cpu);
};

/** bpf_map_delete_elem with 32-bit arguments (HelperDef.fast): {@link mapDeleteElem} without BigInt. */
export const mapDeleteElemFast: FastHelperFn = (env, r1, r2) => {
  const map = env.maps[mapIndexOf(r1)];
  if (map === undefined) return Number(BigInt.asIntN(64, mapDeleteElem(env, BigInt(r1), BigInt(r2), 0n, 0n, 0n)));
  return map.delete(keyCopy(env, r2, map.spec.keySize));
};

/** A copy of `len` bytes at `addr` after memAt's check (a copy: an insert may grow the VM memory). */
function keyCopy(env: Parameters<FastHelperFn>[0], addr: number, len: number): Uint8Array {
  if (len === 0) return new Uint8Array(0);
  const mem = env.mem;
  if (addr < mem.stackLow || addr + len > STACK_END) mem.check(addr, len, false, env.pc);
  return mem.u8.slice(addr, addr + len);
}

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
