import type { Warning } from '../internal/contract.js';
import type { ProgramSpec } from '../loader/spec.js';
import { helperId } from '../uapi/index.js';
import type { HelperDef, HelperRegistry } from '../vm/env.js';
import { mapIndexOf } from '../vm/layout.js';
import { sourceOf } from './source.js';

/** One key a program handed to a map helper: where, which map, the bytes. */
export interface MapKeyUse {
  pc: number;
  map: number;
  key: Uint8Array;
}

const KEYED_HELPERS = new Set(['map_lookup_elem', 'map_update_elem', 'map_delete_elem'].map((n) => helperId(n)!));

/**
 * A registry that records every key passed to bpf_map_lookup_elem/update/delete into `uses`
 * before calling the real helper. The BigInt-free fast forms are dropped so every call is seen.
 */
export function recordingMapKeys(base: HelperRegistry, uses: MapKeyUse[]): HelperRegistry {
  const wrapped = new Map<number, HelperDef | undefined>();
  return {
    get(id: number): HelperDef | undefined {
      if (!KEYED_HELPERS.has(id)) return base.get(id);
      if (!wrapped.has(id)) {
        const def = base.get(id);
        wrapped.set(
          id,
          def && {
            id: def.id,
            name: def.name,
            fn: (env, r1, r2, r3, r4, r5) => {
              const map = mapIndexOf(r1);
              const keySize = env.maps[map]?.spec.keySize ?? 0;
              const addr = Number(r2);
              if (map >= 0 && keySize > 0 && addr + keySize <= env.mem.u8.length) uses.push({ pc: env.pc, map, key: env.mem.u8.slice(addr, addr + keySize) });
              return def.fn(env, r1, r2, r3, r4, r5);
            },
          },
        );
      }
      return wrapped.get(id);
    },
  };
}

/**
 * Warnings for map keys with uninitialised bytes, from two runs of the same case whose stacks
 * started filled with different bytes: a key byte that differs between the runs at the same
 * helper call came from stack memory the program never wrote (often struct padding). The
 * kernel hashes those bytes too, so such lookups miss at random.
 */
export function uninitKeyWarnings(a: MapKeyUse[], b: MapKeyUse[], program: ProgramSpec, mapName: (index: number) => string): Warning[] {
  const warnings: Warning[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.pc !== y.pc || x.map !== y.map) break;
    const bad: number[] = [];
    x.key.forEach((byte, j) => {
      if (byte !== y.key[j]) bad.push(j);
    });
    const id = `${x.pc}:${x.map}`;
    if (!bad.length || seen.has(id)) continue;
    seen.add(id);
    const source = sourceOf(program, x.pc);
    const warning: Warning = {
      code: 'uninit-map-key',
      message: `insn ${x.pc}: key for map '${mapName(x.map)}' has uninitialised bytes ${ranges(bad)} of ${x.key.length} (struct padding? zero the key with memset or = {} before filling it)`,
    };
    if (source) warning.source = source;
    warnings.push(warning);
  }
  return warnings;
}

/** `0-2, 13` for [0, 1, 2, 13]. */
function ranges(indices: number[]): string {
  const parts: string[] = [];
  let start = indices[0]!;
  let prev = start;
  for (const i of [...indices.slice(1), -1]) {
    if (i === prev + 1) {
      prev = i;
      continue;
    }
    parts.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = prev = i;
  }
  return parts.join(', ');
}
