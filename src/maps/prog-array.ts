import { MapError } from '../internal/errors.js';
import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import type { VmMemory } from '../vm/memory.js';
import { mapLabel } from './check.js';
import { FdArrayMap } from './fd-array.js';
import type { MapOptions } from './options.js';

/**
 * BPF_MAP_TYPE_PROG_ARRAY: slots of programs for bpf_tail_call (kernel/bpf/arraymap.c, the fd
 * array ops). bpfsim has no file descriptors: a slot holds a program's index in
 * ObjectSpec.programs, written from user space as a u32 value and read back the same way
 * (where the kernel reads back a program id).
 *
 * - A program cannot look slots up (the verifier forbids bpf_map_lookup_elem on a prog array;
 *   lookup returns 0); tail calls use {@link programAt}.
 * - Update, delete and get_next_key as {@link FdArrayMap}; an index that names no program is
 *   -EBADF when the program count is known.
 */
export class ProgArray extends FdArrayMap implements VmMap {
  constructor(
    spec: MapSpec,
    _mem: VmMemory,
    private readonly opts: MapOptions,
  ) {
    super(spec);
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

  protected validEntry(program: number): boolean {
    return this.opts.programCount === undefined || program < this.opts.programCount;
  }
}
