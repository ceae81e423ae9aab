import { closeSync, constants, createReadStream, fstatSync, openSync } from 'node:fs';
import { PcapError } from '../internal/errors.js';
import { fileKind, INPUT_LIMITS } from '../internal/input-file.js';

/**
 * Opens the capture file at `path` for reading: a regular file (symlinks followed) within
 * INPUT_LIMITS.capture, else PcapError `pcap/io`, `pcap/not-regular` or `pcap/too-large`.
 * Non-blocking, so that a FIFO is refused instead of waiting for a writer.
 */
function openRegularFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new PcapError('pcap/io', `${path}: cannot read capture (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const st = fstatSync(fd);
  const refuse = st.isFile() ? (st.size > INPUT_LIMITS.capture ? new PcapError('pcap/too-large', `${path}: capture of ${st.size} bytes is larger than the limit of ${INPUT_LIMITS.capture} bytes`) : undefined) : new PcapError('pcap/not-regular', `${path}: cannot read capture: a ${fileKind(st)}, not a regular file`);
  if (refuse) {
    closeSync(fd);
    throw refuse;
  }
  return fd;
}

/** Where a capture is read from: a file path, the bytes themselves, or a stream of chunks (a Node Readable). */
export type CaptureSource = string | Uint8Array | AsyncIterable<Uint8Array>;

/**
 * A pull-based reader of exact byte counts over a stream of chunks of any size. `offset` is the
 * number of bytes consumed so far, for error messages.
 */
export class ByteSource {
  offset = 0;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private done = false;
  private readonly it: AsyncIterator<Uint8Array>;

  /** Bytes taken from the stream so far, checked against `limit`. */
  private total = 0;

  /** `limit`: the most bytes read before PcapError `pcap/too-large` (INPUT_LIMITS.capture). */
  constructor(
    source: CaptureSource,
    private readonly limit: number = INPUT_LIMITS.capture,
  ) {
    const iterable: AsyncIterable<Uint8Array> =
      typeof source === 'string'
        ? createReadStream('', { fd: openRegularFile(source), highWaterMark: 1 << 16 })
        : source instanceof Uint8Array
          ? (async function* () {
              yield source;
            })()
          : source;
    this.it = iterable[Symbol.asyncIterator]();
  }

  /** Buffers until `n` bytes are available or the stream ends; true when they are. */
  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.done) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await this.it.next();
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new PcapError('pcap/io', `read capture: ${why}`, { cause: err });
      }
      if (r.done) this.done = true;
      else if (r.value.length) {
        this.total += r.value.length;
        if (this.total > this.limit) throw new PcapError('pcap/too-large', `read capture: more than the limit of ${this.limit} bytes`);
        this.chunks.push(r.value);
        this.buffered += r.value.length;
      }
    }
    return this.buffered >= n;
  }

  /** How many bytes are left, up to `max` (buffering them). */
  async available(max: number): Promise<number> {
    await this.fill(max);
    return Math.min(max, this.buffered);
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** Exactly `n` bytes (a fresh copy), or undefined when the stream ends first (nothing is consumed then). */
  async read(n: number): Promise<Uint8Array | undefined> {
    if (!(await this.fill(n))) return undefined;
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const take = Math.min(c.length, n - filled);
      out.set(c.subarray(0, take), filled);
      filled += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    this.buffered -= n;
    this.offset += n;
    return out;
  }

  /** Stops reading the underlying stream (closing a file) when the consumer stops early. */
  async close(): Promise<void> {
    this.done = true;
    this.chunks = [];
    await this.it.return?.();
  }
}
