/**
 * Programs the kernel refuses for their stack use or a GPL-only call: the verifier refuses them
 * with the kernel's message (load() and `bpfsim run` report it with the C line, see
 * test/sim/refused-at-load.test.ts), and the engines, which run whatever they are given
 * (`verify: false`), stay inside VM memory: an access outside the live frames is a typed fault.
 */
import { describe, expect, it } from 'vitest';
import { VmFault } from '../../src/internal/errors.js';
import type { ObjectSpec } from '../../src/loader/spec.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { gplGuard } from '../../src/vm/protocol.js';
import { engines } from './engines.js';
import { TestMachine, program } from './harness.js';

/** main: `mainFrame` bytes of stack, then a call to sub, which uses `subFrame` bytes. */
function chain(mainFrame: number, subFrame: number): string {
  return `stdw [%r10-${mainFrame}], 1\ncall local sub\nexit\nsub:\nmov %r1, %r10\nadd %r1, -${subFrame}\nstb [%r1+0], 2\nmov %r0, 0\nexit`;
}

function verdict(code: string, license = 'GPL'): { accepted: boolean; error: string | null; insn: number | null } {
  const prog = program(code);
  const spec: ObjectSpec = { license, programs: [prog], maps: [] };
  const { accepted, error, insn } = verifyProgram(spec, prog);
  return { accepted, error, insn };
}

function fault(fn: () => unknown): VmFault {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VmFault);
    return err as VmFault;
  }
  return expect.fail('expected a fault');
}

const refused = [
  { name: 'a call chain whose frames need more than 512 bytes', code: chain(320, 200), want: 'combined stack size of 2 calls is 528. Too large', insn: 2, unverified: 0n },
  { name: "a callee reading its caller's frame through r10 + 8", code: 'call local sub\nexit\nsub:\nldxdw %r0, [%r10+8]\nexit', want: 'invalid read from stack R10 off=8 size=8', insn: 2, unverified: 0n },
  { name: 'a write straddling the frame top', code: 'stw [%r10-2], 0\nmov %r0, 0\nexit', want: 'misaligned stack access off 0+0+-2 size 4', insn: 0, unverified: 'vm/out-of-bounds' },
  { name: 'a store above the frame', code: 'mov %r0, 0\nstxdw [%r10+0], %r0\nexit', want: 'invalid write to stack R10 off=0 size=8', insn: 1, unverified: 'vm/out-of-bounds' },
  { name: 'a read below 512 bytes', code: 'ldxb %r0, [%r10-513]\nexit', want: 'invalid read from stack R10 off=-513 size=1', insn: 0, unverified: 'vm/out-of-bounds' },
] as const;

describe('the verifier refuses what the kernel refuses about the stack', () => {
  it.each(refused)('$name', ({ code, want, insn }) => {
    expect(verdict(code)).toEqual({ accepted: false, error: want, insn });
  });

  it('accepts a call chain of exactly 512 bytes', () => {
    expect(verdict(chain(320, 192)).accepted).toBe(true);
  });

  it('refuses a GPL-only helper from a non-GPL program', () => {
    expect(verdict('mov %r0, 1\ncall 6\nexit', 'Proprietary')).toEqual({ accepted: false, error: 'cannot call GPL-restricted function from non-GPL compatible program', insn: 1 });
  });
});

describe.each(engines)('$name engine, unverified: the same programs stay inside VM memory', ({ engine }) => {
  it.each(refused)('$name', ({ code, unverified }) => {
    const m = new TestMachine();
    if (typeof unverified === 'bigint') expect(m.run(engine, code)).toBe(unverified);
    else expect(fault(() => m.run(engine, code)).code).toBe(unverified);
  });

  it('faults at the call of a GPL-only helper from a non-GPL program', () => {
    const m = new TestMachine().helper(6, () => 0n);
    const helpers = gplGuard(m.helpers, (id) => id === 6);
    const exe = engine.prepare(program('mov %r0, 1\ncall 6\nexit'), { mem: m.mem, maps: m.maps, helpers });
    const err = fault(() => exe.run({ ...m.env(), helpers }, 0));
    expect([err.code, err.pc, err.message]).toEqual(['vm/gpl-only', 1, 'insn 1: cannot call GPL-restricted function from non-GPL compatible program']);
  });
});
