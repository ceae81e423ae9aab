import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PcapError } from '../internal/errors.js';

const FLUSH_BYTES = 1 << 20;

/**
 * An output file written under a temporary name in the same directory and renamed into place by
 * {@link AtomicFile.commit}, so that a failure or an abort never leaves a partly written file at
 * `path`. Writes are buffered. I/O failures are PcapError `pcap/io` and remove the temporary file.
 */
export class AtomicFile {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private finished = false;

  private constructor(
    readonly path: string,
    private readonly tmpPath: string,
    private readonly fh: FileHandle,
  ) {}

  /** Creates the temporary file next to `path`. */
  static async create(path: string): Promise<AtomicFile> {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    let fh: FileHandle;
    try {
      fh = await open(tmp, 'wx');
    } catch (err) {
      throw ioError(`create ${path}`, err);
    }
    return new AtomicFile(path, tmp, fh);
  }

  /** Queues `bytes` (kept by reference: the caller must not change them), flushing now and then. */
  async write(bytes: Uint8Array): Promise<void> {
    this.push(bytes);
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  /** Queues `bytes` without flushing. */
  push(bytes: Uint8Array): void {
    if (this.finished) throw new RangeError(`write ${this.path}: the file is already closed`);
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  private async flush(): Promise<void> {
    const chunks = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      await this.fh.writev(chunks);
    } catch (err) {
      await this.abort();
      throw ioError(`write ${this.path}`, err);
    }
  }

  /** Writes what is queued, closes the file and renames it to `path`. */
  async commit(): Promise<void> {
    if (this.finished) return;
    await this.flush();
    this.finished = true;
    try {
      await this.fh.close();
      await rename(this.tmpPath, this.path);
    } catch (err) {
      await unlink(this.tmpPath).catch(() => undefined);
      throw ioError(`write ${this.path}`, err);
    }
  }

  /** Closes and removes the temporary file; `path` is left as it was. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.pending = [];
    await this.fh.close().catch(() => undefined);
    await unlink(this.tmpPath).catch(() => undefined);
  }
}

function ioError(what: string, err: unknown): PcapError {
  const why = err instanceof Error ? err.message : String(err);
  return new PcapError('pcap/io', `${what}: ${why}`, { cause: err });
}
