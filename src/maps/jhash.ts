/**
 * Bob Jenkins' lookup3 hash as the kernel spells it (include/linux/jhash.h): jhash over bytes
 * and jhash2 over u32 words, both with the kernel's JHASH_INITVAL. Used where the kernel's exact
 * hash values are observable (bloom filter false positives).
 */

const JHASH_INITVAL = 0xdeadbeef;

function rol32(x: number, s: number): number {
  return ((x << s) | (x >>> (32 - s))) >>> 0;
}

/** The state a, b, c of lookup3. */
type State = [number, number, number];

/** __jhash_mix. */
function mix(s: State): void {
  let [a, b, c] = s;
  a = (a - c) >>> 0; a = (a ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
  a = (a - c) >>> 0; a = (a ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
  s[0] = a; s[1] = b; s[2] = c;
}

/** __jhash_final. */
function final(s: State): void {
  let [a, b, c] = s;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 24)) >>> 0;
  s[0] = a; s[1] = b; s[2] = c;
}

function u32le(k: Uint8Array, off: number): number {
  return (k[off]! | (k[off + 1]! << 8) | (k[off + 2]! << 16) | (k[off + 3]! << 24)) >>> 0;
}

/** jhash(key, length, initval): the hash of `key`'s bytes (little-endian words, as on x86-64). */
export function jhash(key: Uint8Array, initval: number): number {
  let length = key.length;
  const init = (JHASH_INITVAL + length + initval) >>> 0;
  const s: State = [init, init, init];
  let k = 0;
  while (length > 12) {
    s[0] = (s[0] + u32le(key, k)) >>> 0;
    s[1] = (s[1] + u32le(key, k + 4)) >>> 0;
    s[2] = (s[2] + u32le(key, k + 8)) >>> 0;
    mix(s);
    length -= 12;
    k += 12;
  }
  if (length === 0) return s[2];
  // The tail's bytes, each into its word at its shift (the kernel's fall-through switch).
  for (let i = length - 1; i >= 0; i--) {
    const word = i >> 2;
    s[word] = (s[word]! + (key[k + i]! << ((i & 3) * 8))) >>> 0;
  }
  final(s);
  return s[2];
}

/** jhash2(words, length, initval): the hash of `words.length` u32 words. */
export function jhash2(words: ArrayLike<number>, initval: number): number {
  let length = words.length;
  const init = (JHASH_INITVAL + (length << 2) + initval) >>> 0;
  const s: State = [init, init, init];
  let k = 0;
  while (length > 3) {
    s[0] = (s[0] + words[k]!) >>> 0;
    s[1] = (s[1] + words[k + 1]!) >>> 0;
    s[2] = (s[2] + words[k + 2]!) >>> 0;
    mix(s);
    length -= 3;
    k += 3;
  }
  if (length === 0) return s[2];
  for (let i = length - 1; i >= 0; i--) s[i] = (s[i]! + words[k + i]!) >>> 0;
  final(s);
  return s[2];
}
