import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { E2BIG, EEXIST, EINVAL, badUpdateFlags, mapLabel, u32At, u32Bytes, userValue } from './check.js';
import { type DevTarget, decodeDevValue, encodeDevValue } from './devmap.js';
import { KeyTable } from './key-table.js';
import { KeyedMap } from './keyed-map.js';
import type { MapOptions } from './options.js';
import { ValueStore } from './value-store.js';

/**
 * BPF_MAP_TYPE_DEVMAP_HASH: interfaces for bpf_redirect_map keyed by any u32
 * (kernel/bpf/devmap.c __dev_map_hash_update_elem). Values as {@link DevMap}, read-only to
 * programs. Update: flags past BPF_EXIST or ifindex 0 -EINVAL, BPF_NOEXIST on a present key
 * -EEXIST (BPF_EXIST on an absent key is accepted, as the kernel does), a new key when full
 * -E2BIG; delete of an absent key -ENOENT; get_next_key in insertion order (the kernel's is
 * bucket order).
 */
export class DevMapHash extends KeyedMap implements VmMap {
  private readonly values: ValueStore;

  constructor(
    spec: MapSpec,
    mem: VmMemory,
    private readonly opts: MapOptions,
  ) {
    super(spec, new KeyTable(4, Math.min(spec.maxEntries, 16)));
    this.values = new ValueStore(mem, spec.valueSize, 1, spec.maxEntries, `${mapLabel(spec)} value`, false);
  }

  lookup(key: Uint8Array, _cpu: number): number {
    const slot = this.table.find(key);
    return slot < 0 ? 0 : this.values.addr(slot);
  }

  /** The entry for key `index`, for bpf_redirect_map; undefined when absent. */
  target(index: number): DevTarget | undefined {
    const slot = this.table.find(u32Bytes(index));
    if (slot < 0) return undefined;
    const v = this.values.read(slot)[0]!;
    return { ifindex: u32At(v), progId: v.length >= 8 ? u32At(v, 4) : 0 };
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): number {
    if (badUpdateFlags(flags) || u32At(value) === 0) return -EINVAL;
    const old = this.table.find(key);
    if (old >= 0 && flags === 1) return -EEXIST;
    const target = decodeDevValue(value, this.opts);
    if (typeof target === 'number') return target;
    if (target === null) return -EINVAL;
    let slot = old;
    if (slot < 0) {
      if (this.table.size >= this.spec.maxEntries) return -E2BIG;
      slot = this.allocSlot();
      this.table.insert(key, slot);
    }
    this.values.write(slot, 0, encodeDevValue(target, this.spec.valueSize));
    return 0;
  }

  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    return this.update(key, userValue(this.spec, key, values), flags, 0);
  }

  protected readSlot(slot: number): Uint8Array[] {
    return this.values.read(slot);
  }

  protected growSlots(n: number): void {
    this.values.ensure(n);
  }
}
