import type { Warning } from '../internal/contract.js';
import type { ProgramSpec } from '../loader/spec.js';
import { helperId } from '../uapi/index.js';
import type { HelperDef, HelperRegistry, RunEnv } from '../vm/env.js';
import { mapIndexOf } from '../vm/layout.js';
import { sourceOf } from '../loader/source-line.js';

/** One key a program handed to a map helper: where, which map, the key's address and bytes. */
export interface MapKeyUse {
  pc: number;
  map: number;
  addr: number;
  key: Uint8Array;
}

const KEYED_HELPERS = new Set(['map_lookup_elem', 'map_update_elem', 'map_delete_elem'].map((n) => helperId(n)!));

/**
 * A registry that records the keys passed to bpf_map_lookup_elem/update/delete into the list
 * `log()` returns (nothing while it returns undefined) before the real helper runs: every key of
 * a call of the helper (its reference or fast form), and through {@link HelperRegistry.noteMapKey}
 * the keys an engine's inline lookup read itself that still hold stack fill bytes (the only
 * keys {@link uninitKeyWarnings} can warn about). Inline forms, fast forms and constants stay.
 */
export function recordingMapKeys(base: HelperRegistry, log: () => MapKeyUse[] | undefined): HelperRegistry {
  const wrapped = new Map<number, HelperDef | undefined>();
  const record = (env: RunEnv, mapHandle: number, keyAddr: number): void => {
    const uses = log();
    if (uses === undefined) return;
    const map = mapIndexOf(mapHandle);
    const keySize = map >= 0 ? (env.maps[map]?.spec.keySize ?? 0) : 0;
    if (keySize > 0 && keyAddr + keySize <= env.mem.u8.length) uses.push({ pc: env.pc, map, addr: keyAddr, key: env.mem.u8.slice(keyAddr, keyAddr + keySize) });
  };
  return {
    get(id: number): HelperDef | undefined {
      if (!KEYED_HELPERS.has(id)) return base.get(id);
      if (!wrapped.has(id)) {
        const def = base.get(id);
        if (def === undefined) {
          wrapped.set(id, undefined);
          return undefined;
        }
        const fast = def.fast;
        const recorded: HelperDef = {
          id: def.id,
          name: def.name,
          fn: (env, r1, r2, r3, r4, r5) => {
            if (r1 < 0x1_0000_0000n && r2 < 0x1_0000_0000n) record(env, Number(r1), Number(r2));
            return def.fn(env, r1, r2, r3, r4, r5);
          },
        };
        if (fast !== undefined) {
          recorded.fast = (env, r1, r2, r3, r4, r5) => {
            record(env, r1, r2);
            return fast(env, r1, r2, r3, r4, r5);
          };
        }
        if (def.inline !== undefined) recorded.inline = def.inline;
        wrapped.set(id, recorded);
      }
      return wrapped.get(id);
    },
    shape: base.shape?.bind(base),
    kfunc: base.kfunc?.bind(base),
    kfuncMissing: base.kfuncMissing?.bind(base),
    noteMapKey: record,
  };
}

/**
 * The bytes a run's stack starts with when `stackFill` is not given: a fixed pattern of odd bytes
 * from 0x81 to 0xfd, different at neighbouring addresses, that programs rarely write themselves
 * (never 0, 0xff or a small number). Index by the offset from the start of the stack region.
 */
export function defaultStackFill(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = 0x81 + ((i * 74) % 126);
  return out;
}

/**
 * Warnings for map keys with uninitialised bytes: a key byte on the stack that still holds the
 * byte the run's stack was filled with (`fill`, from `stackBase`) was, in all likelihood, never
 * written by the program (often struct padding). The kernel hashes those bytes too, so such
 * lookups miss at random. A byte the program wrote with the fill's own value is reported too;
 * runs on two different fills (as `runCase` does) rule that out: see {@link commonWarnings}.
 */
export function uninitKeyWarnings(uses: MapKeyUse[], fill: Uint8Array, stackBase: number, program: ProgramSpec, mapName: (index: number) => string): Warning[] {
  const warnings: Warning[] = [];
  const seen = new Set<string>();
  for (const use of uses) {
    const bad: number[] = [];
    use.key.forEach((byte, j) => {
      const at = use.addr + j - stackBase;
      if (at >= 0 && at < fill.length && byte === fill[at]) bad.push(j);
    });
    const id = `${use.pc}:${use.map}`;
    if (!bad.length || seen.has(id)) continue;
    seen.add(id);
    const source = sourceOf(program, use.pc);
    const warning: Warning = {
      code: 'uninit-map-key',
      message: `insn ${use.pc}: key for map '${mapName(use.map)}' has uninitialised bytes ${ranges(bad)} of ${use.key.length} (struct padding? zero the key with memset or = {} before filling it)`,
    };
    if (source) warning.source = source;
    warnings.push(warning);
  }
  return warnings;
}

/** The warnings both runs of one case gave (by message), for runs on two different stack fills. */
export function commonWarnings(a: Warning[], b: Warning[]): Warning[] {
  const inB = new Set(b.map((w) => w.message));
  return a.filter((w) => inB.has(w.message));
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
