import type { MapSpec } from '../loader/spec.js';
import { BPF_ANY, BPF_EXIST } from '../uapi/bpf.js';
import { ERRNO } from '../uapi/errno.js';
import type { VmMap } from '../vm/env.js';
import { checkKey, mapLabel, userValue } from './check.js';

const { EINVAL, E2BIG } = ERRNO;
/** BPF_NOEXIST (bpf.h). */
const BPF_NOEXIST = 1;

/**
 * BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c): values without keys
 * in a ring of max_entries + 1 slots. Push (bpf_map_push_elem, or BPF_MAP_UPDATE_ELEM with no
 * key): BPF_NOEXIST or flags past BPF_EXIST -EINVAL; when full, -E2BIG unless BPF_EXIST, which
 * drops the oldest value. Pop and peek: the oldest value (queue) or the newest (stack); when
 * empty the destination is zeroed and the result is -ENOENT. Lookup is NULL, update and delete
 * -EINVAL, and there are no keys to walk.
 */
export class QueueStackMap implements VmMap {
  readonly spec: MapSpec;
  private readonly slots: Uint8Array[];
  private head = 0;
  private tail = 0;

  constructor(
    spec: MapSpec,
    /** True for a stack (last in, first out), false for a queue. */
    readonly lifo: boolean,
  ) {
    this.spec = spec;
    this.slots = new Array<Uint8Array>(spec.maxEntries + 1);
  }

  private get size(): number {
    return this.spec.maxEntries + 1;
  }

  /** The number of values held. */
  get length(): number {
    return (this.head - this.tail + this.size) % this.size;
  }

  /** queue_stack_map_push_elem: 0 or a negative errno. */
  push(value: Uint8Array, flags: number): number {
    if ((flags & BPF_NOEXIST) !== 0 || flags > BPF_EXIST) return -EINVAL;
    if (this.length === this.spec.maxEntries) {
      if ((flags & BPF_EXIST) === 0) return -E2BIG;
      this.tail = (this.tail + 1) % this.size;
    }
    this.slots[this.head] = value.slice(0, this.spec.valueSize);
    this.head = (this.head + 1) % this.size;
    return 0;
  }

  /**
   * __queue_map_get / __stack_map_get: the next value (a copy) and, when `remove`, takes it out;
   * null when empty.
   */
  take(remove: boolean): Uint8Array | null {
    if (this.length === 0) return null;
    if (!this.lifo) {
      const value = this.slots[this.tail]!;
      if (remove) this.tail = (this.tail + 1) % this.size;
      return value.slice();
    }
    const index = (this.head - 1 + this.size) % this.size;
    const value = this.slots[index]!;
    if (remove) this.head = index;
    return value.slice();
  }

  lookup(): number {
    return 0;
  }

  update(): number {
    return -EINVAL;
  }

  delete(): number {
    return -EINVAL;
  }

  nextKey(): Uint8Array | null {
    return null;
  }

  /** BPF_MAP_LOOKUP_ELEM without a key peeks: the next value, or null when empty. */
  read(key: Uint8Array): Uint8Array[] | null {
    checkKey(this.spec, key);
    const value = this.take(false);
    return value === null ? null : [value];
  }

  /** BPF_MAP_UPDATE_ELEM without a key pushes (BPF_ANY or BPF_EXIST). */
  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    return this.push(userValue(this.spec, key, values), flags === BPF_ANY ? 0 : flags);
  }

  /** Every value in the order pops would return them, for listings. */
  values(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.length; i++) {
      const index = this.lifo ? (this.head - 1 - i + 2 * this.size) % this.size : (this.tail + i) % this.size;
      out.push(this.slots[index]!.slice());
    }
    return out;
  }

  toString(): string {
    return `${mapLabel(this.spec)} (${this.lifo ? 'stack' : 'queue'}, ${this.length} values)`;
  }
}
