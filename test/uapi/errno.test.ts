import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ERRNO, errnoLabel, errnoName, formatErrno } from '../../src/uapi/errno.js';

describe('errno table', () => {
  it('agrees with the host C library on every name both know', () => {
    const host = constants.errno as Record<string, number>;
    const differences = Object.entries(ERRNO).filter(([name, n]) => name in host && host[name] !== n);
    expect(differences).toEqual([]);
    expect(Object.keys(ERRNO).filter((name) => name in host).length).toBeGreaterThan(70);
  });

  it.each([
    { have: -2, name: 'ENOENT', formatted: '-2 (ENOENT)' },
    { have: 1, name: 'EPERM', formatted: '-1 (EPERM)' },
    { have: -3, name: 'ESRCH', formatted: '-3 (ESRCH)' },
    { have: -524, name: 'ENOTSUPP', formatted: '-524 (ENOTSUPP)' },
    { have: -4003, name: undefined, formatted: '-4003' },
  ])('names $have $name and prints it as $formatted', ({ have, name, formatted }) => {
    expect(errnoName(have)).toBe(name);
    expect(formatErrno(have)).toBe(formatted);
    expect(errnoLabel(have)).toBe(name ?? `errno ${Math.abs(have)}`);
  });
});
