import { createReadStream } from 'node:fs';
import { PcapError } from '../internal/errors.js';

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

  constructor(source: CaptureSource) {
    const iterable: AsyncIterable<Uint8Array> =
      typeof source === 'string'
        ? createReadStream(source, { highWaterMark: 1 << 16 })
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
