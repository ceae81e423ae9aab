import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSkbResult, readSocketPacket, setupSkb, skbCtxRule, skFilterCtxRule } from '../../src/helpers/context-skb.js';
import { XDP_FRAME, readXdpResult, setupXdp, xdpCtxRule } from '../../src/helpers/context-xdp.js';
import { SimKernel } from '../../src/helpers/kernel-state.js';
import { CaseError } from '../../src/internal/errors.js';
import { SK_BUFF, XDP_MD } from '../../src/uapi/context.js';
import { LAYOUT } from '../../src/vm/layout.js';
import { VmMemory } from '../../src/vm/memory.js';
import { hex } from './support.js';

// Every (offset, size) the 6.18 verifier accepted for a one-instruction load (r) or store (w) on
// the context, found by loading such programs for BPF_PROG_TYPE_XDP (6), SCHED_CLS (3) and SOCKET_FILTER (1).
const observed = new Set(
  readFileSync(new URL('./fixtures/ctx-access-6.18.txt', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .flatMap((line) => {
      const [type, off, size, rw] = line.split(' ');
      return [...rw!].map((m) => `${type}:${off}:${size}:${m}`);
    }),
);

const kernel = new SimKernel({ fib: { interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24'] }] } });
// dst 02:00:00:00:01:01, src 02:00:00:00:00:02, IPv4, then 50 bytes.
const frame = hex(`020000000101 020000000002 0800 ${'00'.repeat(50)}`);
const ctxU32 = (mem: VmMemory, off: number) => mem.view.getUint32(LAYOUT.CTX + off, true);

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof CaseError) return err.code;
    throw err;
  }
  return 'accepted';
}

describe('helpers', () => {
  it.each([
    { name: 'xdp_md', type: 6, size: 24, rule: xdpCtxRule },
    { name: '__sk_buff', type: 3, size: 192, rule: skbCtxRule },
    { name: '__sk_buff of a socket filter', type: 1, size: 192, rule: skFilterCtxRule },
  ])('allows exactly the $name accesses the kernel verifier allows', ({ type, size, rule }) => {
    const mismatches: string[] = [];
    for (let off = 0; off < size; off++) {
      for (const sz of [1, 2, 4, 8]) {
        for (const mode of ['r', 'w']) {
          const want = observed.has(`${type}:${off}:${sz}:${mode}`);
          if (rule(off, sz, mode === 'w') !== want) mismatches.push(`${off}/${sz}/${mode}: want ${want}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('places the XDP frame after 256 bytes of headroom with real addresses in xdp_md', () => {
    const mem = new VmMemory();
    setupXdp(mem, frame);
    const data = XDP_FRAME.HARD_START + 256;
    expect(ctxU32(mem, XDP_MD.data.off)).toBe(data);
    expect(ctxU32(mem, XDP_MD.data_end.off)).toBe(data + frame.length);
    expect(ctxU32(mem, XDP_MD.data_meta.off)).toBe(data);
    expect(ctxU32(mem, XDP_MD.ingress_ifindex.off)).toBe(1);
    expect([mem.pktStart, mem.pktData, mem.pktEnd]).toEqual([data, data, data + frame.length]);
    expect(mem.ctxSize).toBe(24);
    expect(readXdpResult(mem).packet).toEqual(frame);
  });

  it('takes XDP metadata from the start of the packet and gives ctx_out relative to data_meta', () => {
    const mem = new VmMemory();
    const withMeta = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, ...frame]);
    setupXdp(mem, withMeta, { data: 8, ingress_ifindex: 2 }, kernel);
    expect(mem.pktData - mem.pktStart).toBe(8);
    expect(ctxU32(mem, XDP_MD.ingress_ifindex.off)).toBe(2);
    const out = readXdpResult(mem, { data: 8, ingress_ifindex: 2 });
    expect(out.meta).toEqual(withMeta.subarray(0, 8));
    expect(out.packet).toEqual(frame);
    expect(out.ctx).toEqual({ data: 8, data_end: withMeta.length, data_meta: 0, ingress_ifindex: 2, rx_queue_index: 0, egress_ifindex: 0 });
  });

  // Each refused as `bpftool prog run ... ctx_in` refused it on 6.18.
  it.each([
    { name: 'unaligned metadata', have: { data: 2 }, want: 'case/bad-ctx' },
    { name: 'metadata past the xdp_frame', have: { data: 220 }, want: 'case/bad-ctx' },
    { name: 'a queue without an interface', have: { rx_queue_index: 1 }, want: 'case/bad-ctx' },
    { name: 'a second queue on a veth', have: { ingress_ifindex: 2, rx_queue_index: 1 }, want: 'case/bad-ctx' },
    { name: 'an unknown interface (ENODEV)', have: { ingress_ifindex: 9 }, want: 'case/bad-ctx' },
    { name: 'egress_ifindex', have: { egress_ifindex: 3 }, want: 'case/bad-ctx' },
    { name: 'a data_end other than the length', have: { data_end: 10 }, want: 'case/bad-ctx' },
    { name: 'a field xdp_md lacks', have: { mark: 1 }, want: 'case/bad-ctx' },
    { name: 'the largest metadata', have: { data: 216 }, want: 'accepted' },
  ])('refuses XDP ctx_in the kernel refuses: $name', ({ have, want }) => {
    const pkt = new Uint8Array(300);
    expect(refusal(() => setupXdp(new VmMemory(), pkt, have, kernel))).toBe(want);
  });

  it.each([
    { name: 'shorter than an Ethernet header', have: 13, want: 'case/bad-packet' },
    { name: 'the largest linear frame', have: 3520, want: 'accepted' },
    { name: 'one byte in a fragment', have: 3521, want: 'accepted' },
    { name: 'the linear buffer and MAX_SKB_FRAGS full pages', have: 3520 + 17 * 4096, want: 'accepted' },
    { name: 'more than MAX_SKB_FRAGS fragments (ENOMEM)', have: 3521 + 17 * 4096, want: 'case/packet-too-big' },
  ])('checks the XDP packet size: $name', ({ have, want }) => {
    expect(refusal(() => setupXdp(new VmMemory(), new Uint8Array(have)))).toBe(want);
  });

  it('fills __sk_buff as test_run does on loopback', () => {
    const mem = new VmMemory();
    setupSkb(mem, frame, { mark: 7, cb: [1, 2, 3, 4, 5], priority: 9 });
    expect(ctxU32(mem, SK_BUFF.len.off)).toBe(frame.length);
    expect(ctxU32(mem, SK_BUFF.protocol.off)).toBe(0x0008); // htons(ETH_P_IP) in a u32 load
    expect(ctxU32(mem, SK_BUFF.pkt_type.off)).toBe(3); // PACKET_OTHERHOST: not loopback's 00:00:00:00:00:00
    expect(ctxU32(mem, SK_BUFF.ifindex.off)).toBe(1);
    expect(ctxU32(mem, SK_BUFF.mark.off)).toBe(7);
    expect(ctxU32(mem, SK_BUFF.wire_len.off)).toBe(frame.length);
    expect(ctxU32(mem, SK_BUFF.data.off)).toBe(LAYOUT.PACKET + 64);
    expect(ctxU32(mem, SK_BUFF.data_meta.off)).toBe(LAYOUT.PACKET + 64);
    expect(mem.ctxSize).toBe(192);
    const out = readSkbResult(mem, { mark: 7 });
    expect(out.packet).toEqual(frame);
    expect(out.ctx).toMatchObject({ mark: 7, priority: 9, ifindex: 1, cb: [1, 2, 3, 4, 5], wire_len: frame.length });
  });

  // Measured with BPF_PROG_TEST_RUN on a socket filter (6.18): len 26 for a 40-byte frame,
  // skb_load_bytes(skb, 0) reads the IPv4 header, data_out is 14 zero bytes and the L3 packet,
  // ctx_out's wire_len is 26 and a wire_len of 25 is refused.
  it('fills __sk_buff of a socket filter from the network header, as test_run does', () => {
    const mem = new VmMemory();
    const pkt = frame.slice(0, 40);
    setupSkb(mem, pkt, { cb: [1, 2, 3, 4, 5] }, undefined, false);
    expect(ctxU32(mem, SK_BUFF.len.off)).toBe(26);
    expect(ctxU32(mem, SK_BUFF.protocol.off)).toBe(0x0008);
    expect(ctxU32(mem, SK_BUFF.pkt_type.off)).toBe(3);
    expect(mem.pktData).toBe(LAYOUT.PACKET + 64 + 14);
    expect(mem.pktEnd - mem.pktData).toBe(26);
    expect(mem.ctxRule).toBe(skFilterCtxRule);
    expect(readSocketPacket(mem)).toEqual(new Uint8Array([...new Uint8Array(14), ...pkt.subarray(14)]));
    expect(readSkbResult(mem, { cb: [1, 2, 3, 4, 5] }).ctx).toMatchObject({ wire_len: 26, cb: [1, 2, 3, 4, 5] });
    expect(refusal(() => setupSkb(new VmMemory(), pkt, { wire_len: 25 }, undefined, false))).toBe('case/bad-ctx');
    expect(refusal(() => setupSkb(new VmMemory(), pkt, { wire_len: 26 }, undefined, false))).toBe('accepted');
    expect(refusal(() => setupSkb(new VmMemory(), pkt.subarray(0, 33), {}, undefined, false))).toBe('case/bad-packet');
  });

  // pkt_type values as the kernel reported them for these destinations (PACKET_HOST 0,
  // BROADCAST 1, MULTICAST 2, OTHERHOST 3): loopback's broadcast address is all zeros.
  it.each([
    { name: 'unicast to another host on lo', have: { dst: '020000000101', ifindex: 0 }, want: 3 },
    { name: 'all-zero destination on lo', have: { dst: '000000000000', ifindex: 0 }, want: 0 },
    { name: 'broadcast on lo', have: { dst: 'ffffffffffff', ifindex: 0 }, want: 2 },
    { name: 'multicast on lo', have: { dst: '010000000000', ifindex: 0 }, want: 2 },
    { name: 'own MAC on a veth', have: { dst: '020000000101', ifindex: 2 }, want: 0 },
    { name: 'broadcast on a veth', have: { dst: 'ffffffffffff', ifindex: 2 }, want: 1 },
  ])('sets pkt_type as eth_type_trans does: $name', ({ have, want }) => {
    const mem = new VmMemory();
    const pkt = frame.slice();
    pkt.set(hex(have.dst), 0);
    setupSkb(mem, pkt, have.ifindex ? { ifindex: have.ifindex } : {}, kernel);
    expect(ctxU32(mem, SK_BUFF.pkt_type.off)).toBe(want);
  });

  it.each([
    { name: 'IPv6', have: '86dd', want: [0x86, 0xdd] },
    { name: '802.2 LLC', have: '0026', want: [0x00, 0x04] },
    { name: 'raw 802.3', have: '0026ffff', want: [0x00, 0x01] },
  ])('sets protocol from the EtherType as eth_type_trans does: $name', ({ have, want }) => {
    const mem = new VmMemory();
    const pkt = new Uint8Array(60);
    pkt.set(hex(have), 12);
    setupSkb(mem, pkt);
    expect([...mem.u8.slice(LAYOUT.CTX + SK_BUFF.protocol.off, LAYOUT.CTX + SK_BUFF.protocol.off + 4)]).toEqual([...want, 0, 0]);
  });

  it.each([
    { name: 'a field test_run ignores, non-zero', have: { len: 5 }, want: 'case/bad-ctx' },
    { name: 'a field test_run ignores, zero', have: { tc_index: 0 }, want: 'accepted' },
    { name: 'a name __sk_buff lacks', have: { colour: 1 }, want: 'case/bad-ctx' },
    { name: 'wire_len below the length', have: { wire_len: 10 }, want: 'case/bad-ctx' },
    { name: 'wire_len past GSO_LEGACY_MAX_SIZE', have: { wire_len: 65537 }, want: 'case/bad-ctx' },
    { name: 'too many gso_segs', have: { gso_segs: 65536 }, want: 'case/bad-ctx' },
    { name: 'an unknown ifindex (ENODEV)', have: { ifindex: 9 }, want: 'case/bad-ctx' },
    { name: 'six cb words', have: { cb: [1, 2, 3, 4, 5, 6] }, want: 'case/bad-ctx' },
    { name: 'every accepted field', have: { mark: 1, priority: 2, ingress_ifindex: 3, ifindex: 2, cb: [1], tstamp: 5, wire_len: 100, gso_segs: 2, gso_size: 1400, hwtstamp: 6 }, want: 'accepted' },
  ])('refuses TC ctx_in the kernel refuses: $name', ({ have, want }) => {
    expect(refusal(() => setupSkb(new VmMemory(), frame, have, kernel))).toBe(want);
  });

  it('refuses a TC packet shorter than an Ethernet header', () => {
    expect(refusal(() => setupSkb(new VmMemory(), new Uint8Array(13)))).toBe('case/bad-packet');
  });

  // Lengths at which this machine's 6.18 kernel starts to run a TC program (bpftool prog run):
  // an IPv4 or IPv6 EtherType needs its whole fixed L3 header, any other only the Ethernet header.
  it.each([
    { name: 'IPv4 one byte short', have: { type: '0800', len: 33 }, want: 'case/bad-packet' },
    { name: 'IPv4 header complete', have: { type: '0800', len: 34 }, want: 'accepted' },
    { name: 'IPv6 one byte short', have: { type: '86dd', len: 53 }, want: 'case/bad-packet' },
    { name: 'IPv6 header complete', have: { type: '86dd', len: 54 }, want: 'accepted' },
    { name: 'ARP Ethernet header only', have: { type: '0806', len: 14 }, want: 'accepted' },
    { name: 'VLAN tag Ethernet header only', have: { type: '8100', len: 14 }, want: 'accepted' },
  ])('refuses a TC frame too short for its L3 header as the kernel does: $name', ({ have, want }) => {
    const pkt = new Uint8Array(have.len);
    pkt.set(hex(have.type), 12);
    expect(refusal(() => setupSkb(new VmMemory(), pkt))).toBe(want);
  });
});
