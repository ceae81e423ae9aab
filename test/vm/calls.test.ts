import { describe, expect, it } from 'vitest';
import { VmFault } from '../../src/internal/errors.js';
import { assemble } from '../../src/isa/asm.js';
import type { Insn } from '../../src/isa/insn.js';
import { BPF_MAP_TYPE, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_IDX, MAX_TAIL_CALL_CNT } from '../../src/uapi/bpf.js';
import { FRAME_SIZE, STACK_END } from '../../src/vm/layout.js';
import { engines } from './engines.js';
import { TestArrayMap, TestMachine, TestProgArray, insn, mapSpec, program } from './harness.js';

function fault(fn: () => unknown): VmFault {
  try {
    fn();
  } catch (err) {
    if (err instanceof VmFault) return err;
    throw err;
  }
  throw new Error('expected a VmFault, the run succeeded');
}

/** `lddw rDst, map[index]` with BPF_PSEUDO_MAP_IDX, as the loader emits it. */
function ldMap(dst: number, index: number): Insn[] {
  return [insn(0x18, dst, BPF_PSEUDO_MAP_IDX, 0, index), insn(0)];
}

/** Assembles `before`, then `lddw r2, map 0`, then `after`. */
function withMap(before: string, after: string): Insn[] {
  return [...(before ? assemble(before) : []), ...ldMap(2, 0), ...assemble(after)];
}

/** A machine whose map 0 is a prog array with `entries` slots. */
function tailMachine(entries = 4): { m: TestMachine; progs: TestProgArray } {
  const m = new TestMachine();
  const progs = new TestProgArray(mapSpec({ name: 'jmp_table', type: BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY, maxEntries: entries }));
  m.maps.push(progs);
  return { m, progs };
}

describe('vm', () => {
  describe.each(engines)('$name engine: helper calls', ({ engine }) => {
    it('passes r1–r5 and takes r0 from a helper', () => {
      const m = new TestMachine();
      const seen: bigint[] = [];
      m.helper(7, (env, ...args) => {
        seen.push(...args, BigInt(env.pc));
        return 0x1_0000_0002n;
      });
      const src = 'lddw %r1, 0xffffffffffffffff\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\ncall 7\nexit';
      expect(m.run(engine, src)).toBe(0x1_0000_0002n);
      expect(seen).toEqual([0xffff_ffff_ffff_ffffn, 2n, 3n, 4n, 5n, 6n]);
    });

    it('keeps a negative helper result as its 64-bit pattern', () => {
      const m = new TestMachine().helper(3, () => -2n);
      expect(m.run(engine, 'call 3\nexit')).toBe(0xffff_ffff_ffff_fffen);
    });

    it('preserves r6–r9 across a helper call', () => {
      const m = new TestMachine().helper(1, () => 0n);
      expect(m.run(engine, 'mov %r6, 6\nmov %r9, 9\ncall 1\nmov %r0, %r6\nadd %r0, %r9\nexit')).toBe(15n);
    });

    it('faults on an unknown helper with the call pc', () => {
      const f = fault(() => new TestMachine().run(engine, 'mov %r0, 0\ncall 1\nexit'));
      expect([f.code, f.pc]).toEqual(['vm/unknown-helper', 1]);
    });

    it('faults on a kfunc call', () => {
      const f = fault(() => new TestMachine().run(engine, 'mov %r0, 0\ncall runtime 7\nexit'));
      expect([f.code, f.pc]).toEqual(['vm/kfunc-unsupported', 1]);
    });

    it('calls a helper by register with callx', () => {
      const m = new TestMachine().helper(5, (_env, r1) => r1 + 1n);
      expect(m.run(engine, 'mov %r1, 41\nmov %r2, 5\ncall %r2\nexit')).toBe(42n);
    });

    it('lets a callback helper call a BPF function in a new frame', () => {
      const m = new TestMachine();
      // A bpf_loop(nr, callback, ctx, flags) lookalike.
      m.helper(181, (env, nr, cb, ctx) => {
        let i = 0n;
        for (; i < nr; i++) if (env.callback!(Number(cb), i, ctx, 0n, 0n, 0n) === 1n) break;
        return i;
      });
      const main = assemble('stdw [%r10-8], 0\nmov %r6, 66\nmov %r1, 5\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 0');
      const rest = assemble(
        'call 181\nldxdw %r0, [%r10-8]\nadd %r0, %r6\nexit\n' +
          'cb:\nmov %r6, 0\nstdw [%r10-8], 1000\nldxdw %r3, [%r2+0]\nadd %r3, %r1\nstxdw [%r2+0], %r3\nmov %r0, 0\nexit',
      );
      // lddw r2, cb: pc 6 + imm 5 + 1 = 12, where cb starts.
      const ldFunc = [insn(0x18, 2, BPF_PSEUDO_FUNC, 0, 5), insn(0)];
      const prog = [...main, ...ldFunc, ...rest];
      expect(m.run(engine, program(prog))).toBe(10n + 66n);
    });
  });

  describe.each(engines)('$name engine: BPF-to-BPF calls', ({ engine }) => {
    it('returns r0 from the callee and preserves r6–r9', () => {
      const src = 'mov %r6, 6\nmov %r7, 7\nmov %r8, 8\nmov %r9, 9\ncall local f\nadd %r0, %r6\nadd %r0, %r7\nadd %r0, %r8\nadd %r0, %r9\nexit\n' +
        'f:\nmov %r6, 0\nmov %r7, 0\nmov %r8, 0\nmov %r9, 0\nmov %r0, 100\nexit';
      expect(new TestMachine().run(engine, src)).toBe(130n);
    });

    it('gives the callee its own 512-byte frame below the caller', () => {
      const src = 'call local f\nexit\nf:\nmov %r0, %r10\nexit';
      expect(new TestMachine().run(engine, src)).toBe(BigInt(STACK_END - FRAME_SIZE));
    });

    it('keeps the caller frame apart from the callee frame', () => {
      const src = 'stdw [%r10-8], 1\ncall local f\nldxdw %r0, [%r10-8]\nexit\nf:\nstdw [%r10-8], 2\nmov %r0, 0\nexit';
      expect(new TestMachine().run(engine, src)).toBe(1n);
    });

    it('lets the callee write the caller frame through a pointer', () => {
      const src = 'stdw [%r10-8], 1\nmov %r1, %r10\nadd %r1, -8\ncall local f\nldxdw %r0, [%r10-8]\nexit\nf:\nstdw [%r1+0], 5\nmov %r0, 0\nexit';
      expect(new TestMachine().run(engine, src)).toBe(5n);
    });

    it('passes arguments in r1–r5', () => {
      const src = 'mov %r1, 1\nmov %r2, 2\nmov %r5, 5\ncall local f\nexit\nf:\nmov %r0, %r1\nadd %r0, %r2\nadd %r0, %r5\nexit';
      expect(new TestMachine().run(engine, src)).toBe(8n);
    });

    it('faults on a dead callee frame after the return', () => {
      // The address is computed from a register, so only the run can tell it is out of the frame.
      const src = 'call local f\nmov %r1, %r10\nmov %r2, -520\nadd %r1, %r2\nldxdw %r0, [%r1+0]\nexit\nf:\nstdw [%r10-8], 2\nmov %r0, 0\nexit';
      const f = fault(() => new TestMachine().run(engine, src));
      expect([f.code, f.pc]).toEqual(['vm/out-of-bounds', 4]);
    });

    /** f(n): n == 0 ? 0 : f(n - 1) + 1, called from the program with n; depth = n + 1 frames. */
    const recursion = (n: number): string =>
      `mov %r1, ${n}\ncall local f\nexit\nf:\nmov %r0, 0\njeq %r1, 0, done\nsub %r1, 1\ncall local f\nadd %r0, 1\ndone:\nexit`;

    it('allows eight frames', () => {
      expect(new TestMachine().run(engine, recursion(6))).toBe(6n);
    });

    it('faults past MAX_CALL_FRAMES with the call pc', () => {
      const f = fault(() => new TestMachine().run(engine, recursion(7)));
      expect([f.code, f.pc]).toEqual(['vm/call-depth', 6]);
    });
  });

  describe.each(engines)('$name engine: tail calls', ({ engine }) => {
    it('replaces the program and never returns', () => {
      const { m, progs } = tailMachine();
      m.programs[1] = engine.prepare(program('mov %r0, 1\nexit', 'target'), m);
      progs.slots.set(0, 1);
      expect(m.run(engine, program(withMap('mov %r0, 5', 'mov %r3, 0\ncall 12\nmov %r0, 99\nexit')))).toBe(1n);
    });

    it('keeps r1 as the context for the new program', () => {
      const { m, progs } = tailMachine();
      m.programs[1] = engine.prepare(program('mov %r0, %r1\nexit', 'target'), m);
      progs.slots.set(2, 1);
      expect(m.run(engine, program(withMap('', 'mov %r3, 2\ncall 12\nexit')), 0x1234)).toBe(0x1234n);
    });

    it('falls through with r0 unchanged and without counting on an empty slot', () => {
      const { m } = tailMachine();
      const env = m.env();
      const exe = engine.prepare(program(withMap('mov %r0, 5', 'mov %r3, 1\ncall 12\nexit')), m);
      expect(exe.run(env, 0)).toBe(5n);
      expect(env.tailCalls).toBe(0);
    });

    it('falls through without counting on an index past max_entries', () => {
      const { m, progs } = tailMachine(2);
      progs.slots.set(2, 0);
      const env = m.env();
      const exe = engine.prepare(program(withMap('mov %r0, 5', 'mov %r3, 2\ncall 12\nexit')), m);
      expect(exe.run(env, 0)).toBe(5n);
      expect(env.tailCalls).toBe(0);
    });

    it('uses the index as a u32', () => {
      const { m, progs } = tailMachine();
      m.programs[1] = engine.prepare(program('mov %r0, 1\nexit', 'target'), m);
      progs.slots.set(0, 1);
      expect(m.run(engine, program(withMap('mov %r0, 5', 'lddw %r3, 0x100000000\ncall 12\nexit')))).toBe(1n);
    });

    it('takes at most MAX_TAIL_CALL_CNT tail calls per run', () => {
      const { m, progs } = tailMachine();
      const counter = new TestArrayMap(mapSpec({ name: 'count', valueSize: 8, maxEntries: 1 }), m.mem);
      const ctx = counter.lookup(new Uint8Array(4));
      // Each run of the program bumps *ctx and tail-calls itself.
      const self = program(withMap('ldxdw %r0, [%r1+0]\nadd %r0, 1\nstxdw [%r1+0], %r0', 'mov %r3, 0\ncall 12\nexit'), 'self');
      const exe = engine.prepare(self, m);
      m.programs[0] = exe;
      progs.slots.set(0, 0);
      const env = m.env();
      expect(exe.run(env, ctx)).toBe(BigInt(MAX_TAIL_CALL_CNT + 1));
      expect(env.tailCalls).toBe(MAX_TAIL_CALL_CNT);
    });

    it('returns to the caller of a subprogram that tail-calls', () => {
      const { m, progs } = tailMachine();
      m.programs[1] = engine.prepare(program('mov %r0, 1\nexit', 'target'), m);
      progs.slots.set(0, 1);
      const prog = [...assemble('mov %r6, 7\ncall local f\nadd %r0, 100\nadd %r0, %r6\nexit\nf:\nmov %r6, 0'), ...ldMap(2, 0), ...assemble('mov %r3, 0\ncall 12\nmov %r0, 99\nexit')];
      expect(m.run(engine, program(prog))).toBe(108n);
    });

    it('faults when r2 is not a prog array', () => {
      const m = new TestMachine();
      m.maps.push(new TestArrayMap(mapSpec({ name: 'arr' }), m.mem));
      const f = fault(() => m.run(engine, program(withMap('', 'mov %r3, 0\ncall 12\nexit'))));
      expect([f.code, f.pc]).toEqual(['vm/bad-tail-call', 3]);
    });
  });
});
