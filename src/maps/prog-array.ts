import { MapError } from '../internal/errors.js';
import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { BPF_ANY } from '../uapi/bpf.js';
import { E2BIG, EBADF, EINVAL, ENOENT, checkKey, mapLabel, u32At, u32Bytes, userValues } from './check.js';
import type { MapOptions } from './options.js';

const U32_MAX = 0xffffffff;

/**
 * BPF_MAP_TYPE_PROG_ARRAY: slots of programs for bpf_tail_call (kernel/bpf/arraymap.c, the fd
 * array ops). bpfsim has no file descriptors: a slot holds a program's index in
 * ObjectSpec.programs, written from user space as a u32 value and read back the same way
 * (where the kernel reads back a program id).
 *
 * - A program cannot look slots up (the verifier forbids bpf_map_lookup_elem on a prog array;
 *   lookup returns 0); tail calls use {@link programAt}.
 * - Update: flags other than BPF_ANY -EINVAL, index past the end -E2BIG, an index that names no
 *   program -EBADF (when the program count is known). Delete: past the end -E2BIG, empty -ENOENT.
 *   get_next_key as an array's.
 */
export class ProgArray implements VmMap {
  readonly spec: MapSpec;
  /** Filled slots only: max_entries may be up to 2^32 - 1, far more than a dense table could hold. */
  private readonly slots = new Map<number, number>();

  constructor(
    spec: MapSpec,
    _mem: VmMemory,
    private readonly opts: MapOptions,
  ) {
    this.spec = spec;
    for (const { slot, program } of spec.initialPrograms ?? []) {
      const index = opts.programIndex?.(program);
      if (index === undefined) throw new MapError('map/unknown-program', `${mapLabel(spec)}: slot ${slot}: no program '${program}' in the object`);
      if (slot < 0 || slot >= spec.maxEntries) throw new MapError('map/invalid-spec', `${mapLabel(spec)}: slot ${slot} of program '${program}' is past max_entries ${spec.maxEntries}`);
      this.slots.set(slot, index);
    }
  }

  /** The program index in slot `index`, or undefined when empty or out of range (a tail call then falls through). */
  programAt(index: number): number | undefined {
    return this.slots.get(index);
  }

  lookup(_key: Uint8Array, _cpu: number): number {
    return 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): number {
    if (flags !== BPF_ANY) return -EINVAL;
    const index = u32At(key);
    if (index >= this.spec.maxEntries) return -E2BIG;
    const program = u32At(value);
    if (this.opts.programCount !== undefined && program >= this.opts.programCount) return -EBADF;
    this.slots.set(index, program);
    return 0;
  }

  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    checkKey(this.spec, key);
    return this.update(key, userValues(this.spec, values, 1)[0]!, flags, 0);
  }

  delete(key: Uint8Array): number {
    checkKey(this.spec, key);
    const index = u32At(key);
    if (index >= this.spec.maxEntries) return -E2BIG;
    return this.slots.delete(index) ? 0 : -ENOENT;
  }

  /** The filled slots in ascending order (what a dump lists, without walking every index). */
  filledSlots(): number[] {
    return [...this.slots.keys()].sort((a, b) => a - b);
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    if (key) checkKey(this.spec, key);
    const index = key ? u32At(key) : U32_MAX;
    if (index >= this.spec.maxEntries) return u32Bytes(0);
    if (index === this.spec.maxEntries - 1) return null;
    return u32Bytes(index + 1);
  }

  read(key: Uint8Array): Uint8Array[] | null {
    checkKey(this.spec, key);
    const p = this.programAt(u32At(key));
    return p === undefined ? null : [u32Bytes(p)];
  }
}
