import fc from 'fast-check';
import type { Insn } from '../../src/isa/insn.js';
import type { Engine, RunEnv } from '../../src/vm/env.js';
import { VmFault } from '../../src/internal/errors.js';
import { LAYOUT, STACK_END } from '../../src/vm/layout.js';
import { TestArrayMap, TestMachine, mapSpec, program } from './harness.js';

/**
 * Random valid eBPF programs for differential testing of the two engines, and the comparison
 * itself. A program is a list of genes; each gene lowers to a few instructions: ALU of every
 * width and signedness, forward jumps of every condition, bounded loops (r9 counts; a jump into
 * a loop body from outside makes the graph irreducible), loads, stores and atomics on the stack,
 * the packet (r6) and a map value (r7), and calls to two fake helpers. Out-of-range offsets are
 * rare but present, so faults are compared too.
 */

/** One gene: [kind, a, b, c, d], small numbers the builder interprets. */
export type Gene = [number, number, number, number, number];

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
/** A gene arbitrary; kinds are weighted by repetition in {@link KINDS}. */
export const geneArb: fc.Arbitrary<Gene> = fc.tuple(fc.integer({ min: 0, max: 63 }), u32, u32, u32, u32);
/** A whole program: initial register values and genes. */
export const programArb = fc.record({
  init: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 7, maxLength: 7 }),
  genes: fc.array(geneArb, { minLength: 1, maxLength: 40 }),
  packetLen: fc.integer({ min: 14, max: 80 }),
});
export type RandomProgram = { init: bigint[]; genes: Gene[]; packetLen: number };

const INTERESTING = [0, 1, -1, 2, 7, 0x7fff_ffff, -0x8000_0000, 0xff, 0xffff, 32, 63, 64, 31];
/** Registers random ALU may write: r6 (packet), r7 (map value), r9 (loop counter) stay intact. */
const ALU_REGS = [0, 1, 2, 3, 4, 5, 8];
const KINDS = [
  'alu', 'alu', 'alu', 'alu', 'alu', 'alu', 'alu', 'alu', 'alu', 'alu', 'alu', 'alu',
  'div', 'div', 'div', 'end', 'movsx', 'neg', 'lddw',
  'jmp', 'jmp', 'jmp', 'jmp', 'jmp', 'jmp', 'ja',
  'loop', 'loop', 'loop',
  'stack', 'stack', 'stack', 'stack', 'stackptr', 'pkt', 'pkt', 'pkt', 'map', 'map',
  'atomic', 'atomic', 'atomic', 'call', 'call',
] as const;

function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length]!;
}

function imm(n: number): number {
  return n % 3 === 0 ? pick(INTERESTING, n >>> 2) : n | 0;
}

const I = (opcode: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ opcode, dst, src, off, imm });

/** Builds the program's instructions: prologue, genes, `exit`. Jumps are resolved to gene starts. */
export function buildProgram(p: RandomProgram): Insn[] {
  const out: Insn[] = [];
  const regs = [0, 1, 2, 3, 4, 5, 8];
  out.push(I(0xbf, 6, 1)); // r6 = packet data (r1)
  out.push(I(0x18, 7, 6, 0, 0), I(0, 0, 0, 0, 0)); // r7 = &map[0] value
  p.init.forEach((v, i) => {
    out.push(I(0x18, regs[i]!, 0, 0, Number(BigInt.asIntN(32, v))), I(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))));
  });
  out.push(I(0xb7, 9, 0, 0, 3));
  const starts: number[] = [];
  const fixups: { at: number; gene: number; field: 'off' | 'imm' }[] = [];
  const loopEnds: { end: number; head: number }[] = [];
  let inLoop = -1;
  p.genes.forEach((g, gi) => {
    // Close a loop whose body ends before this gene.
    while (loopEnds.length > 0 && loopEnds[loopEnds.length - 1]!.end === gi) {
      const l = loopEnds.pop()!;
      out.push(I(0x17, 9, 0, 0, 1)); // r9 -= 1
      out.push(I(0x55, 9, 0, l.head - (out.length + 1), 0)); // if r9 != 0 goto head
      inLoop = -1;
    }
    starts[gi] = out.length;
    const [k, a, b, c, d] = g;
    const kind = pick(KINDS, k);
    const dst = pick(ALU_REGS, a);
    const src = b % 11 === 10 ? 10 : b % 10;
    switch (kind) {
      case 'alu': {
        const op = pick([0x00, 0x10, 0x20, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0], c);
        const cls = d & 1 ? 0x07 : 0x04;
        if (d & 2) out.push(I(cls | 0x08 | op, dst, src));
        else out.push(I(cls | op, dst, 0, 0, imm(b)));
        break;
      }
      case 'div': {
        const op = c & 1 ? 0x30 : 0x90;
        const cls = d & 1 ? 0x07 : 0x04;
        const off = d & 4 ? 1 : 0;
        if (d & 2) out.push(I(cls | 0x08 | op, dst, src, off));
        else out.push(I(cls | op, dst, 0, off, imm(b)));
        break;
      }
      case 'end': {
        const width = pick([16, 32, 64], c);
        const opcode = pick([0xd4, 0xdc, 0xd7], d);
        out.push(I(opcode, dst, 0, 0, width));
        break;
      }
      case 'movsx': {
        const cls = d & 1 ? 0x07 : 0x04;
        const off = pick(cls === 0x07 ? [8, 16, 32] : [8, 16], c);
        out.push(I(cls | 0x08 | 0xb0, dst, src, off));
        break;
      }
      case 'neg':
        out.push(I(d & 1 ? 0x87 : 0x84, dst));
        break;
      case 'lddw':
        out.push(I(0x18, dst, 0, 0, imm(b)), I(0, 0, 0, 0, imm(c)));
        break;
      case 'jmp':
      case 'ja': {
        const cls = d & 1 ? 0x06 : 0x05;
        const op = kind === 'ja' ? 0x00 : pick([0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0], c);
        const target = gi + 1 + (a % 6);
        if (kind === 'ja') out.push(I(0x05));
        else if (d & 2) out.push(I(cls | 0x08 | op, pick(ALU_REGS.concat([9]), b), src));
        else out.push(I(cls | op, pick(ALU_REGS.concat([9]), b), 0, 0, imm(c >>> 3)));
        fixups.push({ at: out.length - 1, gene: target, field: 'off' });
        break;
      }
      case 'loop': {
        if (inLoop >= 0) break;
        const len = 1 + (a % 5);
        if (gi + len > p.genes.length) break;
        out.push(I(0xb7, 9, 0, 0, 1 + (b % 4)));
        inLoop = gi;
        loopEnds.push({ end: gi + 1 + len > p.genes.length ? p.genes.length : gi + 1 + len, head: out.length });
        break;
      }
      case 'stack':
      case 'stackptr':
      case 'pkt':
      case 'map': {
        const size = pick([1, 2, 4, 8], c);
        const sizeBits = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 }[size]!;
        let base = 10;
        let off: number;
        if (kind === 'stack' || kind === 'stackptr') {
          off = -size - (b % (512 - size + 1));
          if (kind === 'stackptr') {
            out.push(I(0xbf, 8, 10));
            base = 8;
          }
        } else if (kind === 'pkt') {
          base = 6;
          const rare = d % 29 === 0;
          off = rare ? p.packetLen - size + 1 + (b % 8) : b % Math.max(1, p.packetLen - size + 1);
        } else {
          base = 7;
          off = d % 31 === 0 ? 64 - size + 1 : b % (64 - size + 1);
        }
        const form = d % 4;
        if (form === 0) out.push(I(0x01 | 0x60 | sizeBits, dst, base, off));
        else if (form === 1 && size !== 8) out.push(I(0x01 | 0x80 | sizeBits, dst, base, off));
        else if (form === 2) out.push(I(0x02 | 0x60 | sizeBits, base, 0, off, imm(a)));
        else out.push(I(0x03 | 0x60 | sizeBits, base, pick(ALU_REGS, a), off));
        break;
      }
      case 'atomic': {
        const size = d & 1 ? 8 : 4;
        const base = d & 2 ? 7 : 10;
        const off = base === 10 ? -size - 8 * (b % 60) : 8 * (b % 7);
        const op = pick([0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1], c);
        out.push(I(0x03 | 0xc0 | (size === 8 ? 0x18 : 0x00), base, pick(ALU_REGS, a), off, op));
        break;
      }
      case 'call':
        out.push(I(0x85, 0, 0, 0, a & 1 ? 1 : 2));
        break;
    }
  });
  while (loopEnds.length > 0) {
    const l = loopEnds.pop()!;
    out.push(I(0x17, 9, 0, 0, 1));
    out.push(I(0x55, 9, 0, l.head - (out.length + 1), 0));
  }
  starts[p.genes.length] = out.length;
  out.push(I(0x95));
  for (const f of fixups) {
    const target = starts[Math.min(f.gene, p.genes.length)]!;
    out[f.at] = { ...out[f.at]!, off: target - (f.at + 1) };
  }
  return out;
}

/** What a run left: r0 or the fault, and the bytes of packet, stack and map value. */
export interface Outcome {
  result: string;
  packet: string;
  stack: string;
  map: string;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A machine with one 64-byte array map and the two fake helpers the genes call. */
export class DiffMachine extends TestMachine {
  readonly map: TestArrayMap;
  constructor() {
    super();
    this.map = new TestArrayMap(mapSpec({ name: 'vals', valueSize: 64, maxEntries: 1 }), this.mem);
    this.maps.push(this.map);
    // helper 1: a pure mix of its arguments; helper 2: a counter in the map value, returns the old value.
    this.helper(1, (_env, r1, r2, r3, r4, r5) => BigInt.asUintN(64, r1 * 3n + (r2 ^ r5) - (r3 << 7n) + r4));
    this.helper(2, (env: RunEnv, r1) => {
      const v = env.mem.view;
      const old = v.getBigUint64(this.map.base + 56, true);
      v.setBigUint64(this.map.base + 56, BigInt.asUintN(64, old + r1), true);
      return old;
    });
  }
}

/** Runs `p` on `engine` from a fixed initial state and returns what it left. */
export function runOutcome(m: DiffMachine, engine: Engine, insns: Insn[], packetLen: number): Outcome {
  const u8 = m.mem.u8;
  u8.fill(0xa5, LAYOUT.STACK, STACK_END);
  u8.fill(0, m.map.base, m.map.base + 64);
  const pkt = new Uint8Array(packetLen).map((_, i) => (i * 37 + 11) & 0xff);
  const data = m.packet(pkt);
  let result: string;
  try {
    const exe = engine.prepare(program(insns), m);
    result = `r0=${exe.run(m.env(20_000), data).toString(16)}`;
  } catch (err) {
    if (!(err instanceof VmFault)) throw err;
    // Budget faults agree on the code; the pc depends on where each engine counts.
    result = err.code === 'vm/budget-exceeded' ? err.code : `${err.code}@${err.pc}`;
  }
  return {
    result,
    packet: hex(m.mem.u8.slice(data, data + packetLen)),
    stack: hex(m.mem.u8.slice(LAYOUT.STACK, STACK_END)),
    map: hex(m.mem.u8.slice(m.map.base, m.map.base + 64)),
  };
}
