import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setupSkb } from '../../src/helpers/context-skb.js';
import { bpfCsumDiff, csumFold, csumPartial, csumReplace2, csumReplace4 } from '../../src/helpers/csum.js';
import { BPF_PROG_TYPE } from '../../src/uapi/bpf.js';
import { hex, makeEnv, neg } from './support.js';

// Observed on this machine's 6.18 kernel: an XDP program calling bpf_csum_diff on bytes from the
// packet, run with `bpftool prog run` in a private namespace (see the report of the helpers work).
const diffVectors = JSON.parse(readFileSync(new URL('./fixtures/csum-diff-6.18.json', import.meta.url), 'utf8')) as { from: string; to: string; seed: number; want: number }[];
// Observed the same way with a TC program calling bpf_l3_csum_replace / bpf_l4_csum_replace:
// mode selects the helper and flags (see MODES), `want` is the checksum field after the call.
const replaceVectors = JSON.parse(readFileSync(new URL('./fixtures/csum-replace-6.18.json', import.meta.url), 'utf8')) as {
  mode: number;
  from: number;
  to: number;
  csum: number;
  rc: number;
  want: string;
}[];

const MODES: [helper: string, off: number, from: (f: number) => number, flags: number][] = [
  ['l3_csum_replace', 16, (f) => f & 0xffff, 2],
  ['l3_csum_replace', 16, (f) => f, 4],
  ['l3_csum_replace', 16, () => 0, 0],
  ['l4_csum_replace', 16, (f) => f & 0xffff, 2],
  ['l4_csum_replace', 16, (f) => f, 4],
  ['l4_csum_replace', 16, (f) => f & 0xffff, 2 | 32],
  ['l4_csum_replace', 16, (f) => f, 4 | 16],
  ['l4_csum_replace', 16, () => 0, 32],
  ['l3_csum_replace', 17, (f) => f, 4],
  ['l3_csum_replace', 16, (f) => f, 4 | 16],
  ['l4_csum_replace', 16, () => 1, 0],
  ['l4_csum_replace', 200, (f) => f, 4],
  ['l4_csum_replace', 16, (f) => f, 4 | 128],
  ['l4_csum_replace', 16, (f) => f, 3],
];

describe('helpers', () => {
  it.each(diffVectors.map((v, i) => ({ name: `vector ${i} (${v.from.length / 2}→${v.to.length / 2} bytes)`, have: v, want: v.want })))(
    'computes bpf_csum_diff as the 6.18 kernel does: $name',
    ({ have, want }) => {
      expect(bpfCsumDiff(hex(have.from), hex(have.to), have.seed)).toBe(want);
    },
  );

  it.each(replaceVectors.map((v, i) => ({ name: `vector ${i} (${MODES[v.mode]![0]} flags ${MODES[v.mode]![3]})`, have: v })))(
    'rewrites the checksum field as the 6.18 kernel does: $name',
    ({ have }) => {
      const { env, mem, call } = makeEnv(BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS);
      const pkt = new Uint8Array(64);
      pkt[0] = have.mode;
      new DataView(pkt.buffer).setUint16(16, have.csum, true);
      setupSkb(mem, pkt);
      const [helper, off, from, flags] = MODES[have.mode]!;
      const rc = call(helper, 0, off, from(have.from) >>> 0, have.to >>> 0, flags);
      expect(Number(BigInt.asUintN(32, rc))).toBe(have.rc);
      expect(Buffer.from(mem.u8.slice(mem.pktData + 16, mem.pktData + 18)).toString('hex')).toBe(have.want);
      expect(env.pc).toBe(7);
    },
  );

  it('returns -EINVAL from bpf_l3_csum_replace for an unknown field size', () => {
    const { mem, call } = makeEnv(BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS);
    setupSkb(mem, new Uint8Array(40));
    expect(call('l3_csum_replace', 0, 10, 1, 2, 3)).toBe(neg(22));
  });

  it('keeps an IPv4 header checksum valid after csum_replace4 and csum_replace2 (RFC 1624)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 0xffff }), (bytes, addr, port) => {
        const h = bytes.slice();
        h[10] = 0;
        h[11] = 0;
        const v = new DataView(h.buffer);
        v.setUint16(10, csumFold(csumPartial(h, 0)), true);
        expect(csumFold(csumPartial(h, 0))).toBe(0);
        const old = v.getUint32(12, true);
        v.setUint16(10, csumReplace4(v.getUint16(10, true), old, addr), true);
        v.setUint32(12, addr, true);
        expect(csumFold(csumPartial(h, 0))).toBe(0);
        const old2 = v.getUint16(4, true);
        v.setUint16(10, csumReplace2(v.getUint16(10, true), old2, port), true);
        v.setUint16(4, port, true);
        expect(csumFold(csumPartial(h, 0))).toBe(0);
      }),
    );
  });
});
