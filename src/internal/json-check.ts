import { CaseError } from './errors.js';

/**
 * A strict checker for JSON read from users (case files): every value is checked against a
 * shape, an unknown field at any depth is an error naming its JSON path
 * (`expect.retvall: unknown field`), `__proto__` keys are refused, and numbers outside their
 * range are errors rather than being wrapped or rounded. Errors are CaseErrors whose code the
 * shape chooses (`case/invalid` by default) and whose message starts with the path.
 */
export type Shape<T> = (value: unknown, path: string, code: string) => T;

/** The CaseError for `path`: `maps.flows[0].key: expected string, got number`. */
export function shapeError(code: string, path: string, message: string): CaseError {
  return new CaseError(code, `${path || 'case'}: ${message}`);
}

/** `number`, `array`, `null`, `object`, ... for messages. */
export function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** The path of `key` inside `path`: `a.b`, or `a["odd key"]` when the key is not an identifier. */
export function childPath(path: string, key: string): string {
  const part = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
  if (!path) return part;
  return part.startsWith('"') ? `${path}[${part}]` : `${path}.${part}`;
}

function expectJsonType(v: unknown, path: string, code: string, type: string): void {
  if (jsonType(v) !== type) throw shapeError(code, path, `expected ${type}, got ${jsonType(v)}`);
}

/** A string, optionally matching `test` (described by `expected`). */
export function str(test?: (s: string) => boolean, expected?: string): Shape<string> {
  return (v, path, code) => {
    expectJsonType(v, path, code, 'string');
    if (test && !test(v as string)) throw shapeError(code, path, `expected ${expected}, got ${JSON.stringify(v)}`);
    return v as string;
  };
}

/** One of the strings `choices`. */
export function oneOf<const T extends string>(...choices: T[]): Shape<T> {
  return str((s) => (choices as string[]).includes(s), choices.map((c) => `"${c}"`).join(', ').replace(/, ([^,]*)$/, ' or $1')) as Shape<T>;
}

export const bool: Shape<boolean> = (v, path, code) => {
  expectJsonType(v, path, code, 'boolean');
  return v as boolean;
};

/** An integer in [min, max] (both within the safe-integer range). */
export function int(min: number, max: number): Shape<number> {
  return (v, path, code) => {
    expectJsonType(v, path, code, 'number');
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
      throw shapeError(code, path, `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return v as number;
  };
}

/** An array whose every element has `item`'s shape, of at most `maxLength` elements. */
export function arrayOf<T>(item: Shape<T>, maxLength = Infinity): Shape<T[]> {
  return (v, path, code) => {
    expectJsonType(v, path, code, 'array');
    const a = v as unknown[];
    if (a.length > maxLength) throw shapeError(code, path, `expected at most ${maxLength} elements, got ${a.length}`);
    return a.map((e, i) => item(e, `${path}[${i}]`, code));
  };
}

/** The own keys of a JSON object; `__proto__` (which JSON.parse keeps as an own key) is refused. */
function keysOf(v: unknown, path: string, code: string): string[] {
  expectJsonType(v, path, code, 'object');
  const keys = Object.keys(v as object);
  if (keys.includes('__proto__')) throw shapeError(code, childPath(path, '__proto__'), 'refused: not a field name');
  return keys;
}

/** A field of an object shape: its shape, and whether it must be present. */
export interface Field<T> {
  shape: Shape<T>;
  required?: boolean;
}

type FieldsOf<F> = { [K in keyof F]: F[K] extends Field<infer T> ? (F[K] extends { required: true } ? T : T | undefined) : never };

/** An object with exactly the fields `fields` (those marked required must be present); any other key is an error. */
export function object<F extends Record<string, Field<unknown>>>(fields: F): Shape<FieldsOf<F>> {
  return (v, path, code) => {
    const keys = keysOf(v, path, code);
    for (const key of keys) if (!Object.hasOwn(fields, key)) throw shapeError(code, childPath(path, key), 'unknown field');
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(fields)) {
      const value = (v as Record<string, unknown>)[key];
      if (value === undefined) {
        if (field.required) throw shapeError(code, childPath(path, key), 'missing');
        continue;
      }
      out[key] = field.shape(value, childPath(path, key), code);
    }
    return out as FieldsOf<F>;
  };
}

/** An object used as a dictionary (any key but `__proto__`), every value of shape `value`; the result has no prototype. */
export function record<T>(value: Shape<T>): Shape<Record<string, T>> {
  return (v, path, code) => {
    const out = Object.create(null) as Record<string, T>;
    for (const key of keysOf(v, path, code)) out[key] = value((v as Record<string, unknown>)[key], childPath(path, key), code);
    return out;
  };
}

/** Any JSON value; objects at any depth are checked for `__proto__` keys and copied without a prototype. */
export const anyJson: Shape<unknown> = (v, path, code) => {
  if (Array.isArray(v)) return v.map((e, i) => anyJson(e, `${path}[${i}]`, code));
  if (v !== null && typeof v === 'object') return record(anyJson)(v, path, code);
  return v;
};

/** `shape` reporting with error code `code` inside (a subtree with its own code, as `fib`'s `case/bad-fib`). */
export function withCode<T>(code: string, shape: Shape<T>): Shape<T> {
  return (v, path) => shape(v, path, code);
}

/** The first shape in `shapes` that accepts the value; otherwise the error `expected` describes. */
export function either<T>(expected: string, ...shapes: Shape<T>[]): Shape<T> {
  return (v, path, code) => {
    for (const shape of shapes) {
      try {
        return shape(v, path, code);
      } catch (err) {
        if (!(err instanceof CaseError)) throw err;
      }
    }
    throw shapeError(code, path, `expected ${expected}, got ${JSON.stringify(v) ?? jsonType(v)}`);
  };
}

/** Checks `value` against `shape` from the root (an empty path). */
export function check<T>(shape: Shape<T>, value: unknown, code = 'case/invalid'): T {
  return shape(value, '', code);
}
