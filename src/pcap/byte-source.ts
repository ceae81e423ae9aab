import { closeSync, constants, fstatSync, openSync, read } from 'node:fs';
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

/** Bytes read from a file at a time, and the smallest buffer a refill makes. */
export const CHUNK_BYTES = 1 << 20;

/**
 * Where the bytes come from: `fill` copies up to `len` bytes into `buf` at `off` and returns how
 * many (0 at the end); `whole` says whether a refill should keep filling its buffer once it has
 * what the parser asked for (a file: one read per MiB) or hand over what one chunk brought (a
 * stream, which may trickle).
 */
interface Feed {
  readonly whole: boolean;
  fill(buf: Uint8Array, off: number, len: number): Promise<number>;
  close(): Promise<void>;
}

/** A file read straight into the caller's buffer: no intermediate chunks. */
function fileFeed(path: string): Feed {
  let fd: number | undefined = openRegularFile(path);
  return {
    whole: true,
    fill: (buf, off, len) =>
      new Promise((done, fail) => {
        if (fd === undefined) return done(0);
        read(fd, buf, off, len, null, (err, bytesRead) => (err ? fail(err) : done(bytesRead)));
      }),
    async close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** Chunks of a stream copied into the caller's buffer; a chunk larger than the room left waits for the next fill. */
function streamFeed(iterable: AsyncIterable<Uint8Array>): Feed {
  const it = iterable[Symbol.asyncIterator]();
  let pending: Uint8Array | undefined;
  let done = false;
  return {
    whole: false,
    async fill(buf, off, len) {
      while (!pending || pending.length === 0) {
        if (done) return 0;
        const r = await it.next();
        if (r.done) done = true;
        else pending = r.value;
      }
      const take = Math.min(pending.length, len);
      buf.set(pending.subarray(0, take), off);
      pending = pending.subarray(take);
      return take;
    },
    async close() {
      done = true;
      pending = undefined;
      await it.return?.();
    },
  };
}

/**
 * A reader of a capture's bytes for parsers that work synchronously over what is buffered: the
 * bytes from `pos` to `end` of `buf` are there to read (by index, `view`, or `take`), and
 * {@link ByteSource.refill} reads more, at least {@link CHUNK_BYTES} at a time, only when the
 * parser runs out. A refill moves the unread bytes to the other of two buffers it alternates
 * between (a fresh one when a record needs more room), so views taken before a refill keep
 * their bytes until the refill after it. `offset` is the number of bytes consumed since the
 * start, for error messages.
 */
export class ByteSource {
  buf: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(this.buf.buffer);
  pos = 0;
  end = 0;
  /** The buffer before the current one, refilled next. */
  private spare: Uint8Array | undefined;
  /** Bytes consumed before `buf[0]`. */
  private base = 0;
  private eof = false;
  private readonly feed: Feed;

  /** `limit`: the most bytes read before PcapError `pcap/too-large` (INPUT_LIMITS.capture). */
  constructor(
    source: CaptureSource,
    private readonly limit: number = INPUT_LIMITS.capture,
  ) {
    if (typeof source === 'string') this.feed = fileFeed(source);
    else if (source instanceof Uint8Array) {
      // The bytes are the buffer: nothing to copy or read.
      this.setBuffer(source, source.length);
      this.eof = true;
      this.feed = { whole: true, fill: async () => 0, close: async () => undefined };
    } else this.feed = streamFeed(source);
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes buffered and not yet consumed. */
  get buffered(): number {
    return this.end - this.pos;
  }

  /** Whether `n` bytes are buffered now (no reading). */
  ensure(n: number): boolean {
    return this.end - this.pos >= n;
  }

  /** Whether the source is read to its end (what is buffered is all that is left). */
  get atEof(): boolean {
    return this.eof;
  }

  private setBuffer(buf: Uint8Array, end: number): void {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = 0;
    this.end = end;
  }

  /** Reads until `n` bytes are buffered or the source ends; true when they are. */
  async refill(n: number): Promise<boolean> {
    if (this.ensure(n)) return true;
    if (this.eof) return false;
    // Bytes after `end` were never handed out: fill them in place when the record fits, else
    // move what is left to a fresh buffer (views into the old one keep their bytes).
    if (this.buf.length - this.pos < n || this.end === this.buf.length) {
      const left = this.end - this.pos;
      const size = Math.max(CHUNK_BYTES, n);
      // The spare buffer last held bytes before the previous refill: nobody reads them now.
      const spare = this.spare;
      const next = spare !== undefined && spare.length >= size ? spare : new Uint8Array(size);
      this.spare = this.buf.length >= CHUNK_BYTES ? this.buf : undefined;
      next.set(this.buf.subarray(this.pos, this.end));
      this.base += this.pos;
      this.setBuffer(next, left);
    }
    const next = this.buf;
    while (this.end < next.length) {
      let got: number;
      try {
        got = await this.feed.fill(next, this.end, next.length - this.end);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new PcapError('pcap/io', `read capture: ${why}`, { cause: err });
      }
      if (got === 0) {
        this.eof = true;
        break;
      }
      this.end += got;
      if (this.base + this.end > this.limit) throw new PcapError('pcap/too-large', `read capture: more than the limit of ${this.limit} bytes`);
      if (!this.feed.whole && this.end - this.pos >= n) break;
    }
    return this.ensure(n);
  }

  /** The next `n` bytes as a view (no copy), consumed; they must be buffered ({@link ensure}). */
  take(n: number): Uint8Array {
    const at = this.pos;
    this.pos += n;
    return this.buf.subarray(at, at + n);
  }

  /** Skips `n` buffered bytes. */
  skip(n: number): void {
    this.pos += n;
  }

  /** Exactly `n` bytes (a view the reader never writes again), or undefined when the source ends first (nothing is consumed then). */
  async read(n: number): Promise<Uint8Array | undefined> {
    if (!(await this.refill(n))) return undefined;
    return this.take(n);
  }

  /** How many bytes are left, up to `max` (buffering them). */
  async available(max: number): Promise<number> {
    await this.refill(max);
    return Math.min(max, this.end - this.pos);
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.refill(1));
  }

  /** Stops reading the underlying source (closing a file) when the consumer stops early. */
  async close(): Promise<void> {
    this.eof = true;
    await this.feed.close();
  }
}
