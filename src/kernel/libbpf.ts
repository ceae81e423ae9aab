/**
 * The few libbpf 1.1 functions the kernel backend calls, bound through koffi to Debian's
 * `libbpf.so.1` (prototypes from /usr/include/bpf/libbpf.h and bpf.h). Both koffi and libbpf are
 * loaded lazily: a machine without them gets a KernelError `kernel/unavailable`, never a crash at
 * import time.
 */
import { createRequire } from 'node:module';
import { KernelError } from '../internal/errors.js';

/** An opaque native pointer (`struct bpf_object *`, `struct bpf_map *`...) as koffi returns it. */
export type Ptr = unknown;

/** The bound libbpf and libc functions; buffers passed for `void *` are used in place. */
export interface Libbpf {
  bpf_object__open_file(path: string, opts: Buffer | null): Ptr;
  libbpf_get_error(ptr: Ptr): number;
  bpf_object__load(obj: Ptr): number;
  bpf_object__close(obj: Ptr): void;
  bpf_object__find_program_by_name(obj: Ptr, name: string): Ptr;
  bpf_object__next_program(obj: Ptr, prev: Ptr): Ptr;
  bpf_object__next_map(obj: Ptr, prev: Ptr): Ptr;
  bpf_program__name(prog: Ptr): string;
  bpf_program__section_name(prog: Ptr): string;
  bpf_program__type(prog: Ptr): number;
  bpf_program__set_type(prog: Ptr, type: number): number;
  bpf_program__set_autoload(prog: Ptr, autoload: boolean): number;
  bpf_program__fd(prog: Ptr): number;
  bpf_map__name(map: Ptr): string;
  bpf_map__fd(map: Ptr): number;
  bpf_map__type(map: Ptr): number;
  bpf_map__key_size(map: Ptr): number;
  bpf_map__value_size(map: Ptr): number;
  bpf_map__max_entries(map: Ptr): number;
  bpf_map__is_internal(map: Ptr): boolean;
  bpf_map__set_initial_value(map: Ptr, data: Buffer, size: number): number;
  bpf_map_update_elem(fd: number, key: Buffer, value: Buffer, flags: number): number;
  bpf_map_lookup_elem(fd: number, key: Buffer, value: Buffer): number;
  bpf_map_get_next_key(fd: number, key: Buffer | null, next: Buffer): number;
  bpf_prog_test_run_opts(fd: number, opts: Buffer): number;
  /** `info_len` is a 4-byte buffer holding the size of `info` (struct bpf_prog_info's id is the u32 at offset 4). */
  bpf_obj_get_info_by_fd(fd: number, info: Buffer, infoLen: Buffer): number;
  libbpf_num_possible_cpus(): number;
  /** The native address of a buffer's bytes, to store in a struct field (the buffer must stay referenced). */
  address(buf: Buffer): bigint;
  /**
   * Opens a reader on each ring buffer and perf event array fd, as an application would
   * (ring_buffer__new, perf_buffer__new with one BPF-output event per CPU). `consume` reads every
   * record they hold, in order per map; `close` frees the readers.
   */
  openEventReaders(maps: { fd: number; perf: boolean }[]): EventReaders;
  /** Collects every message libbpf prints (warnings, info, debug) into `sink`, one string each. */
  capturePrint(sink: (level: number, text: string) => void): void;
}

/** See {@link Libbpf.openEventReaders}. */
export interface EventReaders {
  /** Records per map (in the order given to openEventReaders): CPU (-1 for a ring buffer) and bytes. */
  consume(): { cpu: number; data: Buffer }[][];
  close(): void;
}

/** Pages of each per-CPU perf buffer (a power of two). */
const PERF_BUFFER_PAGES = 8;

/** Where Debian installs libbpf 1.1; the soname is tried first so other layouts work too. */
const LIBBPF_NAMES = ['libbpf.so.1', '/usr/lib/x86_64-linux-gnu/libbpf.so.1'];

let cached: Libbpf | undefined;

/**
 * Binds libbpf through koffi on first use. Throws a KernelError `kernel/unavailable` with a
 * one-line reason when koffi is not installed or libbpf cannot be loaded.
 */
export function loadLibbpf(): Libbpf {
  if (cached) return cached;
  // koffi is an optional dependency and a CommonJS module: require() keeps the load lazy and sync.
  const require = createRequire(import.meta.url);
  let koffi: any;
  try {
    koffi = require('koffi');
  } catch {
    throw new KernelError('kernel/unavailable', 'kernel backend unavailable: the optional npm package koffi is not installed');
  }
  let lib: any;
  let lastErr = '';
  for (const name of LIBBPF_NAMES) {
    try {
      lib = koffi.load(name);
      break;
    } catch (err) {
      lastErr = (err as Error).message.split('\n')[0];
    }
  }
  if (!lib) throw new KernelError('kernel/unavailable', `kernel backend unavailable: cannot load libbpf.so.1 (${lastErr})`);
  let libc: any;
  try {
    libc = koffi.load('libc.so.6');
  } catch (err) {
    throw new KernelError('kernel/unavailable', `kernel backend unavailable: cannot load libc.so.6 (${(err as Error).message.split('\n')[0]})`);
  }

  const printFn = koffi.proto('int bpfsim_libbpf_print_fn(int level, const char *fmt, void *args)');
  const vsnprintf = libc.func('int vsnprintf(void *buf, size_t size, const char *fmt, void *ap)');
  const setPrint = lib.func('void *libbpf_set_print(bpfsim_libbpf_print_fn *fn)');
  let registered: unknown;

  const f = (sig: string) => lib.func(sig);
  const ringSampleFn = koffi.proto('int bpfsim_ring_buffer_sample_fn(void *ctx, void *data, size_t size)');
  const perfSampleFn = koffi.proto('void bpfsim_perf_buffer_sample_fn(void *ctx, int cpu, void *data, uint32_t size)');
  const ringNew = f('void *ring_buffer__new(int map_fd, bpfsim_ring_buffer_sample_fn *sample_cb, void *ctx, void *opts)');
  const ringConsume = f('int ring_buffer__consume(void *rb)');
  const ringFree = f('void ring_buffer__free(void *rb)');
  const perfNew = f('void *perf_buffer__new(int map_fd, size_t page_cnt, bpfsim_perf_buffer_sample_fn *sample_cb, void *lost_cb, void *ctx, void *opts)');
  const perfConsume = f('int perf_buffer__consume(void *pb)');
  const perfFree = f('void perf_buffer__free(void *pb)');
  const getError = f('long libbpf_get_error(void *ptr)');
  cached = {
    bpf_object__open_file: f('void *bpf_object__open_file(const char *path, void *opts)'),
    libbpf_get_error: f('long libbpf_get_error(void *ptr)'),
    bpf_object__load: f('int bpf_object__load(void *obj)'),
    bpf_object__close: f('void bpf_object__close(void *obj)'),
    bpf_object__find_program_by_name: f('void *bpf_object__find_program_by_name(void *obj, const char *name)'),
    bpf_object__next_program: f('void *bpf_object__next_program(void *obj, void *prev)'),
    bpf_object__next_map: f('void *bpf_object__next_map(void *obj, void *prev)'),
    bpf_program__name: f('const char *bpf_program__name(void *prog)'),
    bpf_program__section_name: f('const char *bpf_program__section_name(void *prog)'),
    bpf_program__type: f('int bpf_program__type(void *prog)'),
    bpf_program__set_type: f('int bpf_program__set_type(void *prog, int type)'),
    bpf_program__set_autoload: f('int bpf_program__set_autoload(void *prog, bool autoload)'),
    bpf_program__fd: f('int bpf_program__fd(void *prog)'),
    bpf_map__name: f('const char *bpf_map__name(void *map)'),
    bpf_map__fd: f('int bpf_map__fd(void *map)'),
    bpf_map__type: f('int bpf_map__type(void *map)'),
    bpf_map__key_size: f('uint32_t bpf_map__key_size(void *map)'),
    bpf_map__value_size: f('uint32_t bpf_map__value_size(void *map)'),
    bpf_map__max_entries: f('uint32_t bpf_map__max_entries(void *map)'),
    bpf_map__is_internal: f('bool bpf_map__is_internal(void *map)'),
    bpf_map__set_initial_value: f('int bpf_map__set_initial_value(void *map, const void *data, size_t size)'),
    bpf_map_update_elem: f('int bpf_map_update_elem(int fd, void *key, void *value, uint64_t flags)'),
    bpf_map_lookup_elem: f('int bpf_map_lookup_elem(int fd, void *key, void *value)'),
    bpf_map_get_next_key: f('int bpf_map_get_next_key(int fd, void *key, void *next_key)'),
    bpf_obj_get_info_by_fd: f('int bpf_obj_get_info_by_fd(int fd, void *info, void *info_len)'),
    bpf_prog_test_run_opts: f('int bpf_prog_test_run_opts(int fd, void *opts)'),
    libbpf_num_possible_cpus: f('int libbpf_num_possible_cpus()'),
    address: (buf) => koffi.address(buf) as bigint,
    openEventReaders(maps) {
      const records: { cpu: number; data: Buffer }[][] = maps.map(() => []);
      const callbacks: unknown[] = [];
      const readers: { perf: boolean; handle: unknown }[] = [];
      // A copy: the record lives in the ring's or perf buffer's mapping, which closing the readers unmaps.
      const bytes = (data: unknown, size: number) => Buffer.from(new Uint8Array(koffi.view(data, size) as ArrayBuffer));
      const close = () => {
        for (const r of readers) (r.perf ? perfFree : ringFree)(r.handle);
        for (const cb of callbacks) koffi.unregister(cb);
      };
      maps.forEach(({ fd, perf }, i) => {
        let handle: unknown;
        if (perf) {
          const sample = koffi.register((_ctx: unknown, cpu: number, data: unknown, size: number) => void records[i]!.push({ cpu, data: bytes(data, size) }), koffi.pointer(perfSampleFn));
          callbacks.push(sample);
          handle = perfNew(fd, PERF_BUFFER_PAGES, sample, null, null, null);
        } else {
          const sample = koffi.register((_ctx: unknown, data: unknown, size: number) => (records[i]!.push({ cpu: -1, data: bytes(data, Number(size)) }), 0), koffi.pointer(ringSampleFn));
          callbacks.push(sample);
          handle = ringNew(fd, sample, null, null);
        }
        const err = handle ? Number(getError(handle)) : -22;
        if (!handle || err) {
          close();
          throw new KernelError('kernel/event-reader', `cannot open a ${perf ? 'perf' : 'ring'} buffer reader on map fd ${fd} (errno ${-err})`);
        }
        readers.push({ perf, handle });
      });
      return {
        consume() {
          for (const r of readers) (r.perf ? perfConsume : ringConsume)(r.handle);
          return records.map((list) => list.splice(0));
        },
        close,
      };
    },
    capturePrint(sink) {
      if (registered) koffi.unregister(registered);
      const buf = Buffer.alloc(8192);
      // libbpf hands us printf's format and a va_list: let libc's vsnprintf do the formatting.
      registered = koffi.register((level: number, fmt: string, args: unknown) => {
        const n = vsnprintf(buf, buf.length, fmt, args);
        sink(level, buf.subarray(0, Math.max(0, Math.min(n, buf.length - 1))).toString('utf8'));
        return 0;
      }, koffi.pointer(printFn));
      setPrint(registered);
    },
  };
  return cached;
}
