import type { MapSpec } from '../loader/spec.js';
import { ERRNO } from '../uapi/errno.js';
import type { VmMap } from '../vm/env.js';
import { E2BIG, EBADF, EINVAL, ENOENT, arrayNextKey, checkKey, u32At } from './check.js';
import type { MapOptions } from './options.js';
import type { EventRecord, EventSource } from './ringbuf.js';

const { EOPNOTSUPP } = ERRNO;

/**
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY (kernel/bpf/arraymap.c, kernel/trace/bpf_trace.c): one slot per
 * CPU holding a perf event that bpf_perf_event_output writes samples into. bpfsim has no perf
 * events or file descriptors; the map stands for what a reader such as libbpf's perf_buffer__new
 * sets up: slot i holds a BPF-output event on CPU i for every possible CPU below max_entries.
 *
 * {@link output} answers as __bpf_perf_event_output does: an index past max_entries -E2BIG, an
 * empty slot (no CPU of that number) -ENOENT, another CPU's event -EOPNOTSUPP. A sample is what
 * the reader's callback gets: the raw bytes, zero-padded so that the u32 size and the data end
 * on 8 bytes (perf_prepare_sample's raw size).
 *
 * User space cannot write slots (no perf event fds here: -EBADF); dumps list nothing.
 */
export class PerfEventArray implements VmMap, EventSource {
  readonly spec: MapSpec;
  private readonly cpus: number;
  private records: EventRecord[] = [];

  constructor(spec: MapSpec, opts: MapOptions) {
    this.spec = spec;
    this.cpus = opts.cpus;
  }

  /** Writes one sample from `cpu` into slot `index`: 0 or a negative errno. */
  output(index: number, cpu: number, sample: Uint8Array): number {
    if (index >= this.spec.maxEntries) return -E2BIG;
    if (index >= this.cpus) return -ENOENT;
    if (index !== cpu) return -EOPNOTSUPP;
    const padded = new Uint8Array(perfRawSize(sample.length));
    padded.set(sample);
    this.records.push({ cpu, data: padded });
    return 0;
  }

  drainEvents(): EventRecord[] {
    const out = this.records;
    this.records = [];
    return out;
  }

  lookup(): number {
    return 0;
  }

  update(): number {
    return -EINVAL;
  }

  write(key: Uint8Array): number {
    checkKey(this.spec, key);
    return u32At(key) >= this.spec.maxEntries ? -E2BIG : -EBADF;
  }

  delete(key: Uint8Array): number {
    checkKey(this.spec, key);
    return u32At(key) >= this.spec.maxEntries ? -E2BIG : -ENOENT;
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    return arrayNextKey(this.spec, key);
  }

  read(): Uint8Array[] | null {
    return null;
  }
}

/** The size of a raw perf sample of `len` bytes as a reader sees it: round_up(len + 4, 8) - 4 (perf_prepare_sample). */
export function perfRawSize(len: number): number {
  return Math.ceil((len + 4) / 8) * 8 - 4;
}
