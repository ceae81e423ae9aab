import type { MapSpec } from '../loader/spec.js';
import type { VmMap } from '../vm/env.js';
import type { Slab, VmMemory } from '../vm/memory.js';
import { ERRNO } from '../uapi/errno.js';
import { mapLabel } from './check.js';

const { ENOTSUPP } = ERRNO;

/** BPF_RINGBUF_HDR_SZ (bpf.h): the header before each record, bytes. */
export const BPF_RINGBUF_HDR_SZ = 8;
/** BPF_RINGBUF_BUSY_BIT and BPF_RINGBUF_DISCARD_BIT of a record header's length word (bpf.h). */
export const BPF_RINGBUF_BUSY_BIT = 1 << 31;
export const BPF_RINGBUF_DISCARD_BIT = 1 << 30;
/** RINGBUF_MAX_RECORD_SZ (kernel/bpf/ringbuf.c): UINT_MAX / 4. */
const RINGBUF_MAX_RECORD_SZ = 0x3fff_ffff;
/** The query flags of bpf_ringbuf_query (bpf.h). */
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;

/** A record a run produced into a ring buffer or perf event array, as a reader in user space gets it. */
export interface EventRecord {
  /** The CPU that produced it. */
  cpu: number;
  /** The record's bytes. */
  data: Uint8Array;
}

/** A map whose records user space reads: ring buffers and perf event arrays. */
export interface EventSource {
  /** The records produced since the last call, in the order a reader gets them; the reader's consumer position moves past them. */
  drainEvents(): EventRecord[];
}

/** True for a live map that is an {@link EventSource}. */
export function isEventSource(map: VmMap): map is VmMap & EventSource {
  return typeof (map as Partial<EventSource>).drainEvents === 'function';
}

interface Reservation {
  /** Producer position of the header. */
  pos: number;
  /** Sample size the program asked for, bytes. */
  size: number;
  state: 'busy' | 'committed' | 'discarded';
  cpu: number;
}

/**
 * BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): one ring of max_entries bytes (a power of two and
 * a multiple of the page size) shared by all CPUs. A record takes round_up(size + 8, 8) bytes;
 * a reservation fails (NULL) when it would take the producer more than `size - 1` bytes ahead of
 * the consumer or of the oldest record still reserved, exactly as __bpf_ringbuf_reserve does.
 *
 * The ring's data lives in the VM's memory (reserved records are written by the program in
 * place). The kernel maps the data pages twice so a record that wraps is contiguous; here the
 * slab is twice the ring, so a record is always contiguous from its header. The consumer is the
 * reader the run result stands for: {@link drainEvents} consumes every committed record, as a
 * `ring_buffer__consume` after the run does.
 *
 * Programs cannot look up, update or delete (the verifier refuses them); for user space,
 * ringbuf_map_update_elem and ringbuf_map_delete_elem return -ENOTSUPP, lookups find nothing and
 * dumps list nothing.
 */
export class RingBufMap implements VmMap, EventSource {
  readonly spec: MapSpec;
  private slab: Slab | undefined;
  private producerPos = 0;
  private consumerPos = 0;
  private readonly pending: Reservation[] = [];
  private readonly byAddr = new Map<number, Reservation>();

  constructor(
    spec: MapSpec,
    private readonly mem: VmMemory,
  ) {
    this.spec = spec;
  }

  /** The ring's size in bytes (max_entries). */
  get size(): number {
    return this.spec.maxEntries;
  }

  private get mask(): number {
    return this.spec.maxEntries - 1;
  }

  /**
   * __bpf_ringbuf_reserve: the address of a `size`-byte sample whose header is marked busy, or 0
   * when the ring has no room (or size is past RINGBUF_MAX_RECORD_SZ).
   */
  reserve(size: number, cpu: number): number {
    if (size > RINGBUF_MAX_RECORD_SZ) return 0;
    const len = roundUp8(size + BPF_RINGBUF_HDR_SZ);
    if (len > this.size) return 0;
    const pendPos = this.pending.find((r) => r.state === 'busy')?.pos ?? this.producerPos;
    const newProd = this.producerPos + len;
    if (newProd - this.consumerPos > this.mask || newProd - pendPos > this.mask) return 0;
    // Twice the ring: a record starting near the end stays contiguous (the kernel maps the pages twice).
    this.slab ??= this.mem.allocSlab(2 * this.size, 1, `${mapLabel(this.spec)} ring`);
    const header = this.slab.base + (this.producerPos & this.mask);
    const view = this.mem.view;
    view.setUint32(header, (size | BPF_RINGBUF_BUSY_BIT) >>> 0, true);
    view.setUint32(header + 4, 0, true);
    const record: Reservation = { pos: this.producerPos, size, state: 'busy', cpu };
    this.pending.push(record);
    this.byAddr.set(header + BPF_RINGBUF_HDR_SZ, record);
    this.producerPos = newProd;
    return header + BPF_RINGBUF_HDR_SZ;
  }

  /** True when `addr` is a sample {@link reserve} returned that is not yet submitted or discarded. */
  isReserved(addr: number): boolean {
    return this.byAddr.get(addr)?.state === 'busy';
  }

  /** bpf_ringbuf_commit: clears the busy bit of the sample at `addr` (and sets the discard bit when discarding). */
  commit(addr: number, discard: boolean): void {
    const record = this.byAddr.get(addr);
    if (record === undefined || record.state !== 'busy') throw new RangeError(`${mapLabel(this.spec)}: 0x${addr.toString(16)} is not a reserved record`);
    record.state = discard ? 'discarded' : 'committed';
    this.byAddr.delete(addr);
    const header = addr - BPF_RINGBUF_HDR_SZ;
    this.mem.view.setUint32(header, (record.size | (discard ? BPF_RINGBUF_DISCARD_BIT : 0)) >>> 0, true);
  }

  /** bpf_ringbuf_query's answer for `flag` (BPF_RB_*); 0 for flags it does not know. */
  query(flag: number): number {
    switch (flag) {
      case BPF_RB_AVAIL_DATA:
        return this.producerPos - this.consumerPos;
      case BPF_RB_RING_SIZE:
        return this.size;
      case BPF_RB_CONS_POS:
        return this.consumerPos;
      case BPF_RB_PROD_POS:
        return this.producerPos;
      default:
        return 0;
    }
  }

  drainEvents(): EventRecord[] {
    const out: EventRecord[] = [];
    // A reader stops at the first record still busy (ringbuf_process_ring in libbpf).
    while (this.pending.length > 0 && this.pending[0]!.state !== 'busy') {
      const record = this.pending.shift()!;
      if (record.state === 'committed') {
        const data = this.slab!.base + (record.pos & this.mask) + BPF_RINGBUF_HDR_SZ;
        out.push({ cpu: record.cpu, data: this.mem.u8.slice(data, data + record.size) });
      }
      this.consumerPos = record.pos + roundUp8(record.size + BPF_RINGBUF_HDR_SZ);
    }
    return out;
  }

  lookup(): number {
    return 0;
  }

  update(): number {
    return -ENOTSUPP;
  }

  delete(): number {
    return -ENOTSUPP;
  }

  nextKey(): Uint8Array | null {
    return null;
  }

  read(): Uint8Array[] | null {
    return null;
  }

  write(): number {
    return -ENOTSUPP;
  }
}

function roundUp8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/**
 * The ring size libbpf creates for a requested max_entries (adjust_ringbuf_sz in libbpf.c): the
 * smallest power-of-two number of pages that holds it.
 */
export function libbpfRingbufSize(maxEntries: number, pageSize = 4096): number {
  let size = pageSize;
  while (size < maxEntries && size * 2 <= 0x8000_0000) size *= 2;
  return size;
}
