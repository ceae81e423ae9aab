import { type Layer, formatTcpFlags } from './layers.js';
import { parsePacket } from './parse.js';

const hex = (v: number, digits: number): string => `0x${v.toString(16).padStart(digits, '0')}`;
const bytesHex = (b: Uint8Array): string => (b.length ? Buffer.from(b).toString('hex') : '""');

/** A field value as the diff prints it: checksums and EtherTypes in hex, TCP flags as letters, bytes in hex. */
function formatField(l: Layer, key: string, v: unknown): string {
  if (v === undefined) return 'absent';
  if (v instanceof Uint8Array) return bytesHex(v);
  if (Array.isArray(v)) {
    const item = (o: object): string =>
      Object.entries(o)
        .map(([k, x]) => `${k}=${x instanceof Uint8Array ? bytesHex(x) : String(x)}`)
        .join(' ');
    return `[${v.map(item).join(', ')}]`;
  }
  if (typeof v !== 'number') return String(v);
  if (key === 'check') return hex(v, 4);
  if (key === 'flags') return l.kind === 'tcp' ? formatTcpFlags(v) : hex(v, l.kind === 'gre' ? 4 : 2);
  if ((key === 'type' && (l.kind === 'eth' || l.kind === 'vlan')) || key === 'protocol' && (l.kind === 'gre' || l.kind === 'geneve')) return hex(v, 4);
  return String(v);
}

/** Compares two byte ranges: a line when they differ, with the first differing offset in the frame. */
function diffBytes(name: string, a: Uint8Array, b: Uint8Array, frameOff: number): string[] {
  const out: string[] = [];
  if (a.length !== b.length) out.push(`${name}.length: ${a.length} != ${b.length}`);
  let count = 0;
  let first = -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      count++;
      if (first < 0) first = i;
    }
  }
  if (count) out.push(`${name}: ${count} byte${count === 1 ? '' : 's'} differ${count === 1 ? 's' : ''} at offset ${frameOff + first}`);
  return out;
}

/**
 * The differences between two frames, for a parity report: one line per difference, layer by
 * layer and field by field (`ipv4.dst: 10.0.0.2 != 10.0.0.9`, `tcp.check: 0x1234 != 0xabcd`),
 * then the payload and trailer (`payload: 3 bytes differ at offset 54`, offsets in the frame) and
 * the frame length (`length: 54 != 60`). A header only one frame has is `vlan: only in b`; where
 * the two stop having the same kinds of header, the rest is compared as bytes. Layers are named by
 * kind, with an index from the second of a kind on (`eth[1].dst`). Empty when the frames are
 * equal. Never throws.
 */
export function diffPackets(a: Uint8Array, b: Uint8Array): string[] {
  const out: string[] = [];
  if (a.length !== b.length) out.push(`length: ${a.length} != ${b.length}`);
  const pa = parsePacket(a, { lenient: true });
  const pb = parsePacket(b, { lenient: true });
  const seen = new Map<string, number>();
  let i = 0;
  for (; i < Math.min(pa.layers.length, pb.layers.length); i++) {
    const la = pa.layers[i]!;
    const lb = pb.layers[i]!;
    if (la.kind !== lb.kind) {
      out.push(`layer ${i}: ${la.kind} != ${lb.kind}`);
      const offA = la.offset;
      return [...out, ...diffBytes('rest', a.subarray(offA), b.subarray(lb.offset), offA)];
    }
    const n = seen.get(la.kind) ?? 0;
    seen.set(la.kind, n + 1);
    const name = n === 0 ? la.kind : `${la.kind}[${n}]`;
    const keys = new Set([...Object.keys(la), ...Object.keys(lb)]);
    for (const key of keys) {
      if (key === 'kind' || key === 'offset' || key === 'length') continue;
      const fa = formatField(la, key, (la as unknown as Record<string, unknown>)[key]);
      const fb = formatField(lb, key, (lb as unknown as Record<string, unknown>)[key]);
      if (fa !== fb) out.push(`${name}.${key}: ${fa} != ${fb}`);
    }
  }
  for (const [extra, side] of [
    [pa.layers.slice(i), 'a'],
    [pb.layers.slice(i), 'b'],
  ] as const) {
    for (const l of extra) out.push(`${l.kind}: only in ${side}`);
  }
  if (pa.error?.message !== pb.error?.message) {
    out.push(`parse: ${pa.error ? `a malformed (${pa.error.message})` : 'a ok'}, ${pb.error ? `b malformed (${pb.error.message})` : 'b ok'}`);
  }
  out.push(...diffBytes('payload', pa.payload, pb.payload, pa.payloadOffset));
  out.push(...diffBytes('trailer', pa.trailer, pb.trailer, pa.payloadOffset + pa.payload.length));
  return out;
}
