import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VmFault } from '../../src/internal/errors.js';
import { assemble } from '../../src/isa/asm.js';
import type { Insn } from '../../src/isa/insn.js';
import type { ProvenAccess, ProvenAccesses } from '../../src/vm/env.js';
import { getEngine } from '../../src/vm/engines.js';
import { LAYOUT } from '../../src/vm/layout.js';
import { DiffMachine, buildProgram, programArb, runOutcome } from './differential-program.js';
import { TestArrayMap, TestMachine, mapSpec, program } from './harness.js';

const interp = getEngine('interp');
const wasm = getEngine('wasm');

/** `facts` at the given pcs, null elsewhere, for a program of `length` instructions. */
function proven(length: number, facts: Record<number, ProvenAccess>): ProvenAccesses {
  return { accesses: Array.from({ length }, (_, pc) => facts[pc] ?? null) };
}

/** r0 of a run, or the fault as `code@pc`. */
function outcome(run: () => bigint): string {
  try {
    return `r0=${run()}`;
  } catch (err) {
    if (err instanceof VmFault) return `${err.code}@${err.pc}`;
    throw err;
  }
}

describe('vm', () => {
  describe('wasm engine: checks the verifier proved', () => {
    // A packet of 20 bytes; the program reads 4 bytes at r1 + 100, past its end.
    const packetRead = assemble('ldxw %r0, [%r1+100]\nexit');
    const run = (insns: Insn[], facts: ProvenAccesses | undefined, setup: (m: TestMachine) => number, engine = wasm): string => {
      const m = new TestMachine();
      const r1 = setup(m);
      return outcome(() => m.run(engine, program(insns), r1));
    };
    const packet = (m: TestMachine) => m.packet(new Uint8Array(20).fill(7));

    it('faults on an access outside every region when nothing is proven of it', () => {
      expect(run(packetRead, undefined, packet)).toBe('vm/out-of-bounds@0');
      expect(run(packetRead, proven(2, {}), packet)).toBe('vm/out-of-bounds@0');
    });

    it('drops the check of an access proven in the packet, the stack or a map value', () => {
      // The facts here are false on purpose: only a dropped check lets the read past the packet through.
      for (const region of ['packet', 'packet_meta', 'stack', 'map_value']) {
        const m = new TestMachine();
        const r1 = packet(m);
        const exe = wasm.prepare(program(packetRead), m, { proven: proven(2, { 0: { region, size: 4, offMin: 100, offMax: 100 } }) });
        expect(outcome(() => exe.run(m.env(), r1))).toBe('r0=0');
      }
    });

    it('keeps the check of a ringbuf record, a map key, or a fact of another size', () => {
      for (const fact of [
        { region: 'mem', size: 4, offMin: 100, offMax: 100 },
        { region: 'map_key', size: 4, offMin: 100, offMax: 100 },
        { region: 'packet', size: 2, offMin: 100, offMax: 100 },
      ]) {
        const m = new TestMachine();
        const r1 = packet(m);
        const exe = wasm.prepare(program(packetRead), m, { proven: proven(2, { 0: fact }) });
        expect(outcome(() => exe.run(m.env(), r1))).toBe('vm/out-of-bounds@0');
      }
    });

    it('tests only the rule of a proven context field, and faults as the full check does', () => {
      // xdp_md: data (off 0) is readable, not writable; ingress_ifindex (off 12) is readable.
      const m = new TestMachine();
      m.mem.ctxSize = 24;
      m.mem.ctxRule = (off, size, write) => !write && size === 4 && off % 4 === 0 && off + size <= 24;
      const ctx = (insns: Insn[], off: number, size: number, engine = wasm) => {
        const facts = proven(insns.length, { 0: { region: 'ctx', size, offMin: off, offMax: off } });
        return outcome(() => engine.prepare(program(insns), m, { proven: facts }).run(m.env(), LAYOUT.CTX));
      };
      m.mem.view.setUint32(LAYOUT.CTX + 12, 5, true);
      const read = assemble('ldxw %r0, [%r1+12]\nexit');
      expect(ctx(read, 12, 4)).toBe('r0=5');
      const write = assemble('stw [%r1+0], 1\nmov %r0, 0\nexit');
      expect(ctx(write, 0, 4)).toBe(ctx(write, 0, 4, interp));
      expect(ctx(write, 0, 4)).toBe('vm/ctx-write@0');
      const narrow = assemble('ldxb %r0, [%r1+12]\nexit');
      expect(ctx(narrow, 12, 1)).toBe(ctx(narrow, 12, 1, interp));
      expect(ctx(narrow, 12, 1)).toMatch(/^vm\/.*@0$/);
    });

    it('reads and writes where the proven access lands, negative offsets and atomics included', () => {
      const src = assemble(`
        mov %r2, %r10
        stdw [%r2-8], 40
        lddw %r3, 0x100000000
        ldxdw %r4, [%r2-8]
        add %r4, 2
        stxdw [%r1+8], %r4
        mov %r5, 3
        lock add [%r1+8], %r5
        ldxdw %r0, [%r1+8]
        exit`);
      const m = new TestMachine();
      const map = new TestArrayMap(mapSpec({ name: 'v', valueSize: 16, maxEntries: 1 }), m.mem);
      m.maps.push(map);
      const stack = (size: number, off: number): ProvenAccess => ({ region: 'stack', size, offMin: off, offMax: off });
      const value = (size: number, off: number): ProvenAccess => ({ region: 'map_value', size, offMin: off, offMax: off });
      const facts = proven(src.length, { 1: stack(8, -8), 4: stack(8, -8), 6: value(8, 8), 8: value(8, 8), 9: value(8, 8) });
      expect(outcome(() => wasm.prepare(program(src), m, { proven: facts }).run(m.env(), map.base))).toBe('r0=45');
    });

    it('leaves what the interpreter leaves on random programs whose accesses are all proven', () => {
      // Facts from a run of the interpreter: a program none of whose accesses faulted has each
      // access's region for every path it took; its wasm run with those facts must agree.
      const m = new DiffMachine();
      let compared = 0;
      fc.assert(
        fc.property(programArb, (p) => {
          const insns = buildProgram(p);
          const want = runOutcome(m, interp, insns, p.packetLen);
          if (!want.result.startsWith('r0=')) return;
          compared++;
          const facts = regionsOf(insns);
          const exe = (): string => {
            const prepared = { prepare: (spec: Parameters<typeof wasm.prepare>[0], machine: Parameters<typeof wasm.prepare>[1]) => wasm.prepare(spec, machine, { proven: facts }) };
            return JSON.stringify(runOutcome(m, prepared as typeof wasm, insns, p.packetLen));
          };
          expect(exe()).toBe(JSON.stringify(want));
        }),
        { numRuns: 500 },
      );
      expect(compared).toBeGreaterThan(200);
    });

    it('faults on the same instruction as the interpreter when the budget runs out in a loop-free function', () => {
      const m = new DiffMachine();
      let exhausted = 0;
      fc.assert(
        fc.property(programArb, fc.integer({ min: 0, max: 120 }), (p, budget) => {
          const insns = buildProgram(p);
          // Loop-free: every jump goes forward.
          if (insns.some((insn, pc) => (insn.opcode & 7) === 5 && insn.opcode !== 0x85 && insn.opcode !== 0x95 && pc + insn.off + 1 <= pc)) return;
          const pcOf = (engine: typeof wasm) => {
            try {
              engine.prepare(program(insns), m).run(m.env(budget), m.packet(new Uint8Array(p.packetLen)));
              return 'done';
            } catch (err) {
              if (!(err instanceof VmFault)) throw err;
              return `${err.code}@${err.pc}`;
            }
          };
          const want = pcOf(interp);
          if (want.startsWith('vm/budget-exceeded')) exhausted++;
          expect(pcOf(wasm)).toBe(want);
        }),
        { numRuns: 500 },
      );
      expect(exhausted).toBeGreaterThan(50);
    });

    it('runs a function whose jumps go back to a shared exit block', () => {
      const src = `
        mov %r0, 0
        ja start
      out:
        add %r0, 100
        exit
      start:
        jeq %r1, 1, out
        add %r0, 1
        jeq %r1, 2, out
        add %r0, 2
        jeq %r1, 3, out
        exit`;
      for (const r1 of [0, 1, 2, 3]) {
        const m = new TestMachine();
        expect(outcome(() => m.run(wasm, src, r1))).toBe(outcome(() => m.run(interp, src, r1)));
      }
    });
  });
});

/**
 * What a verifier would prove of `insns` as the differential generator builds them: r10-based
 * accesses lie on the stack, r6-based in the packet, r7-based in the map value (the generator
 * never writes those registers). Only used on programs that ran without a fault.
 */
function regionsOf(insns: Insn[]): ProvenAccesses {
  const region: Record<number, string> = { 10: 'stack', 8: 'stack', 6: 'packet', 7: 'map_value' };
  const sizes: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
  return {
    accesses: insns.map((insn, pc) => {
      const cls = insn.opcode & 7;
      if (cls !== 1 && cls !== 2 && cls !== 3) return null;
      if (pc > 0 && insns[pc - 1]!.opcode === 0x18) return null;
      const base = cls === 1 ? insn.src : insn.dst;
      // r8 is only a stack pointer right after `mov r8, r10`.
      if (base === 8 && !(pc > 0 && insns[pc - 1]!.opcode === 0xbf && insns[pc - 1]!.dst === 8 && insns[pc - 1]!.src === 10)) return null;
      const r = region[base];
      return r === undefined ? null : { region: r, size: sizes[insn.opcode & 0x18]!, offMin: insn.off, offMax: insn.off };
    }),
  };
}
