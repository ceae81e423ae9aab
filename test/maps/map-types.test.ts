import { describe, expect, it } from 'vitest';
import { SimError } from '../../src/internal/errors.js';
import { createMap } from '../../src/maps/index.js';
import { checkMapSpec, MAP_TYPES } from '../../src/maps/map-types.js';
import { BPF_F_NO_PREALLOC, BPF_MAP_TYPE } from '../../src/uapi/bpf.js';
import { VmMemory } from '../../src/vm/memory.js';

/** Whether createMap knows `type` (any error but map/unsupported-type means it does: the spec was wrong for it). */
function simulated(type: number): boolean {
  try {
    createMap({ name: 'm', type, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 } as never, new VmMemory(), { cpus: 2 });
    return true;
  } catch (e) {
    if (!(e instanceof SimError)) throw e;
    return e.code !== 'map/unsupported-type';
  }
}

describe('map type table', () => {
  it('lists exactly the map types createMap simulates', () => {
    const listed = MAP_TYPES.map((m) => m.name).sort();
    const accepted = Object.entries(BPF_MAP_TYPE).filter(([, type]) => simulated(type)).map(([name]) => name).sort();
    expect(listed).toEqual(accepted);
  });

  it.each(MAP_TYPES.map((t) => ({ name: t.name, t })))(
    'gives $name maps the inline lookup slot its descriptor names',
    ({ t }) => {
      let map;
      try {
        map = createMap({ name: 'm', type: t.type, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 } as never, new VmMemory(), { cpus: 2 });
      } catch (e) {
        // A type that needs another key or value size (LPM trie, queue, ring buffer, maps of maps) has no inline lookup.
        expect(t.inlineLookup).toBeUndefined();
        return;
      }
      const words = map.inlineSlot?.();
      const kind = words === undefined ? undefined : words[3] !== 0 ? 'array' : 'hash';
      expect(kind).toBe(t.inlineLookup);
      if (kind === 'hash') expect(words![0]).not.toBe(0);
    },
  );

  it.each(MAP_TYPES.map((t) => ({ name: t.name, t })))('checks $name specs with its own rule, as createMap does', ({ t }) => {
    // Unknown flag bits are refused by every type's rule, before its size rules.
    const spec = { name: 'm', type: t.type, keySize: 4, valueSize: 4, maxEntries: 4096, flags: BPF_F_NO_PREALLOC | (1 << 30) } as never;
    expect(() => t.check(spec)).toThrow(/flags 0x40000001 not allowed/);
    expect(() => checkMapSpec(spec)).toThrow(/flags 0x40000001 not allowed/);
  });

  it('refuses what every type refuses before its own rule, and a type it does not simulate', () => {
    expect(() => checkMapSpec({ name: 'm', type: BPF_MAP_TYPE.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 0, flags: 0 } as never)).toThrow(/max_entries must be > 0, got 0/);
    expect(() => checkMapSpec({ name: 'm', type: 9999, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 } as never)).toThrow(expect.objectContaining({ code: 'map/unsupported-type' }));
  });
});
