import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { SimError } from './errors.js';

/**
 * The most bytes bpfsim reads from one input file: far above any real object, case file or test
 * file, far below what would exhaust memory. Captures are streamed and checked as they are read.
 */
export const INPUT_LIMITS = {
  /** An ELF object. */
  object: 256 << 20,
  /** A case file (JSON). */
  case: 64 << 20,
  /** A bpf_conformance `.data` file. */
  conformance: 16 << 20,
  /** A pcap or pcapng capture. */
  capture: 4 * 1024 ** 3,
} as const;

/** What kind of file `st` is, for messages: `directory`, `character device`, `FIFO`... */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  return 'special file';
}

/**
 * Reads the whole regular file at `path` (symlinks followed), at most `limit` bytes. Anything
 * else (a directory, a device such as /dev/zero, a FIFO) or a larger file is refused before a
 * byte is read: `error(code, message)` builds the thrown SimError, with code `unreadable`,
 * `not-regular` or `too-large` and a message starting with the path.
 */
export function readInputFile(path: string, what: string, limit: number, error: (code: string, message: string) => SimError): Uint8Array {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer before we can refuse it.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw error('unreadable', `${path}: cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw error('not-regular', `${path}: cannot read ${what}: a ${fileKind(st)}, not a regular file`);
    if (st.size > limit) throw error('too-large', `${path}: ${what} of ${st.size} bytes is larger than the limit of ${limit} bytes`);
    const out = new Uint8Array(st.size);
    let off = 0;
    while (off < out.length) {
      const n = readSync(fd, out, off, out.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === out.length ? out : out.subarray(0, off);
  } catch (err) {
    if (err instanceof SimError) throw err;
    throw error('unreadable', `${path}: cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    closeSync(fd);
  }
}
