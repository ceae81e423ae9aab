import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VmFault } from '../../src/internal/errors.js';
import { assemble } from '../../src/isa/asm.js';
import type { Insn } from '../../src/isa/insn.js';
import { getEngine } from '../../src/vm/engines.js';
import { basicBlocks, plan } from '../../src/vm/wasm/cfg.js';
import { ByteSink } from '../../src/vm/wasm/encoder.js';
import { WasmEngine } from '../../src/vm/wasm/engine.js';
import { TestMachine, insn, lddw, program } from './harness.js';

const interp = getEngine('interp');
const wasm = getEngine('wasm');

/** The plan the compiler picks for the function at pc 0 of `insns`. */
function planOf(insns: Insn[]): string {
  const blocks = basicBlocks(insns, 0, insns.length);
  const index = new Map(blocks.map((b, i) => [b.start, i]));
  const edges: [number, number][] = [];
  blocks.forEach((b, i) => {
    const last = insns[b.end - 1]!;
    const cls = last.opcode & 7;
    if ((cls === 5 || cls === 6) && (last.opcode & 0xf0) !== 0x80 && (last.opcode & 0xf0) !== 0x90) {
      edges.push([i, index.get(b.end + last.off)!]);
    }
  });
  return plan(blocks.length, edges).kind;
}

function both(code: string | Insn[], r1 = 0): [bigint | string, bigint | string] {
  const run = (engine: typeof wasm): bigint | string => {
    try {
      return new TestMachine().run(engine, code, r1);
    } catch (err) {
      if (err instanceof VmFault) return `${err.code}@${err.pc}`;
      throw err;
    }
  };
  return [run(interp), run(wasm)];
}

/** Decodes signed LEB128, the reference for the encoder. */
function readSleb(bytes: Uint8Array): bigint {
  let result = 0n;
  let shift = 0n;
  let i = 0;
  let b: number;
  do {
    b = bytes[i++]!;
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  } while (b & 0x80);
  if (b & 0x40) result -= 1n << shift;
  return result;
}

describe('vm', () => {
  describe('wasm encoder', () => {
    it('encodes signed LEB128 that decodes to the same 64-bit value', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
          expect(readSleb(new ByteSink().s64(v).finish())).toBe(v);
        }),
      );
    });

    it.each([
      { name: 'zero', have: 0, want: [0x00] },
      { name: '127 needs two bytes', have: 127, want: [0xff, 0x00] },
      { name: 'minus one', have: -1, want: [0x7f] },
      { name: 'minus 128', have: -128, want: [0x80, 0x7f] },
    ])('encodes $name as signed LEB128', ({ have, want }) => {
      expect([...new ByteSink().s32(have).finish()]).toEqual(want);
    });
  });

  describe('wasm engine: control flow', () => {
    // Two entries into one loop: the jump at 1 lands in the middle of the loop at 3..6.
    const irreducible = `
      mov %r0, 0
      jeq %r1, 0, mid
      mov %r2, 3
    head:
      add %r0, 1
    mid:
      add %r0, 10
      sub %r2, 1
      jsgt %r2, 0, head
      exit`;

    it('lays out a graph with a two-entry loop with the dispatch fallback', () => {
      expect(planOf(assemble(irreducible))).toBe('dispatch');
    });

    it('lays out nested loops and forward jumps as structured blocks', () => {
      const src = `
        mov %r0, 0
        mov %r1, 3
      outer:
        mov %r2, 4
      inner:
        jset %r2, 1, skip
        add %r0, 1
      skip:
        sub %r2, 1
        jne %r2, 0, inner
        sub %r1, 1
        jne %r1, 0, outer
        exit`;
      expect(planOf(assemble(src))).toBe('structured');
      const [want, have] = both(src);
      expect(have).toBe(want);
      expect(have).toBe(6n);
    });

    it.each([
      { name: 'entering the loop at its head', have: 1, want: 33n },
      { name: 'entering the loop in the middle', have: 0, want: 10n },
    ])('runs an irreducible graph $name as the interpreter does', ({ have, want }) => {
      const [i, w] = both(irreducible, have);
      expect(w).toBe(i);
      expect(w).toBe(want);
    });

    it('runs 600 nested forward branches', () => {
      const lines = ['mov %r0, 0'];
      for (let i = 0; i < 600; i++) lines.push(`jeq %r0, ${i + 1}, +${600 - i}`, `add %r0, ${i % 3}`);
      lines.push('mov %r0, 5', 'exit');
      const [i, w] = both(lines.join('\n'));
      expect(w).toBe(i);
    });

    it('stops a loop that never ends with the budget fault', () => {
      const [i, w] = both('mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit');
      expect(i).toBe('vm/budget-exceeded@2');
      expect(String(w)).toMatch(/^vm\/budget-exceeded@/);
    });
  });

  describe('wasm engine: division edge cases', () => {
    const INT64_MIN = 1n << 63n;
    const M64 = (1n << 64n) - 1n;
    it.each([
      { name: 'div64 by zero', have: [insn(0x3f, 1, 2)], a: 9n, b: 0n, want: 0n },
      { name: 'mod64 by zero', have: [insn(0x9f, 1, 2)], a: 9n, b: 0n, want: 9n },
      { name: 'sdiv64 INT_MIN by -1', have: [insn(0x3f, 1, 2, 1)], a: INT64_MIN, b: M64, want: INT64_MIN },
      { name: 'smod64 INT_MIN by -1', have: [insn(0x9f, 1, 2, 1)], a: INT64_MIN, b: M64, want: 0n },
      { name: 'sdiv64 by imm zero', have: [insn(0x37, 1, 0, 1, 0)], a: 9n, b: 0n, want: 0n },
      { name: 'smod64 by imm -1', have: [insn(0x97, 1, 0, 1, -1)], a: INT64_MIN, b: 0n, want: 0n },
      { name: 'sdiv32 INT_MIN by -1', have: [insn(0x3c, 1, 2, 1)], a: 0x8000_0000n, b: M64, want: 0x8000_0000n },
      { name: 'smod32 INT_MIN by -1', have: [insn(0x9c, 1, 2, 1)], a: 0x8000_0000n, b: M64, want: 0n },
      { name: 'mod32 by zero truncates', have: [insn(0x9c, 1, 2)], a: 0x1_0000_0005n, b: 0x1_0000_0000n, want: 5n },
      { name: 'smod32 by imm zero truncates', have: [insn(0x94, 1, 0, 1, 0)], a: M64, b: 0n, want: 0xffff_ffffn },
      { name: 'div32 by imm -1', have: [insn(0x34, 1, 0, 0, -1)], a: 0xffff_ffffn, b: 0n, want: 1n },
    ])('gives BPF results for $name where WebAssembly would trap', ({ have, a, b, want }) => {
      const code = [...lddw(1, a), ...lddw(2, b), ...have, insn(0xbf, 0, 1), insn(0x95)];
      const [i, w] = both(code);
      expect(w).toBe(want);
      expect(i).toBe(want);
    });
  });

  describe('wasm engine: memory', () => {
    it('faults on an address above 4 GiB with the access pc', () => {
      const src = 'lddw %r1, 0x100002000\nldxb %r0, [%r1+0]\nexit';
      const [i, w] = both(src);
      expect(w).toBe(i);
      expect(w).toBe('vm/out-of-bounds@2');
    });

    it('faults on a read one byte past the packet', () => {
      const m = new TestMachine();
      const data = m.packet(new Uint8Array(20));
      const exe = wasm.prepare(program('ldxh %r0, [%r1+19]\nexit'), m);
      expect(() => exe.run(m.env(), data)).toThrowError(VmFault);
      const exe2 = wasm.prepare(program('ldxh %r0, [%r1+18]\nexit'), m);
      expect(exe2.run(m.env(), data)).toBe(0n);
    });
  });

  describe('wasm engine: compilation', () => {
    it('compiles a program once and reuses the module', () => {
      const engine = new WasmEngine();
      const spec = program('mov %r0, 7\nexit');
      const m = new TestMachine();
      const a = engine.prepare(spec, m);
      const b = engine.prepare(spec, new TestMachine());
      expect(a.compiled).toBe(b.compiled);
      expect(b.run(m.env(), 0)).toBe(7n);
    });
  });
});
