import type { MapSpec } from '../../src/loader/spec.js';
import { createMap } from '../../src/maps/index.js';
import { SimKernel, type SimKernelOptions } from '../../src/helpers/kernel-state.js';
import { createHelperRegistry } from '../../src/helpers/registry.js';
import { helperId } from '../../src/uapi/helper-names.js';
import type { RunEnv, VmMap } from '../../src/vm/env.js';
import { VmMemory } from '../../src/vm/memory.js';

/** A map spec with defaults for tests. */
export function mapSpec(over: Partial<MapSpec> & Pick<MapSpec, 'type' | 'keySize' | 'valueSize'>): MapSpec {
  return { name: 'm', maxEntries: 16, flags: 0, pinning: 0, source: 'btf', ...over };
}

/** A run environment over a fresh memory, with maps made by src/maps and a scratch slab for pointers. */
export function makeEnv(progType: number, opts: { maps?: MapSpec[]; kernel?: SimKernelOptions } = {}) {
  const mem = new VmMemory();
  const maps: VmMap[] = (opts.maps ?? []).map((m) => createMap(m, mem, { cpus: 2, programIndex: () => undefined }));
  const kernel = new SimKernel({ cpus: 2, ...opts.kernel });
  const helpers = createHelperRegistry(progType, kernel);
  const scratch = mem.allocSlab(1024, 1, 'scratch');
  const env: RunEnv = { mem, maps, helpers, progType, cpu: 0, pc: 7, budget: 1_000_000, programs: [], tailCalls: 0 };
  /** Calls helper `name` with up to five arguments. */
  const call = (name: string, ...args: (bigint | number)[]): bigint => {
    const def = helpers.get(helperId(name)!);
    if (!def) throw new Error(`helper ${name} is not registered`);
    const r = [0, 1, 2, 3, 4].map((i) => BigInt.asUintN(64, BigInt(args[i] ?? 0)));
    return def.fn(env, r[0]!, r[1]!, r[2]!, r[3]!, r[4]!);
  };
  /** Writes `bytes` at scratch offset `off` and returns the address. */
  const put = (off: number, bytes: Uint8Array | number[]): number => {
    mem.u8.set(bytes, scratch.base + off);
    return scratch.base + off;
  };
  const at = (off: number, len: number) => mem.u8.slice(scratch.base + off, scratch.base + off + len);
  return { mem, maps, kernel, env, call, put, at, scratch: scratch.base };
}

/** -errno as a helper's r0. */
export function neg(errno: number): bigint {
  return BigInt.asUintN(64, BigInt(-errno));
}

/** Bytes of a hex string. */
export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s/g, ''), 'hex'));
}
