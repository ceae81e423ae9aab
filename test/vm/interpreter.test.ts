import { describe, expect, it } from 'vitest';
import { IsaError, LoadError, SimError, VmFault } from '../../src/internal/errors.js';
import { assemble } from '../../src/isa/asm.js';
import { BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE } from '../../src/uapi/bpf.js';
import { ENGINE_NAMES, getEngine } from '../../src/vm/engines.js';
import { decodeProgram } from '../../src/vm/interp/decode.js';
import { InterpExecutable, Interpreter } from '../../src/vm/interpreter.js';
import { STACK_END, funcHandle, funcPcOf, mapHandle, mapIndexOf } from '../../src/vm/layout.js';
import { engines } from './engines.js';
import { TestArrayMap, TestMachine, insn, mapSpec, program } from './harness.js';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, none was thrown');
}

describe('vm', () => {
  describe.each(engines)('$name engine: budget', ({ engine }) => {
    it('stops an endless loop with vm/budget-exceeded', () => {
      const m = new TestMachine();
      const env = m.env(10_000);
      const err = caught(() => engine.prepare(program('mov %r0, 0\nl:\nadd %r0, 1\nja l'), m).run(env, 0));
      expect(err).toBeInstanceOf(VmFault);
      expect((err as VmFault).code).toBe('vm/budget-exceeded');
      expect(env.budget).toBe(0);
    });

    // pcs executed: 0, then 1, 2, 3 per iteration.
    const LOOP = 'mov %r0, 0\nl:\nadd %r0, 1\nmov %r1, %r0\nja l';
    it.each([0, 1, 2, 3, 4, 5, 6, 7, 100, 1001])('names the first instruction a budget of %i cannot pay for', (budget) => {
      const m = new TestMachine();
      const err = caught(() => engine.prepare(program(LOOP), m).run(m.env(budget), 0)) as VmFault;
      expect(err.code).toBe('vm/budget-exceeded');
      expect(err.pc).toBe(budget === 0 ? 0 : ((budget - 1) % 3) + 1);
      expect(err.message).toBe(`insn ${err.pc}: instruction budget of ${budget} exhausted`);
    });

    it('runs what the budget pays for before faulting, stores and faults included', () => {
      // stw [r10-4], 7; r1 = 0; r0 = *(u32 *)(r1 + 0); exit: one straight-line block.
      const src = program('stw [%r10-4], 7\nmov %r1, 0\nldxw %r0, [%r1+0]\nexit');
      for (const [budget, code, pc] of [
        [1, 'vm/budget-exceeded', 1],
        [2, 'vm/budget-exceeded', 2],
        [3, 'vm/out-of-bounds', 2],
      ] as const) {
        const m = new TestMachine();
        m.mem.view.setUint32(STACK_END - 4, 0, true);
        const err = caught(() => engine.prepare(src, m).run(m.env(budget), 0)) as VmFault;
        expect([err.code, err.pc]).toEqual([code, pc]);
        expect(m.mem.view.getUint32(STACK_END - 4, true)).toBe(7);
      }
    });

    it('counts lddw once and names the instruction after it', () => {
      const m = new TestMachine();
      const err = caught(() => engine.prepare(program('lddw %r1, 0x100000000\nmov %r0, 1\nexit'), m).run(m.env(1), 0)) as VmFault;
      expect([err.code, err.pc]).toEqual(['vm/budget-exceeded', 2]);
    });

    it('runs a program that fits its budget exactly', () => {
      const m = new TestMachine();
      const exe = engine.prepare(program('mov %r0, 1\nmov %r1, 2\nexit'), m);
      expect(exe.run(m.env(3), 0)).toBe(1n);
      const err = caught(() => exe.run(m.env(2), 0));
      expect((err as VmFault).code).toBe('vm/budget-exceeded');
    });
  });

  describe.each(engines)('$name engine: lddw pseudo sources', ({ engine }) => {
    it('loads a map handle for BPF_PSEUDO_MAP_IDX', () => {
      const m = new TestMachine();
      m.maps.push(new TestArrayMap(mapSpec({ name: 'a' }), m.mem), new TestArrayMap(mapSpec({ name: 'b' }), m.mem));
      const r0 = m.run(engine, program([insn(0x18, 0, BPF_PSEUDO_MAP_IDX, 0, 1), insn(0), insn(0x95)]));
      expect(r0).toBe(BigInt(mapHandle(1)));
    });

    it('loads the address of value 0 plus the offset for BPF_PSEUDO_MAP_IDX_VALUE', () => {
      const m = new TestMachine();
      const data = new TestArrayMap(mapSpec({ name: '.data', valueSize: 16, maxEntries: 1 }), m.mem);
      m.maps.push(data);
      m.mem.view.setUint32(data.base + 4, 0xbeef, true);
      const prog = [insn(0x18, 1, BPF_PSEUDO_MAP_IDX_VALUE, 0, 0), insn(0, 0, 0, 0, 4), ...assemble('ldxw %r0, [%r1+0]\nexit')];
      expect(m.run(engine, program(prog))).toBe(0xbeefn);
    });

    it('loads a function handle for BPF_PSEUDO_FUNC', () => {
      const m = new TestMachine();
      // The target is relative to the lddw's first slot plus one, as for calls: 0 + 2 + 1 = 3.
      const prog = [insn(0x18, 0, BPF_PSEUDO_FUNC, 0, 2), insn(0), insn(0x95), insn(0xb7, 0, 0, 0, 1), insn(0x95)];
      expect(m.run(engine, program(prog))).toBe(BigInt(funcHandle(3)));
    });

    it.each([
      { name: 'a map index out of range', prog: [insn(0x18, 0, BPF_PSEUDO_MAP_IDX, 0, 3), insn(0), insn(0x95)], code: 'vm/bad-map-index' },
      { name: 'a map value offset past the value', prog: [insn(0x18, 0, BPF_PSEUDO_MAP_IDX_VALUE, 0, 0), insn(0, 0, 0, 0, 8), insn(0x95)], code: 'vm/bad-map-value' },
      { name: 'a map fd pseudo source', prog: [insn(0x18, 0, BPF_PSEUDO_MAP_FD, 0, 0), insn(0), insn(0x95)], code: 'vm/unsupported-pseudo' },
    ])('refuses $name at prepare', ({ prog, code }) => {
      const m = new TestMachine();
      m.maps.push(new TestArrayMap(mapSpec({ name: 'a', valueSize: 8 }), m.mem));
      const err = caught(() => engine.prepare(program(prog), m));
      expect(err).toBeInstanceOf(LoadError);
      expect((err as LoadError).code).toBe(code);
    });

    it('refuses an invalid instruction at prepare', () => {
      const err = caught(() => engine.prepare(program([insn(0xff), insn(0x95)]), new TestMachine()));
      expect(err).toBeInstanceOf(IsaError);
      expect((err as IsaError).code).toBe('isa/unknown-opcode');
    });
  });

  describe('interpreter', () => {
    it('reports every executed instruction to the trace hook with the registers after it', () => {
      const m = new TestMachine();
      const seen: [number, number, bigint][] = [];
      const exe = new Interpreter().prepare(program('mov %r0, 1\nja +1\nmov %r0, 2\nadd %r0, 3\nexit'), m, {
        trace: (pc, i, regs) => seen.push([pc, i.opcode, regs[0]!]),
      });
      expect(exe.run(m.env(), 0)).toBe(4n);
      expect(seen).toEqual([
        [0, 0xb7, 1n],
        [1, 0x05, 1n],
        [3, 0x07, 4n],
        [4, 0x95, 4n],
      ]);
    });

    it('leaves a may_goto loop after BPF_MAX_LOOPS iterations', () => {
      // r0 = 0; loop: may_goto out; r0 += 1; goto loop; out: exit. The ISA validator does not
      // know may_goto yet, so this decodes directly.
      const m = new TestMachine();
      const spec = program([insn(0xb7, 0, 0, 0, 0), insn(0xe5, 0, 0, 2), insn(0x07, 0, 0, 0, 1), insn(0x05, 0, 0, -3), insn(0x95)]);
      const exe = new InterpExecutable(spec, decodeProgram(spec, m), {});
      expect(exe.run(m.env(30_000_000), 0)).toBe(8_388_608n);
    });

    it('names the tail-called program in a fault message', () => {
      const m = new TestMachine();
      const interp = new Interpreter();
      const progs = { spec: mapSpec({ name: 'jt', type: 3 }), programAt: () => 0 };
      m.maps.push(progs as never);
      m.programs[0] = interp.prepare(program('mov %r1, 0\nldxb %r0, [%r1+0]\nexit', 'bad'), m);
      const main = [insn(0x18, 2, BPF_PSEUDO_MAP_IDX, 0, 0), insn(0), ...assemble('mov %r3, 0\ncall 12\nexit')];
      const err = caught(() => interp.prepare(program(main), m).run(m.env(), 0)) as VmFault;
      expect([err.code, err.pc]).toEqual(['vm/out-of-bounds', 1]);
      expect(err.message).toContain("'bad'");
    });
  });

  describe('engines', () => {
    it('builds the interpreter by name', () => {
      expect(getEngine('interp').name).toBe('interp');
      expect(getEngine('interp')).toBe(getEngine('interp'));
    });

    it('names both engines', () => {
      expect(ENGINE_NAMES).toEqual(['interp', 'wasm']);
    });

    it('refuses an unknown engine name', () => {
      const err = caught(() => getEngine('jit' as never));
      expect(err).toBeInstanceOf(SimError);
      expect((err as SimError).code).toBe('vm/unknown-engine');
    });

    it('builds the WebAssembly engine by name', () => {
      expect(getEngine('wasm').name).toBe('wasm');
      expect(getEngine('wasm')).toBe(getEngine('wasm'));
    });
  });

  describe('layout handles', () => {
    it('round-trips map and function handles without confusing them', () => {
      for (const i of [0, 1, 255, 256, 4096]) {
        expect(mapIndexOf(mapHandle(i))).toBe(i);
        expect(funcPcOf(funcHandle(i))).toBe(i);
        expect(mapIndexOf(funcHandle(i))).toBe(-1);
        expect(funcPcOf(mapHandle(i))).toBe(-1);
      }
    });
  });
});
