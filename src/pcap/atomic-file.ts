import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { type FileHandle, lstat, open, readlink, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { PcapError } from '../internal/errors.js';

const FLUSH_BYTES = 1 << 20;

/** Temporary files of every AtomicFile not yet committed or aborted, for {@link removeTempFilesSync}. */
const liveTempFiles = new Set<string>();

/**
 * Removes the temporary file of every AtomicFile still being written, synchronously: for a
 * signal handler that is about to exit the process, so that an interrupted command leaves no
 * partial or temporary file behind.
 */
export function removeTempFilesSync(): void {
  for (const tmp of liveTempFiles) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already gone (renamed or removed): nothing to clean.
    }
  }
  liveTempFiles.clear();
}

/** Where output goes: `path` itself after following symlinks, and whether it is a regular file (or none yet). */
async function resolveTarget(path: string): Promise<{ target: string; regular: boolean }> {
  let target = resolve(path);
  // Follow symlinks by hand so that a dangling one still names the file to create.
  for (let hops = 0; hops < 40; hops++) {
    let st;
    try {
      st = await lstat(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { target, regular: true };
      throw err;
    }
    if (!st.isSymbolicLink()) {
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      return { target, regular: st.isFile() };
    }
    target = resolve(dirname(target), await readlink(target));
  }
  await stat(target); // ELOOP
  return { target, regular: true };
}

/**
 * An output file. A regular file (or a new one) is written under a temporary name in its
 * directory and renamed into place by {@link AtomicFile.commit}, so that a failure, an abort or
 * a signal never leaves a partly written file at `path`; a symlink is followed, so the file it
 * points to is replaced and the link stays. A FIFO, a device or a socket is written directly, and
 * `-` means standard output. Writes are buffered. I/O failures are PcapError `pcap/io` and remove
 * the temporary file.
 */
export class AtomicFile {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private finished = false;

  private constructor(
    readonly path: string,
    /** The temporary file renamed to `target` on commit; undefined when writing directly. */
    private readonly tmpPath: string | undefined,
    private readonly target: string,
    /** Undefined for standard output. */
    private readonly fh: FileHandle | undefined,
  ) {
    if (tmpPath) liveTempFiles.add(tmpPath);
  }

  /** Opens `path` for writing as the class describes (`-`: standard output). */
  static async create(path: string): Promise<AtomicFile> {
    if (path === '-') return new AtomicFile(path, undefined, path, undefined);
    try {
      const { target, regular } = await resolveTarget(path);
      if (!regular) return new AtomicFile(path, undefined, target, await open(target, 'w'));
      const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      return new AtomicFile(path, tmp, target, await open(tmp, 'wx'));
    } catch (err) {
      throw ioError(`create ${path}`, err);
    }
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

  /** Bytes queued and not yet written: 0 once every array pushed so far is written (the caller may reuse them then). */
  get queuedBytes(): number {
    return this.pendingBytes;
  }

  /** Writes what is queued once it reaches the flush size (1 MiB); for callers that {@link push} in bulk. */
  async drain(): Promise<void> {
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    const chunks = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      if (this.fh) await this.fh.writev(chunks);
      else for (const chunk of chunks) await writeStdout(chunk);
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
      await this.fh?.close();
      if (this.tmpPath) await rename(this.tmpPath, this.target);
    } catch (err) {
      if (this.tmpPath) await unlink(this.tmpPath).catch(() => undefined);
      throw ioError(`write ${this.path}`, err);
    } finally {
      if (this.tmpPath) liveTempFiles.delete(this.tmpPath);
    }
  }

  /** Closes and removes the temporary file; `path` is left as it was (what went to a device or stdout is gone). */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.pending = [];
    await this.fh?.close().catch(() => undefined);
    if (this.tmpPath) {
      await unlink(this.tmpPath).catch(() => undefined);
      liveTempFiles.delete(this.tmpPath);
    }
  }
}

function writeStdout(chunk: Uint8Array): Promise<void> {
  return new Promise((done, fail) => process.stdout.write(chunk, (err) => (err ? fail(err) : done())));
}

function ioError(what: string, err: unknown): PcapError {
  const why = err instanceof Error ? err.message : String(err);
  return new PcapError('pcap/io', `${what}: ${why}`, { cause: err });
}
