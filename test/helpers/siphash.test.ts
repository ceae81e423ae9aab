import { describe, expect, it } from 'vitest';
import { siphash, type SipKey } from '../../src/helpers/siphash.js';

// The key 00..0f of the SipHash paper's test vectors (Appendix A), as two little-endian words.
const KEY: SipKey = [0x0706050403020100n, 0x0f0e0d0c0b0a0908n];
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);

describe('siphash', () => {
  it.each([
    { name: 'the empty message', have: 0, want: 0x726fdb47dd0e0e31n },
    { name: '8 bytes', have: 8, want: 0x93f5f5799a932462n },
    { name: '15 bytes (the paper\'s example)', have: 15, want: 0xa129ca6149be45e5n },
    { name: '16 bytes', have: 16, want: 0x3f2acc7f57c29bdbn },
  ])('matches the reference vector for $name', ({ have, want }) => {
    expect(siphash(bytes(have), KEY)).toBe(want);
  });
});
