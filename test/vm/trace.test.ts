import { describe, expect, it } from 'vitest';
import type { SourceLine } from '../../src/loader/spec.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { type ExecTrace, formatTrace, type TraceLine, TraceRecorder } from '../../src/vm/trace.js';
import { TestMachine, program } from './harness.js';

function line(pc: number, n: number, text: string): SourceLine {
  return { pc, file: '/src/t.c', line: n, column: 1, text };
}

function record(src: string, lines: SourceLine[], limit?: number): ExecTrace {
  const m = new TestMachine();
  const recorder = new TraceRecorder({ limit });
  const exe = new Interpreter().prepare(program(src, 'prog', { lines }), m, { trace: recorder.hook });
  try {
    exe.run(m.env(100_000), 0);
  } catch {
    // A fault ends the run; the trace up to it stays.
  }
  return recorder.result();
}

// r0 = 0; r1 = 5; loop: r0 += 2; r1 -= 1; if r1 != 0 goto loop; exit
const LOOP = 'mov %r0, 0\nmov %r1, 5\nl:\nadd %r0, 2\nsub %r1, 1\njne %r1, 0, l\nexit';
const LOOP_LINES = [line(0, 10, 'int x = 0;'), line(2, 11, 'x += 2;'), line(4, 12, 'while (--n)'), line(5, 13, 'return x;')];

describe('vm/trace', () => {
  it('groups instructions by C source line with the registers each one changed', () => {
    const t = record('mov %r0, 1\nmov %r2, %r0\nexit', [line(0, 5, '  int a = 1;'), line(2, 6, 'return a;')]);
    expect(t.entries).toHaveLength(2);
    const first = t.entries[0] as TraceLine;
    expect(first.source).toEqual({ file: '/src/t.c', line: 5, text: '  int a = 1;' });
    expect(first.insns.map((i) => i.pc)).toEqual([0, 1]);
    expect(first.insns[1]!.changed).toEqual([{ reg: 2, value: 1n }]);
    expect(formatTrace(t)).toEqual(['t.c:5: int a = 1;', '    0: r0 = 0x1\t; r0=0x1 r10=0x3000', '    1: r2 = r0\t; r2=0x1', 't.c:6: return a;', '    2: exit']);
  });

  it('collapses repeated loop iterations into one entry with a count', () => {
    const t = record(LOOP, LOOP_LINES);
    expect(t.executed).toBe(2 + 5 * 3 + 1);
    const kinds = t.entries.map((e) => (e.kind === 'line' ? e.source!.line : `x${e.times}`));
    // The first iteration in full, the next four folded, then the exit.
    expect(kinds).toEqual([10, 11, 12, 'x4', 13]);
    expect(t.entries[3]).toEqual({ kind: 'repeat', lines: 2, times: 4, insns: 12 });
    expect(t.kept).toBe(2 + 3 + 1);
    expect(formatTrace(t)).toContain('      ... 4 more iterations of the 2 lines above (12 instructions)');
  });

  it('keeps a loop iteration that took another path', () => {
    // Iterations where r1 is odd skip an instruction: two alternating shapes, period 2 groups.
    const src = 'mov %r1, 6\nl:\nmov %r2, %r1\nand %r2, 1\njeq %r2, 0, even\nadd %r0, 1\neven:\nsub %r1, 1\njne %r1, 0, l\nexit';
    const t = record(src, [line(0, 1, 'a'), line(1, 2, 'b'), line(5, 3, 'c'), line(7, 4, 'd')]);
    const kept = t.entries.filter((e) => e.kind === 'line').reduce((n, e) => n + (e as TraceLine).insns.length, 0);
    const folded = t.entries.filter((e) => e.kind === 'repeat').reduce((n, e) => n + (e.kind === 'repeat' ? e.insns : 0), 0);
    expect(kept + folded).toBe(t.executed);
    expect(folded).toBeGreaterThan(0);
  });

  it('stops recording at its limit and says so', () => {
    // An endless loop whose iterations differ (r0 is compared): nothing to fold.
    const src = 'mov %r0, 0\nl:\nadd %r0, 1\njlt %r0, 1000, l\nexit';
    const t = record(src, [], 50);
    expect(t.truncated).toBe(true);
    expect(t.kept).toBe(50);
    expect(t.executed).toBe(2 + 2 * 1000);
    expect(formatTrace(t).at(-1)).toMatch(/^\.\.\. trace stopped after 50 instructions/);
  });

  it('records the instructions before a fault', () => {
    const t = record('mov %r1, 0\nldxb %r0, [%r1+0]\nexit', []);
    expect(t.executed).toBe(1);
    expect((t.entries[0] as TraceLine).source).toBeNull();
  });
});
