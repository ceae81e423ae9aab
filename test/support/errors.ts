/** What test files use to look at the error a call throws. */
import { expect } from 'vitest';
import { PacketError } from '../../src/internal/errors.js';

/** What `fn` throws, or undefined when it returns. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The code and path of the PacketError `fn` throws (any other error fails the test), or undefined when it returns. */
export function packetErrorOf(fn: () => unknown): { code: string; path?: string } | undefined {
  const err = thrown(fn);
  if (err === undefined) return undefined;
  expect(err).toBeInstanceOf(PacketError);
  return { code: (err as PacketError).code, path: (err as PacketError).path };
}
