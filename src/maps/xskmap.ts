import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { E2BIG, EINVAL, arrayNextKey, badUpdateFlags, checkFlags, checkKey, mapLabel, u32At, userValue } from './check.js';
import { ValueStore } from './value-store.js';

/**
 * BPF_MAP_TYPE_XSKMAP: AF_XDP sockets bpf_redirect_map can hand a frame to (net/xdp/xskmap.c).
 * bpfsim has no sockets: an entry's u32 value stands for a socket bound to that queue of the
 * interface the frame arrives on, and is what a program's lookup shows as `struct
 * bpf_xdp_sock`'s `queue_id` (the one field the verifier lets it read). Update: flags past
 * BPF_EXIST -EINVAL, a key past max_entries -E2BIG, BPF_NOEXIST on a present slot -EEXIST,
 * BPF_EXIST on an empty one -ENOENT; delete past the end -EINVAL, else 0; get_next_key as an
 * array's. The kernel refuses user-space lookups (-EOPNOTSUPP); bpfsim's API reads them back.
 */
export class XskMap implements VmMap {
  readonly spec: MapSpec;
  private readonly values: ValueStore;
  private readonly present: Uint8Array;

  constructor(spec: MapSpec, mem: VmMemory) {
    this.spec = spec;
    this.values = new ValueStore(mem, 4, 1, spec.maxEntries, `${mapLabel(spec)} socket`, false);
    this.values.ensure(Math.min(spec.maxEntries, 64));
    this.present = new Uint8Array(spec.maxEntries);
  }

  /** The socket's `struct bpf_xdp_sock` (its queue_id), 0 (NULL) for an empty slot. */
  lookup(key: Uint8Array, _cpu: number): number {
    const index = u32At(key);
    return index < this.spec.maxEntries && this.present[index] ? this.values.addr(index) : 0;
  }

  /** The queue the socket in slot `index` is bound to, or undefined for an empty slot. */
  queueOf(index: number): number | undefined {
    return index < this.spec.maxEntries && this.present[index] ? u32At(this.values.read(index)[0]!) : undefined;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): number {
    if (badUpdateFlags(flags)) return -EINVAL;
    const index = u32At(key);
    if (index >= this.spec.maxEntries) return -E2BIG;
    const err = checkFlags(this.present[index] === 1, flags);
    if (err) return err;
    this.values.ensure(index + 1);
    this.values.write(index, 0, value.subarray(0, 4));
    this.present[index] = 1;
    return 0;
  }

  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    return this.update(key, userValue(this.spec, key, values), flags, 0);
  }

  delete(key: Uint8Array): number {
    checkKey(this.spec, key);
    const index = u32At(key);
    if (index >= this.spec.maxEntries) return -EINVAL;
    this.present[index] = 0;
    return 0;
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    return arrayNextKey(this.spec, key);
  }

  read(key: Uint8Array): Uint8Array[] | null {
    checkKey(this.spec, key);
    const index = u32At(key);
    return index < this.spec.maxEntries && this.present[index] ? this.values.read(index) : null;
  }
}
