import type { MapSpec } from '../loader/spec.js';
import { ERRNO } from '../uapi/errno.js';
import type { VmMap } from '../vm/env.js';
import { checkKey, userValue } from './check.js';
import { jhash, jhash2 } from './jhash.js';

const { EINVAL, ENOENT, EOPNOTSUPP } = ERRNO;
/** BPF_ANY (bpf.h). */
const BPF_ANY = 0;

/**
 * BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): a bit array of
 * roundup_pow_of_two(max_entries * k / 5 * 7) bits (at least 64, at most 2^32) and k hash
 * functions, k = map_extra & 0xf or 5 when 0. Hash i of a value is jhash2 over its u32 words
 * (jhash over its bytes when value_size is not a multiple of 4) with initval seed + i, masked to
 * the array. Push (bpf_map_push_elem, or BPF_MAP_UPDATE_ELEM without a key) sets the k bits, with
 * flags other than BPF_ANY -EINVAL; peek is 0 when all k bits are set ("maybe present") and
 * -ENOENT otherwise. Pop, lookup, update, delete and get_next_key are -EOPNOTSUPP (NULL).
 *
 * The kernel seeds the hash with get_random_u32() unless BPF_F_ZERO_SEED: bpfsim always uses seed
 * 0, so its false positives are the kernel's exactly for BPF_F_ZERO_SEED maps, and equally likely
 * otherwise.
 */
export class BloomFilterMap implements VmMap {
  readonly spec: MapSpec;
  readonly hashCount: number;
  /** Bit array size minus one. */
  readonly bitMask: number;
  private readonly bits: Uint8Array;
  private readonly alignedWords: number;

  constructor(spec: MapSpec) {
    this.spec = spec;
    this.hashCount = (spec.mapExtra ?? 0) & 0xf || 5;
    const product = spec.maxEntries * this.hashCount;
    const nrBits = Math.floor(product / 5) * 7;
    if (product > 0xffff_ffff || nrBits > 0xffff_ffff || nrBits > 2 ** 31) {
      this.bitMask = 0xffff_ffff;
    } else {
      this.bitMask = (nrBits <= 64 ? 64 : 2 ** Math.ceil(Math.log2(nrBits))) - 1;
    }
    // A sparse set would do for huge arrays; the kernel's own limit is 2^32 bits (512 MiB).
    this.bits = new Uint8Array(Math.ceil((this.bitMask + 1) / 8));
    this.alignedWords = spec.valueSize % 4 === 0 ? spec.valueSize / 4 : 0;
  }

  private hash(value: Uint8Array, index: number): number {
    const h = this.alignedWords > 0 ? jhash2(new Uint32Array(value.slice(0, this.alignedWords * 4).buffer), index) : jhash(value.subarray(0, this.spec.valueSize), index);
    return (h & this.bitMask) >>> 0;
  }

  /** bloom_map_push_elem. */
  push(value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return -EINVAL;
    for (let i = 0; i < this.hashCount; i++) {
      const h = this.hash(value, i);
      this.bits[h >>> 3]! |= 1 << (h & 7);
    }
    return 0;
  }

  /** bloom_map_peek_elem: 0 when `value` may be present, -ENOENT when it is not. */
  peek(value: Uint8Array): number {
    for (let i = 0; i < this.hashCount; i++) {
      const h = this.hash(value, i);
      if ((this.bits[h >>> 3]! & (1 << (h & 7))) === 0) return -ENOENT;
    }
    return 0;
  }

  lookup(): number {
    return 0;
  }

  update(): number {
    return -EOPNOTSUPP;
  }

  delete(): number {
    return -EOPNOTSUPP;
  }

  nextKey(): Uint8Array | null {
    return null;
  }

  read(key: Uint8Array): Uint8Array[] | null {
    checkKey(this.spec, key);
    return null;
  }

  /** BPF_MAP_UPDATE_ELEM without a key adds the value. */
  write(key: Uint8Array, values: Uint8Array[], flags: number): number {
    return this.push(userValue(this.spec, key, values), flags);
  }
}
