import { describe, expect, it } from 'vitest';
import { VmFault } from '../../src/internal/errors.js';
import { LAYOUT, STACK_END } from '../../src/vm/layout.js';
import { engines } from './engines.js';
import { TestArrayMap, TestMachine, insn, lddw, mapSpec, program } from './harness.js';

/** Runs `fn` expecting a VmFault and returns it. */
function fault(fn: () => unknown): VmFault {
  try {
    fn();
  } catch (err) {
    if (err instanceof VmFault) return err;
    throw err;
  }
  throw new Error('expected a VmFault, the run succeeded');
}

const PKT = Uint8Array.from([0x11, 0x22, 0x33, 0x44, 0x85, 0x86, 0x87, 0x88, 0x99, 0xaa]);

describe('vm', () => {
  describe.each(engines)('$name engine: loads and stores', ({ engine }) => {
    it.each([
      { name: 'ldxb', op: 'ldxb %r0, [%r1+4]', want: 0x85n },
      { name: 'ldxh', op: 'ldxh %r0, [%r1+4]', want: 0x8685n },
      { name: 'ldxw', op: 'ldxw %r0, [%r1+4]', want: 0x8887_8685n },
      { name: 'ldxdw', op: 'ldxdw %r0, [%r1+2]', want: 0xaa99_8887_8685_4433n },
      { name: 'ldxsb sign-extends', op: 'ldxsb %r0, [%r1+4]', want: 0xffff_ffff_ffff_ff85n },
      { name: 'ldxsh sign-extends', op: 'ldxsh %r0, [%r1+4]', want: 0xffff_ffff_ffff_8685n },
      { name: 'ldxsw sign-extends', op: 'ldxsw %r0, [%r1+4]', want: 0xffff_ffff_8887_8685n },
      { name: 'ldxsb of a positive byte', op: 'ldxsb %r0, [%r1+0]', want: 0x11n },
      { name: 'ldxsw with a negative offset from the end', op: 'add %r1, 10\nldxsw %r0, [%r1-10]', want: 0x4433_2211n },
    ])('loads with $name', ({ op, want }) => {
      const m = new TestMachine();
      const data = m.packet(PKT);
      expect(m.run(engine, `${op}\nexit`, data)).toBe(want);
    });

    it.each([
      { name: 'stb', op: 'stb [%r1+1], 0x1ff', want: '11ff3344' },
      { name: 'sth', op: 'sth [%r1+1], -2', want: '11feff44' },
      { name: 'stw', op: 'stw [%r1+0], 0x01020304', want: '04030201' },
      { name: 'stxb', op: 'mov %r2, 0x3ff\nstxb [%r1+3], %r2', want: '112233ff' },
      { name: 'stxh', op: 'mov %r2, 0x12345\nstxh [%r1+0], %r2', want: '45233344' },
      { name: 'stxw', op: 'lddw %r2, 0x1aabbccdd\nstxw [%r1+0], %r2', want: 'ddccbbaa' },
    ])('stores with $name', ({ op, want }) => {
      const m = new TestMachine();
      const data = m.packet(PKT);
      m.run(engine, `${op}\nmov %r0, 0\nexit`, data);
      expect(Buffer.from(m.mem.u8.subarray(data, data + 4)).toString('hex')).toBe(want);
    });

    it('stores a sign-extended imm with stdw', () => {
      const m = new TestMachine();
      expect(m.run(engine, 'stdw [%r10-8], -2\nldxdw %r0, [%r10-8]\nexit')).toBe(0xffff_ffff_ffff_fffen);
    });

    it('stores and loads 64 bits with stxdw and ldxdw on the stack', () => {
      const m = new TestMachine();
      expect(m.run(engine, 'lddw %r1, 0x8877665544332211\nstxdw [%r10-16], %r1\nldxw %r0, [%r10-12]\nexit')).toBe(0x8877_6655n);
    });

    it('starts with r10 at the top of frame 0 and r1 as given', () => {
      const m = new TestMachine();
      expect(m.run(engine, 'mov %r0, %r10\nexit')).toBe(BigInt(STACK_END));
      expect(m.run(engine, 'mov %r0, %r1\nexit', 0x1234)).toBe(0x1234n);
      expect(m.run(engine, 'mov %r0, %r2\nexit', 0, 77)).toBe(77n);
    });

    it('wraps 64-bit address arithmetic', () => {
      const m = new TestMachine();
      const data = m.packet(PKT);
      // r1 = -8; r1 + (data + 8) = data.
      const prog = [...lddw(1, -8n), insn(0x71, 0, 1, data + 8), insn(0x95)];
      expect(m.run(engine, prog)).toBe(0x11n);
    });

    it('reads and writes map values', () => {
      const m = new TestMachine();
      const map = new TestArrayMap(mapSpec({ name: 'vals', type: 2, valueSize: 8, maxEntries: 2 }), m.mem);
      m.maps.push(map);
      const addr = map.lookup(new Uint8Array(4));
      m.run(engine, `lddw %r1, 0x${addr.toString(16)}\nstdw [%r1+0], 42\nmov %r0, 0\nexit`);
      expect(m.mem.view.getUint32(addr, true)).toBe(42);
    });
  });

  describe.each(engines)('$name engine: memory faults', ({ engine }) => {
    it.each([
      { name: 'a NULL dereference', src: 'mov %r1, 0\nldxw %r0, [%r1+0]\nexit', pc: 1, code: 'vm/out-of-bounds' },
      { name: 'a NULL store with an offset', src: 'mov %r1, 0\nstw [%r1+16], 1\nexit', pc: 1, code: 'vm/out-of-bounds' },
      { name: 'a store above the frame', src: 'mov %r0, 0\nstxdw [%r10+0], %r0\nexit', pc: 1, code: 'vm/out-of-bounds' },
      { name: 'a load straddling the frame top', src: 'ldxdw %r0, [%r10-4]\nexit', pc: 0, code: 'vm/out-of-bounds' },
      { name: 'a load below the live frames', src: 'ldxdw %r0, [%r10-520]\nexit', pc: 0, code: 'vm/out-of-bounds' },
      { name: 'a read of the control block', src: 'mov %r1, 8\nldxw %r0, [%r1+0]\nexit', pc: 1, code: 'vm/out-of-bounds' },
      { name: 'an address above 4 GiB', src: 'lddw %r1, 0x100004000\nldxb %r0, [%r1+0]\nexit', pc: 2, code: 'vm/out-of-bounds' },
      { name: 'a negative address', src: 'mov %r1, -1\nldxb %r0, [%r1+0]\nexit', pc: 1, code: 'vm/out-of-bounds' },
      { name: 'an atomic on NULL', src: 'mov %r1, 0\nmov %r2, 1\nlock add [%r1+0], %r2\nexit', pc: 2, code: 'vm/out-of-bounds' },
    ])('faults on $name', ({ src, pc, code }) => {
      const m = new TestMachine();
      const f = fault(() => m.run(engine, src));
      expect(f.code).toBe(code);
      expect(f.pc).toBe(pc);
    });

    it('faults on a packet read past data_end with the address and size', () => {
      const m = new TestMachine();
      const data = m.packet(PKT);
      const f = fault(() => m.run(engine, 'mov %r0, 0\nldxw %r0, [%r1+8]\nexit', data));
      expect(f.code).toBe('vm/out-of-bounds');
      expect(f.pc).toBe(1);
      expect(f.details.addr).toBe(data + 8);
      expect(f.details.size).toBe(4);
    });

    it('faults on a packet read before data_meta', () => {
      const m = new TestMachine();
      const data = m.packet(PKT);
      const f = fault(() => m.run(engine, 'ldxb %r0, [%r1-1]\nexit', data));
      expect([f.code, f.pc]).toEqual(['vm/out-of-bounds', 0]);
    });

    it('faults on a write to a read-only map value', () => {
      const m = new TestMachine();
      const map = new TestArrayMap(mapSpec({ name: '.rodata', valueSize: 8, maxEntries: 1 }), m.mem, false);
      const addr = map.lookup(new Uint8Array(4));
      const src = `lddw %r1, 0x${addr.toString(16)}\nldxdw %r0, [%r1+0]\nstdw [%r1+0], 1\nexit`;
      const f = fault(() => m.run(engine, src));
      expect([f.code, f.pc]).toEqual(['vm/read-only', 3]);
    });

    it('faults on a read past the end of a map value', () => {
      const m = new TestMachine();
      const map = new TestArrayMap(mapSpec({ name: 'small', valueSize: 4, maxEntries: 2 }), m.mem);
      const addr = map.lookup(new Uint8Array(4));
      const f = fault(() => m.run(engine, `lddw %r1, 0x${addr.toString(16)}\nldxdw %r0, [%r1+0]\nexit`));
      expect([f.code, f.pc]).toEqual(['vm/out-of-bounds', 2]);
    });

    it('faults on a context read the rule refuses', () => {
      const m = new TestMachine();
      m.mem.ctxSize = 24;
      m.mem.ctxRule = (off, size, write) => !write && off === 0 && size === 4;
      expect(m.run(engine, 'ldxw %r0, [%r1+0]\nexit', LAYOUT.CTX)).toBe(0n);
      const read = fault(() => m.run(engine, 'ldxw %r0, [%r1+4]\nexit', LAYOUT.CTX));
      expect([read.code, read.pc]).toEqual(['vm/ctx-read', 0]);
      const write = fault(() => m.run(engine, 'stw [%r1+0], 1\nexit', LAYOUT.CTX));
      expect([write.code, write.pc]).toEqual(['vm/ctx-write', 0]);
    });

    it('names the fault pc inside a subprogram', () => {
      const m = new TestMachine();
      const src = 'call local f\nexit\nf:\nmov %r1, 0\nldxb %r0, [%r1+0]\nexit';
      const f = fault(() => m.run(engine, program(src)));
      expect([f.code, f.pc]).toEqual(['vm/out-of-bounds', 3]);
    });
  });
});
