/**
 * Receive-side scaling as a NIC does it: the Toeplitz hash of a packet's flow fields under the
 * 40-byte key most drivers default to (Microsoft's "Verifying the RSS Hash Calculation"), the
 * hash's low 7 bits index a 128-entry indirection table filled round-robin with the CPUs, as
 * `ethtool -X equal N` sets it (ethtool_rxfh_indir_default: index % N).
 *
 * Fields hashed (the RSS types of the same document): for TCP and UDP over IPv4 and IPv6, source
 * and destination address then source and destination port; for other IP packets and fragments,
 * the two addresses; packets that are not IP go to the first table entry (CPU 0). 802.1Q and
 * 802.1ad tags are skipped; IPv6 extension headers (hop-by-hop, routing, destination options) are
 * walked, and a fragment header makes the packet hashed by addresses.
 */

/** The default RSS key (Microsoft RSS verification suite; the key ixgbe, i40e and mlx5 ship). */
const RSS_KEY = Uint8Array.from([
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
  0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
]);

/** The longest input: two IPv6 addresses and two ports. */
const MAX_INPUT = 36;

/** TOEPLITZ[pos * 256 + byte]: what `byte` at input position `pos` adds (XORs) to the hash. */
const TOEPLITZ = (() => {
  const table = new Int32Array(MAX_INPUT * 256);
  const keyBit = (i: number) => (RSS_KEY[i >> 3]! >> (7 - (i & 7))) & 1;
  for (let pos = 0; pos < MAX_INPUT; pos++) {
    for (let bit = 0; bit < 8; bit++) {
      // The 32 key bits starting at this input bit's position.
      let window = 0;
      for (let k = 0; k < 32; k++) window = (window << 1) | keyBit(pos * 8 + bit + k);
      for (let byte = 0; byte < 256; byte++) if (byte & (0x80 >> bit)) table[pos * 256 + byte]! ^= window;
    }
  }
  return table;
})();

/** The Toeplitz hash of `len` bytes of `bytes` from `off` (then `more` from `off2`, for the ports), unsigned. */
function toeplitz(bytes: Uint8Array, off: number, len: number, off2: number, more: number): number {
  let h = 0;
  for (let i = 0; i < len; i++) h ^= TOEPLITZ[i * 256 + bytes[off + i]!]!;
  for (let i = 0; i < more; i++) h ^= TOEPLITZ[(len + i) * 256 + bytes[off2 + i]!]!;
  return h >>> 0;
}

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** The RSS hash of an Ethernet frame (see the module comment); 0 for a frame that is not IP. */
export function flowHash(frame: Uint8Array): number {
  const len = frame.length;
  let off = 12;
  if (len < 14) return 0;
  let type = (frame[off]! << 8) | frame[off + 1]!;
  // 802.1ad and 802.1Q tags, stacked.
  while ((type === 0x8100 || type === 0x88a8) && off + 6 <= len) {
    off += 4;
    type = (frame[off]! << 8) | frame[off + 1]!;
  }
  off += 2;
  if (type === 0x0800) {
    if (off + 20 > len || frame[off]! >> 4 !== 4) return 0;
    const ihl = (frame[off]! & 15) * 4;
    const proto = frame[off + 9]!;
    const fragmented = (((frame[off + 6]! << 8) | frame[off + 7]!) & 0x3fff) !== 0;
    const l4 = off + ihl;
    if (!fragmented && ihl >= 20 && (proto === IPPROTO_TCP || proto === IPPROTO_UDP) && l4 + 4 <= len) return toeplitz(frame, off + 12, 8, l4, 4);
    return toeplitz(frame, off + 12, 8, 0, 0);
  }
  if (type === 0x86dd) {
    if (off + 40 > len || frame[off]! >> 4 !== 6) return 0;
    let next = frame[off + 6]!;
    let l4 = off + 40;
    let fragmented = false;
    // Hop-by-hop, routing, destination options: (len + 1) * 8 bytes; the fragment header: 8.
    for (let hops = 0; hops < 8 && l4 + 8 <= len; hops++) {
      if (next === 0 || next === 43 || next === 60) {
        const size = (frame[l4 + 1]! + 1) * 8;
        next = frame[l4]!;
        l4 += size;
      } else if (next === 44) {
        fragmented = true;
        next = frame[l4]!;
        l4 += 8;
      } else break;
    }
    if (!fragmented && (next === IPPROTO_TCP || next === IPPROTO_UDP) && l4 + 4 <= len) return toeplitz(frame, off + 8, 32, l4, 4);
    return toeplitz(frame, off + 8, 32, 0, 0);
  }
  return 0;
}

/** The CPU `hash` goes to out of `cpus`, through the default 128-entry indirection table. */
export function cpuOfHash(hash: number, cpus: number): number {
  return (hash & 127) % cpus;
}
