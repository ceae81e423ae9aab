import { equalBytes } from '../internal/bytes.js';
import { toHex } from '../internal/hex.js';
import { checkChecksums } from '../packet/checksum.js';
import { diffPackets } from '../packet/diff.js';
import type { BpfMap, MapInput } from '../sim/map-handle.js';

/** What the run matchers accept: a program run (`prog.run`'s result), a case's (`runCase`'s), or anything with their fields. */
export interface RunLike {
  retval: number;
  action: string;
  packet: Uint8Array;
  redirect?: { ifindex: number; flags: number } | null;
}

interface MatcherResult {
  pass: boolean;
  message: () => string;
  actual?: unknown;
  expected?: unknown;
}

const toBytes = (p: unknown): Uint8Array | undefined => (p instanceof Uint8Array ? p : typeof p === 'object' && p !== null && (p as RunLike).packet instanceof Uint8Array ? (p as RunLike).packet : undefined);

function notARun(name: string, received: unknown): MatcherResult {
  return { pass: false, message: () => `${name}: expected a program run (prog.run's result), got ${received === null ? 'null' : typeof received}` };
}

const isRun = (r: unknown): r is RunLike => typeof r === 'object' && r !== null && typeof (r as RunLike).action === 'string' && (r as RunLike).packet instanceof Uint8Array;

/**
 * Whether `actual` holds everything `expected` lists: object fields by name (others ignored),
 * arrays element by element, numbers and bigints by value (`1` matches `1n`), the rest by `===`.
 */
export function containsValue(actual: unknown, expected: unknown): boolean {
  if ((typeof actual === 'bigint' || typeof actual === 'number') && (typeof expected === 'bigint' || typeof expected === 'number')) {
    const integral = (x: number | bigint) => typeof x === 'bigint' || Number.isInteger(x);
    return integral(actual) && integral(expected) ? BigInt(actual) === BigInt(expected) : actual === expected;
  }
  if (expected instanceof Uint8Array) return actual instanceof Uint8Array && equalBytes(actual, expected);
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => containsValue(actual[i], e));
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return false;
    return Object.entries(expected).every(([k, v]) => containsValue((actual as Record<string, unknown>)[k], v));
  }
  return Object.is(actual, expected);
}

const show = (v: unknown): string => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? toHex(x) : x));

/**
 * vitest matchers for runs and maps; `import 'bpfsim/vitest'` registers them (or
 * `expect.extend(bpfMatchers)`):
 * - `toHaveAction('XDP_DROP')`: the run's verdict.
 * - `toEqualPacket(bytes)`: the run's output packet (or a packet) is `bytes`; a failure lists the
 *   fields that differ, layer by layer (`ipv4.dst: 10.0.0.1 != 10.0.0.2`).
 * - `toHaveValidChecksums()`: the output packet's IPv4 header and TCP/UDP/ICMP checksums are right.
 * - `toHaveRedirectedTo(ifindex, flags?)`: the run called bpf_redirect (or redirect_map) to `ifindex`.
 * - `toHaveMapEntry(key, value?)`: the map has `key`, and its value holds every field `value` lists.
 * - `toPassBpfChecks('bpf/tests/x.c')`: for BPF test programs that return 0 when every check
 *   holds and `__LINE__` of the first that fails; a failure names `bpf/tests/x.c:LINE`.
 */
export const bpfMatchers = {
  toHaveAction(received: RunLike, action: string): MatcherResult {
    if (!isRun(received)) return notARun('toHaveAction', received);
    return {
      pass: received.action === action,
      message: () => `expected action ${action}, got ${received.action} (retval ${received.retval})`,
      actual: received.action,
      expected: action,
    };
  },
  toEqualPacket(received: RunLike | Uint8Array, expected: Uint8Array): MatcherResult {
    const got = toBytes(received);
    if (!got) return notARun('toEqualPacket', received);
    if (!(expected instanceof Uint8Array)) return { pass: false, message: () => `toEqualPacket: expected the packet to compare with as bytes (Uint8Array), got ${typeof expected}` };
    const same = equalBytes(got, expected);
    return {
      pass: same,
      message: () => {
        if (same) return 'expected the packets to differ, but they are equal';
        const lines = diffPackets(expected, got);
        return `expected the packet to equal the given one (expected != received):\n  ${(lines.length ? lines : ['bytes differ']).join('\n  ')}`;
      },
    };
  },
  toHaveValidChecksums(received: RunLike | Uint8Array): MatcherResult {
    const bytes = toBytes(received);
    if (!bytes) return notARun('toHaveValidChecksums', received);
    const sums = checkChecksums(bytes);
    const bad = Object.entries(sums).filter(([, v]) => v === 'bad').map(([k]) => k);
    return {
      pass: bad.length === 0,
      message: () => (bad.length ? `expected valid checksums, but ${bad.join(' and ')} checksum is bad` : 'expected a bad checksum, but all are valid'),
    };
  },
  toHaveRedirectedTo(received: RunLike, ifindex: number, flags?: number): MatcherResult {
    if (!isRun(received)) return notARun('toHaveRedirectedTo', received);
    const r = received.redirect ?? null;
    const pass = r !== null && r.ifindex === ifindex && (flags === undefined || r.flags === flags);
    const want = `ifindex ${ifindex}${flags === undefined ? '' : ` flags ${flags}`}`;
    return {
      pass,
      message: () => (pass ? `expected no redirect to ${want}` : `expected a redirect to ${want}, got ${r ? `ifindex ${r.ifindex} flags ${r.flags}` : 'none'} (${received.action})`),
    };
  },
  toHaveMapEntry(received: BpfMap, key: MapInput, value?: unknown): MatcherResult {
    if (typeof received !== 'object' || received === null || typeof (received as BpfMap).get !== 'function') {
      return { pass: false, message: () => 'toHaveMapEntry: expected a map handle (obj.map(name))' };
    }
    const actual = received.get(key);
    const pass = actual !== undefined && (value === undefined || containsValue(actual, value));
    return {
      pass,
      message: () =>
        actual === undefined
          ? `expected map '${received.name}' to have key ${show(key)}, but it has none`
          : pass
            ? `expected map '${received.name}' not to have key ${show(key)}${value === undefined ? '' : ` with ${show(value)}`}`
            : `expected map '${received.name}' key ${show(key)} to hold ${show(value)}, got ${show(actual)}`,
      actual,
      expected: value,
    };
  },
  toPassBpfChecks(received: RunLike, file: string): MatcherResult {
    if (!isRun(received)) return notARun('toPassBpfChecks', received);
    return {
      pass: received.retval === 0,
      message: () => (received.retval === 0 ? `expected a check in ${file} to fail, but all passed` : `check failed at ${file}:${received.retval}`),
    };
  },
};

/** Type declarations for the matchers (`bpfsim/vitest` merges them into vitest's `Assertion`). */
export interface BpfMatchers<R = unknown> {
  toHaveAction(action: string): R;
  toEqualPacket(expected: Uint8Array): R;
  toHaveValidChecksums(): R;
  toHaveRedirectedTo(ifindex: number, flags?: number): R;
  toHaveMapEntry(key: MapInput, value?: unknown): R;
  toPassBpfChecks(file: string): R;
}
