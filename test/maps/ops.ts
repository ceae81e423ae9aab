/** Shared helpers of the map tests: specs, keys as numbers, and a runner for op sequences. */
import { expect } from 'vitest';
import type { MapSpec } from '../../src/loader/spec.js';
import { createMap } from '../../src/maps/index.js';
import type { VmMap } from '../../src/vm/env.js';
import { VmMemory } from '../../src/vm/memory.js';

export const EINVAL = -22;
export const EEXIST = -17;
export const ENOENT = -2;
export const E2BIG = -7;
export const ENOSPC = -28;

/** A map spec with defaults: 4-byte keys, 4-byte values. */
export function mapSpec(type: number, over: Partial<MapSpec> = {}): MapSpec {
  return { name: 'm', type, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, pinning: 0, source: 'btf', ...over };
}

/** A fresh memory and map. */
export function makeMap(spec: MapSpec, cpus = 1): { map: VmMap; mem: VmMemory } {
  const mem = new VmMemory();
  return { map: createMap(spec, mem, { cpus }), mem };
}

/** `n` as `size` little-endian bytes. */
export function le(n: number, size = 4): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size && i < 6; i++) b[i] = Math.floor(n / 2 ** (8 * i)) & 0xff;
  return b;
}

/** The little-endian number in `b` (up to 6 bytes). */
export function num(b: Uint8Array): number {
  let n = 0;
  for (let i = Math.min(b.length, 6) - 1; i >= 0; i--) n = n * 256 + b[i]!;
  return n;
}

/**
 * One step: `update`/`write` key value flags → errno; `lookup` key → value number or null (via
 * the program's address); `read` key → value numbers (per CPU) or null; `delete` key → errno;
 * `next` key|null → key number or null.
 */
export type Op =
  | ['update', number, number, number, number]
  | ['write', number, number, number, number]
  | ['lookup', number, number | null]
  | ['read', number, number[] | null]
  | ['delete', number, number]
  | ['next', number | null, number | null];

/** Runs `ops` on `map` with keys of `keySize` bytes, checking each result; `cpu` is the program's CPU. */
export function runOps(map: VmMap, mem: VmMemory, ops: Op[], cpu = 0): void {
  const ks = map.spec.keySize;
  const vs = map.spec.valueSize;
  ops.forEach((op, i) => {
    const at = `op ${i} ${JSON.stringify(op)}`;
    switch (op[0]) {
      case 'update':
        expect(map.update(le(op[1], ks), le(op[2], vs), op[3], cpu), at).toBe(op[4]);
        break;
      case 'write':
        expect(map.write(le(op[1], ks), [le(op[2], vs)], op[3]), at).toBe(op[4]);
        break;
      case 'lookup': {
        const addr = map.lookup(le(op[1], ks), cpu);
        expect(addr === 0 ? null : num(mem.u8.subarray(addr, addr + vs)), at).toBe(op[2]);
        break;
      }
      case 'read': {
        const got = map.read(le(op[1], ks));
        expect(got === null ? null : got.map(num), at).toEqual(op[2]);
        break;
      }
      case 'delete':
        expect(map.delete(le(op[1], ks)), at).toBe(op[2]);
        break;
      case 'next': {
        const got = map.nextKey(op[1] === null ? null : le(op[1], ks));
        expect(got === null ? null : num(got), at).toBe(op[2]);
        break;
      }
    }
  });
}

/** Every key of `map` in get_next_key order, as numbers. */
export function keysOf(map: VmMap): number[] {
  const out: number[] = [];
  for (let k = map.nextKey(null); k; k = map.nextKey(k)) out.push(num(k));
  return out;
}
