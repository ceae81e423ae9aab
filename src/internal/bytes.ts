import { SimError } from './errors.js';

/** Builds the error a reader throws when a read runs past the end: `(what, offset, len, available)`. */
export type OutOfRange = (what: string, off: number, len: number, available: number) => SimError;

const defaultOutOfRange: OutOfRange = (what, off, len, available) =>
  new SimError('bytes/out-of-range', `${what}: expected ${len} bytes at offset ${off}, got ${Math.max(0, available - off)}`);

/**
 * Little-endian reader over a byte array with a bounds check on every read, so that malformed
 * input becomes a typed error (from `outOfRange`) instead of DataView's RangeError.
 */
export class ByteReader {
  readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    private readonly outOfRange: OutOfRange = defaultOutOfRange,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  /** Throws unless `len` bytes at `off` are inside the buffer. */
  need(off: number, len: number, what = 'read'): void {
    if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || off < 0 || len < 0 || off + len > this.bytes.byteLength) {
      throw this.outOfRange(what, off, len, this.bytes.byteLength);
    }
  }

  u8(off: number, what?: string): number {
    this.need(off, 1, what);
    return this.view.getUint8(off);
  }
  u16(off: number, what?: string): number {
    this.need(off, 2, what);
    return this.view.getUint16(off, true);
  }
  u32(off: number, what?: string): number {
    this.need(off, 4, what);
    return this.view.getUint32(off, true);
  }
  i32(off: number, what?: string): number {
    this.need(off, 4, what);
    return this.view.getInt32(off, true);
  }
  u64(off: number, what?: string): bigint {
    this.need(off, 8, what);
    return this.view.getBigUint64(off, true);
  }
  /** A u64 that must fit in a JS number (file offsets and sizes). */
  u64n(off: number, what?: string): number {
    const v = this.u64(off, what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.outOfRange(what ?? 'read', Number.MAX_SAFE_INTEGER, 0, 0);
    return Number(v);
  }
  /** A view (not a copy) of `len` bytes at `off`. */
  slice(off: number, len: number, what?: string): Uint8Array {
    this.need(off, len, what);
    return this.bytes.subarray(off, off + len);
  }
  /** The NUL-terminated string at `off` (UTF-8); throws if no NUL before the end. */
  cstring(off: number, what = 'string'): string {
    this.need(off, 1, what);
    const end = this.bytes.indexOf(0, off);
    if (end < 0) throw this.outOfRange(what, off, this.bytes.byteLength - off + 1, this.bytes.byteLength);
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + off, end - off).toString('utf8');
  }
}

/** Whether `a` and `b` hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
