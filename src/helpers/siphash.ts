/**
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012) over the
 * little-endian 64-bit words of a message, as the kernel's lib/siphash.c computes siphash_2u64
 * and siphash(): the key is two 64-bit words, the result a 64-bit word.
 */

const MASK = (1n << 64n) - 1n;

function rotl(x: bigint, b: bigint): bigint {
  return ((x << b) | (x >> (64n - b))) & MASK;
}

/** The secret of one siphash: two 64-bit words (siphash_key_t). */
export type SipKey = readonly [bigint, bigint];

/** SipHash-2-4 of `message` under `key`, the 64-bit result. */
export function siphash(message: Uint8Array, key: SipKey): bigint {
  let v0 = 0x736f6d6570736575n ^ key[0];
  let v1 = 0x646f72616e646f6dn ^ key[1];
  let v2 = 0x6c7967656e657261n ^ key[0];
  let v3 = 0x7465646279746573n ^ key[1];
  const round = (): void => {
    v0 = (v0 + v1) & MASK;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const compress = (m: bigint): void => {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  };
  const full = message.length - (message.length % 8);
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  for (let off = 0; off < full; off += 8) compress(view.getBigUint64(off, true));
  let last = BigInt(message.length & 0xff) << 56n;
  for (let i = full; i < message.length; i++) last |= BigInt(message[i]!) << BigInt(8 * (i - full));
  compress(last);
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return (v0 ^ v1 ^ v2 ^ v3) & MASK;
}
