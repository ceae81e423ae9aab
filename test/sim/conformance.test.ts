import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AsmError, SimError } from '../../src/internal/errors.js';
import { parseConformance, runConformance, runConformanceFile, runConformanceTest } from '../../src/sim/conformance.js';
import { ENGINE_NAMES, getEngine } from '../../src/vm/engines.js';

const dir = join(import.meta.dirname, '../../fixtures/conformance');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SimError);
    return (err as SimError).code;
  }
  return undefined;
}

describe('sim', () => {
  it('parses asm, mem and result sections, skipping comments and notes', () => {
    const test = parseConformance('# c\n-- asm\nmov %r0, 1 # one\nexit\n-- mem\n0a 0b\n 0c\n-- result\n0x1\n-- no register offset\nfoo\n', 't.data');
    expect(test.name).toBe('t.data');
    expect(test.insns.map((i) => i.opcode)).toEqual([0xb7, 0x95]);
    expect([...test.mem]).toEqual([10, 11, 12]);
    expect(test.result).toBe(1n);
    expect(test.error).toBeUndefined();
  });

  it('reads results as unsigned 64-bit values', () => {
    expect(parseConformance('-- asm\nexit\n-- result\n0xffffffffffffffff', 'a').result).toBe(2n ** 64n - 1n);
    expect(parseConformance('-- asm\nexit\n-- result\n42', 'a').result).toBe(42n);
  });

  it('takes -- raw words over -- asm, opcode in the low byte', () => {
    const test = parseConformance('-- asm\nexit\n-- raw\n0x5566778800000018\n0x1122334400000000\n0x0000000000000095\n-- result\n0x0', 'r');
    expect(test.insns).toEqual([
      { opcode: 0x18, dst: 0, src: 0, off: 0, imm: 0x55667788 },
      { opcode: 0, dst: 0, src: 0, off: 0, imm: 0x11223344 },
      { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ]);
  });

  it('keeps the text of -- error', () => {
    expect(parseConformance('-- asm\nexit\n-- error\nbad thing\n', 'e').error).toBe('bad thing');
  });

  it.each([
    { name: 'no program', have: '-- result\n0x0', want: 'conformance/bad-file' },
    { name: 'no expectation', have: '-- asm\nexit', want: 'conformance/bad-file' },
    { name: 'odd hex in mem', have: '-- asm\nexit\n-- mem\n0a 0\n-- result\n0', want: 'conformance/bad-file' },
    { name: 'a bad result', have: '-- asm\nexit\n-- result\nzero', want: 'conformance/bad-file' },
    { name: 'a bad raw word', have: '-- raw\n95\n-- result\n0', want: 'conformance/bad-file' },
    { name: 'bad asm', have: '-- asm\nfrob\n-- result\n0', want: 'asm/unknown-mnemonic' },
  ])('rejects a file with $name', ({ have, want }) => {
    expect(codeOf(() => parseConformance(have, 'x.data'))).toBe(want);
  });

  it('names the file in parse errors', () => {
    try {
      parseConformance('-- asm\nfrob\n-- result\n0', 'x.data');
    } catch (err) {
      expect(err).toBeInstanceOf(AsmError);
      expect((err as AsmError).message.startsWith('x.data: ')).toBe(true);
    }
    expect.assertions(2);
  });

  it('reports a directory it cannot read', async () => {
    await expect(runConformance(join(dir, 'missing'), getEngine('interp'))).rejects.toMatchObject({ code: 'conformance/bad-dir' });
  });

  it('reports a directory without .data files instead of passing nothing', async () => {
    await expect(runConformance(join(dir, '..', 'pcap'), getEngine('interp'))).rejects.toMatchObject({ code: 'conformance/no-tests' });
  });

  describe.each(ENGINE_NAMES)('on engine %s', (name) => {
    const engine = getEngine(name);

    it('passes every fixture of fixtures/conformance', async () => {
      const summary = await runConformance(dir, engine);
      expect(summary.outcomes.filter((o) => !o.passed)).toEqual([]);
      expect(summary).toMatchObject({ total: 6, passed: 6, failed: [] });
    });

    it('fails each broken fixture, by name and with a reason', async () => {
      const summary = await runConformance(join(dir, 'failing'), engine);
      expect(summary.total).toBe(5);
      expect(summary.passed).toBe(0);
      expect(summary.failed).toEqual(['bad-asm.data', 'no-expectation.data', 'out-of-bounds.data', 'unexpected-success.data', 'wrong-result.data']);
      const reasons = Object.fromEntries(summary.outcomes.map((o) => [o.name, o.reason]));
      expect(reasons['wrong-result.data']).toBe('expected 0x2, got 0x1');
      expect(reasons['out-of-bounds.data']).toMatch(/^vm\/out-of-bounds: /);
      expect(reasons['bad-asm.data']).toMatch(/^asm\/unknown-mnemonic: /);
    });

    it('passes r1 = the address of mem and r2 = its length', () => {
      const test = parseConformance('-- asm\nldxb %r0, [%r1+2]\nlsh %r0, 8\nadd %r0, %r2\nexit\n-- mem\n00 00 07\n-- result\n0x703', 'm');
      expect(runConformanceTest(test, engine)).toEqual({ name: 'm', passed: true });
    });

    it('runs one file', async () => {
      expect(await runConformanceFile(join(dir, 'raw.data'), engine)).toEqual({ name: 'raw.data', passed: true });
    });
  });
});
