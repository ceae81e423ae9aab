import { checkBytes, describe } from './args.js';
import { ArgumentError, CaseError } from './errors.js';

/** Lowercase hex of `bytes`, two digits a byte, no separators. */
export function toHex(bytes: Uint8Array): string {
  checkBytes(bytes, 'bytes');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Bytes of a hex string; whitespace and `:` separators are ignored. Throws a CaseError
 * (`case/bad-hex`) for odd length or a non-hex digit; `what` names the field in the message.
 */
export function fromHex(text: string, what = 'hex'): Uint8Array {
  if (typeof text !== 'string') throw new ArgumentError('arg/type', `${what}: expected a hex string, got ${describe(text)}`, what);
  const clean = text.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0) throw new CaseError('case/bad-hex', `${what}: expected an even number of hex digits, got ${clean.length}`);
  const bad = clean.search(/[^0-9a-fA-F]/);
  if (bad >= 0) throw new CaseError('case/bad-hex', `${what}: expected hex digits, got '${clean[bad]}' at ${bad}`);
  return new Uint8Array(Buffer.from(clean, 'hex'));
}
