import { describe, expect, it } from 'vitest';
import { VmFault } from '../../src/internal/errors.js';
import type { Insn } from '../../src/isa/insn.js';
import { BPF_PROG_TYPE } from '../../src/uapi/bpf.js';
import { LAYOUT } from '../../src/vm/layout.js';
import { SKF_LL_OFF, SKF_NET_OFF } from '../../src/vm/ld-abs.js';
import { engines } from './engines.js';
import { TestMachine, insn, program } from './harness.js';

const ABS = { 1: 0x30, 2: 0x28, 4: 0x20 } as const;
const IND = { 1: 0x50, 2: 0x48, 4: 0x40 } as const;

// An Ethernet + IPv4 frame: MAC header 0..13, IPv4 header from 14 (version/ihl 0x45, ..., daddr at 30).
const FRAME = Uint8Array.from([
  ...[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00],
  ...[0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0xab, 0xcd, 10, 0, 0, 1, 10, 0, 0, 2],
  ...[0xaa, 0xbb, 0xcc, 0xdd, 0, 8, 0, 0],
]);

/** r6 = ctx, then `body`, then r0 ^= 0x1000 marks "reached the end"; exit. */
function prog(body: Insn[]): Insn[] {
  return [insn(0xbf, 6, 1), ...body, insn(0xa7, 0, 0, 0, 0x1000), insn(0x95)];
}

function run(engine: (typeof engines)[number]['engine'], body: Insn[], type: number = BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS): bigint {
  const m = new TestMachine();
  const data = m.packet(FRAME);
  if (type === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER) m.mem.setPacketBounds(data + 14, data + 14, data + FRAME.length);
  const env = { ...m.env(), progType: type };
  return engine.prepare(program(prog(body)), m).run(env, LAYOUT.CTX);
}

describe.each(engines)('$name engine: BPF_LD_ABS and BPF_LD_IND', ({ engine }) => {
  it.each([
    { name: 'a byte', have: [insn(ABS[1], 0, 0, 0, 14)], want: 0x45 },
    { name: 'a big-endian half word', have: [insn(ABS[2], 0, 0, 0, 12)], want: 0x0800 },
    { name: 'a big-endian word', have: [insn(ABS[4], 0, 0, 0, 30)], want: 0x0a000002 },
    { name: 'a word ending at the last byte', have: [insn(ABS[4], 0, 0, 0, FRAME.length - 4)], want: 0x00080000 },
    { name: 'through a register', have: [insn(0xb7, 7, 0, 0, 20), insn(IND[2], 0, 7, 0, 6)], want: 0x0a00 },
    { name: 'relative to the network header', have: [insn(ABS[1], 0, 0, 0, SKF_NET_OFF + 9)], want: 0x11 },
    { name: 'relative to the MAC header', have: [insn(ABS[2], 0, 0, 0, SKF_LL_OFF + 12)], want: 0x0800 },
  ])('loads $name from skb->data', ({ have, want }) => {
    expect(run(engine, have)).toBe(BigInt(want ^ 0x1000));
  });

  it.each([
    { name: 'past the end', have: [insn(ABS[4], 0, 0, 0, FRAME.length - 3)] },
    { name: 'at a negative offset above SKF_NET_OFF', have: [insn(ABS[1], 0, 0, 0, -1)] },
    { name: 'below SKF_LL_OFF', have: [insn(ABS[1], 0, 0, 0, SKF_LL_OFF - 1)] },
    { name: 'through a register past the end', have: [insn(0xb7, 7, 0, 0, 1000), insn(IND[1], 0, 7, 0, 0)] },
  ])('ends the program with r0 = 0 for a load $name', ({ have }) => {
    expect(run(engine, have)).toBe(0n);
  });

  it('leaves r1 = ctx and r2 = the offset after the load', () => {
    const body = [insn(0xb7, 7, 0, 0, 10), insn(IND[1], 0, 7, 0, 4), insn(0xbf, 0, 2), insn(0x27, 0, 0, 0, 0x10000), insn(0x0f, 0, 1)];
    expect(run(engine, body)).toBe(BigInt(14 * 0x10000 + LAYOUT.CTX) ^ 0x1000n);
  });

  it('reads a socket filter skb from the network header', () => {
    expect(run(engine, [insn(ABS[1], 0, 0, 0, 0)], BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER)).toBe(0x45n ^ 0x1000n);
    expect(run(engine, [insn(ABS[2], 0, 0, 0, SKF_LL_OFF + 12)], BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER)).toBe(0x0800n ^ 0x1000n);
  });

  it('faults in an XDP program, as the verifier refuses it there', () => {
    let err: unknown;
    try {
      run(engine, [insn(ABS[1], 0, 0, 0, 0)], BPF_PROG_TYPE.BPF_PROG_TYPE_XDP);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VmFault);
    expect((err as VmFault).code).toBe('vm/ld-abs-not-allowed');
  });
});
