/**
 * Argument checks for public entry points: each throws an {@link ArgumentError} naming the
 * argument, `expected X, got Y`, so misuse of the API fails at the call with a code, not later
 * with a TypeError from deep inside.
 */
import { ArgumentError } from './errors.js';

/** How a value prints in `got ...`: its kind, and the value itself when short. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (Array.isArray(v)) return 'array';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (v instanceof ArrayBuffer) return 'ArrayBuffer';
  return typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;
}

/** Fails unless `v` is a Uint8Array (a Node Buffer is one); DataView, ArrayBuffer and wider typed arrays are refused. */
export function checkBytes(v: unknown, name: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new ArgumentError('arg/type', `${name}: expected a Uint8Array or Buffer, got ${describe(v)}`, name);
}

/** Fails unless `v` is a string. */
export function checkString(v: unknown, name: string): string {
  if (typeof v === 'string') return v;
  throw new ArgumentError('arg/type', `${name}: expected a string, got ${describe(v)}`, name);
}

/** Fails unless `v` is a plain object (not null, not an array); undefined passes as `{}` when `optional`. */
export function checkObject<T extends object>(v: unknown, name: string, optional = true): T {
  if (v === undefined && optional) return {} as T;
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v)) return v as T;
  throw new ArgumentError('arg/type', `${name}: expected an object, got ${describe(v)}`, name);
}

/** Fails unless `v` is an integer in [min, max]. */
export function checkInt(v: unknown, name: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number') throw new ArgumentError('arg/type', `${name}: expected an integer, got ${describe(v)}`, name);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ArgumentError('arg/range', `${name}: expected an integer from ${min} to ${max}, got ${v}`, name);
  }
  return v;
}

/** Fails unless `v` is one of `allowed`. */
export function checkOneOf<T extends string>(v: unknown, name: string, allowed: readonly T[]): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new ArgumentError(typeof v === 'string' ? 'arg/range' : 'arg/type', `${name}: expected ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${describe(v)}`, name);
}
