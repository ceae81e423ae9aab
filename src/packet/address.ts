import { PacketError } from '../internal/errors.js';

/**
 * Text forms of link and network addresses: MAC (`02:00:00:00:00:01`), IPv4 dotted quad
 * (RFC 791 §3.2) and IPv6 (RFC 4291 §2.2 to parse, RFC 5952 §4 canonical form to format).
 * Parsing a malformed address throws a PacketError `packet/bad-address` whose `path` is `what`.
 */

function badAddress(what: string, kind: string, text: string): PacketError {
  return new PacketError('packet/bad-address', `${what}: expected ${kind} address, got '${text}'`, what);
}

/** Formats 6 bytes at `off` of `bytes` as a lowercase, colon-separated MAC address. */
export function formatMac(bytes: Uint8Array, off = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push((bytes[off + i] ?? 0).toString(16).padStart(2, '0'));
  return parts.join(':');
}

/** Parses `aa:bb:cc:dd:ee:ff` (also `-` separated, any case) into 6 bytes. */
export function parseMac(text: string, what = 'mac'): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) throw badAddress(what, 'a MAC', text);
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

/** Formats 4 bytes at `off` of `bytes` as a dotted-quad IPv4 address. */
export function formatIpv4(bytes: Uint8Array, off = 0): string {
  return `${bytes[off] ?? 0}.${bytes[off + 1] ?? 0}.${bytes[off + 2] ?? 0}.${bytes[off + 3] ?? 0}`;
}

/** Parses a dotted-quad IPv4 address (four decimal octets, no leading zeros) into 4 bytes. */
export function parseIpv4(text: string, what = 'ipv4'): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) {
    throw badAddress(what, 'an IPv4', text);
  }
  return Uint8Array.from(parts, Number);
}

/**
 * Formats 16 bytes at `off` of `bytes` as an IPv6 address in RFC 5952 canonical form: lowercase,
 * no leading zeros, the longest run of two or more zero groups (the first on a tie) as `::`,
 * and IPv4-mapped addresses (`::ffff:0:0/96`) in mixed notation (RFC 5952 §5).
 */
export function formatIpv6(bytes: Uint8Array, off = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((bytes[off + 2 * i] ?? 0) << 8) | (bytes[off + 2 * i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIpv4(bytes, off + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Parses an IPv6 address (RFC 4291 §2.2: `::` compression, trailing dotted quad) into 16 bytes. */
export function parseIpv6(text: string, what = 'ipv6'): Uint8Array {
  const bad = (): PacketError => badAddress(what, 'an IPv6', text);
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const groupsOf = (part: string, allowV4: boolean): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    items.forEach((item, i) => {
      if (allowV4 && i === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item, what);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) {
        out.push(parseInt(item, 16));
      } else {
        throw bad();
      }
    });
    return out;
  };
  let groups: number[];
  try {
    if (halves.length === 2) {
      const head = groupsOf(halves[0]!, false);
      const tail = groupsOf(halves[1]!, true);
      if (head.length + tail.length > 7) throw bad();
      groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
    } else {
      groups = groupsOf(text, true);
      if (groups.length !== 8) throw bad();
    }
  } catch {
    throw bad();
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Parses an IPv4 or IPv6 address, telling them apart by the presence of `:`. */
export function parseIp(text: string, what = 'ip'): Uint8Array {
  return text.includes(':') ? parseIpv6(text, what) : parseIpv4(text, what);
}

/** Formats 4 or 16 bytes as an IPv4 or IPv6 address. */
export function formatIp(bytes: Uint8Array): string {
  return bytes.length === 16 ? formatIpv6(bytes) : formatIpv4(bytes);
}
