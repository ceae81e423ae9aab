import { describe, expect, it } from 'vitest';
import { VmFault } from '../../src/internal/errors.js';
import { gplGuard } from '../../src/vm/protocol.js';
import { engines } from './engines.js';
import { TestMachine, program } from './harness.js';

function fault(fn: () => unknown): VmFault {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VmFault);
    return err as VmFault;
  }
  return expect.fail('expected a fault');
}

/** main: `mainFrame` bytes of stack, then a call to sub, which uses `subFrame` bytes. */
function chain(mainFrame: number, subFrame: number): string {
  return `stdw [%r10-${mainFrame}], 1\ncall local sub\nexit\nsub:\nmov %r1, %r10\nadd %r1, -${subFrame}\nstb [%r1+0], 2\nmov %r0, 0\nexit`;
}

describe.each(engines)('$name engine: what the verifier refuses about the stack', ({ engine }) => {
  it('faults before running a call chain whose frames need more than 512 bytes', () => {
    const m = new TestMachine();
    const err = fault(() => m.run(engine, chain(320, 200)));
    expect([err.code, err.pc]).toEqual(['vm/stack-too-large', 1]);
    expect(err.message).toBe('insn 1: combined stack size of 2 calls is 528. Too large');
  });

  it('runs a call chain of exactly 512 bytes', () => {
    expect(new TestMachine().run(engine, chain(320, 192))).toBe(0n);
  });

  it.each([
    { name: 'a read above the frame', code: 'call local sub\nexit\nsub:\nldxdw %r0, [%r10+8]\nexit', want: 'insn 2: invalid read from stack R10 off=8 size=8' },
    { name: 'a write straddling the frame top', code: 'stw [%r10-2], 0\nmov %r0, 0\nexit', want: 'insn 0: invalid write to stack R10 off=-2 size=4' },
    { name: 'a read below 512 bytes', code: 'ldxb %r0, [%r10-513]\nexit', want: 'insn 0: invalid read from stack R10 off=-513 size=1' },
  ])('faults before running $name', ({ code, want }) => {
    const err = fault(() => new TestMachine().run(engine, program(code)));
    expect(err.code).toBe('vm/bad-stack-access');
    expect(err.message).toBe(want);
  });

  it('faults at the call of a GPL-only helper from a non-GPL program', () => {
    const m = new TestMachine().helper(6, () => 0n);
    const helpers = gplGuard(m.helpers, (id) => id === 6);
    const exe = engine.prepare(program('mov %r0, 1\ncall 6\nexit'), { mem: m.mem, maps: m.maps, helpers });
    const err = fault(() => exe.run({ ...m.env(), helpers }, 0));
    expect([err.code, err.pc, err.message]).toEqual(['vm/gpl-only', 1, 'insn 1: cannot call GPL-restricted function from non-GPL compatible program']);
  });
});
