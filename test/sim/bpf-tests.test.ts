/**
 * `bpfsim test` and runBpfTests: the PKTGEN/SETUP/CHECK convention (sections
 * tc|xdp/test/<name>/<stage>), state kept across tests in name order, setup's verdict prepended
 * to check's packet, TRF results decoded from suite_result_map with the failing assertion's line,
 * prog-array slots from `tail:<map>/<slot>` decl tags.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSuiteResult, formatLog, runBpfTests } from '../../src/sim/bpf-tests.js';
import { CaseError } from '../../src/internal/errors.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { bpfsim, ensureDist, expectOneLine } from '../support/cli.js';
import { testObject } from '../kernel/require-kernel.js';

let SUITE = '';
let PASSING = '';
beforeAll(() => {
  SUITE = testObject('bpftest_suite');
  PASSING = testObject('bpftest_pass');
  testObject('loader_mixed');
  ensureDist();
}, 300_000);

describe.each([...ENGINE_NAMES])('BPF tests on %s', (engine) => {
  it('runs every test in name order with the status its check returned', async () => {
    const results = await runBpfTests(SUITE, { engine });
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['a_tail', 'pass'],
      ['b_state', 'pass'],
      ['c_fails', 'fail'],
      ['d_skipped', 'skip'],
      ['e_xdp', 'pass'],
    ]);
  });

  it('feeds pktgen to setup, setup (through the decl-tagged tail call) to check, with its verdict first', async () => {
    const [a] = await runBpfTests(SUITE, { engine });
    expect(a!.subtests).toEqual([{ name: 'a_tail / marked', status: 'pass', retval: 101, logs: [{ text: 'marked 42 by the tail call', source: null }], subtests: [] }]);
    const [trim] = (await runBpfTests(PASSING, { engine })).filter((r) => r.name === 'trim');
    expect(trim!.status).toBe('pass');
  });

  it('reports a failed assertion with its file and line', async () => {
    const c = (await runBpfTests(SUITE, { engine })).find((r) => r.name === 'c_fails')!;
    expect(c.subtests[0]).toMatchObject({ name: 'c_fails / length', status: 'fail', logs: [{ source: expect.stringMatching(/^bpftest_suite\.c:\d+$/) }] });
  });
});

describe('BPF tests', () => {
  it('refuses an object without tests', async () => {
    await expect(runBpfTests(testObject('loader_mixed'))).rejects.toMatchObject({ code: 'case/no-tests' });
    await expect(runBpfTests(testObject('loader_mixed'))).rejects.toBeInstanceOf(CaseError);
  });

  it('decodes a TRF SuiteResult and stops at the zeroes after it', () => {
    const name = Buffer.from('t1');
    const fmt = Buffer.from('got %u, want %llx at x.c:7');
    const arg = (v: number) => [0x11, ...new Uint8Array(new BigUint64Array([BigInt(v)]).buffer)];
    const log = [0x0a, fmt.length, ...fmt, ...arg(0x1_0005), ...arg(255)];
    const result = [0x0a, name.length, ...name, 0x10, 102, 0x1a, log.length, ...log];
    const suiteLog = [0x0a, 3, ...Buffer.from('end')];
    const bytes = new Uint8Array([0x0a, result.length, ...result, 0x12, suiteLog.length, ...suiteLog, 0, 0, 0]);
    expect(decodeSuiteResult(bytes)).toEqual({
      results: [{ name: 't1', status: 102, logs: [{ text: 'got 5, want 00000000000000ff at x.c:7', source: 'x.c:7' }] }],
      logs: [{ text: 'end', source: null }],
    });
  });

  it('formats printk-style arguments at their widths, and says which are missing', () => {
    expect(formatLog('%d %lu %llx %x', [-1n, 0x1_0000_0001n, 10n, 0xabcdn])).toBe('-1 1 000000000000000a abcd');
    expect(formatLog('%u and %u', [1n])).toBe('1 and %!u(MISSING)');
  });
});

describe('bpfsim test', () => {
  it('prints each test, its sub-tests and the failing assertion, and exits 1 when one fails', async () => {
    const r = await bpfsim('test', SUITE);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/PASS a_tail\n/);
    expect(r.stdout).toMatch(/FAIL c_fails \/ length \(bpftest_suite\.c:\d+\)/);
    expect(r.stdout).toMatch(/3 passed, 1 failed, 1 skipped\n$/);
  });

  it('exits 0 when every test passes or skips, with --json', async () => {
    const r = await bpfsim('test', PASSING, '--json', '--engine', 'interp');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ passed: 1, failed: 0, skipped: 1, objects: [{ object: PASSING, tests: [{ name: 'later', status: 'skip' }, { name: 'trim', status: 'pass' }] }] });
  });

  it('cannot run an object without tests: one line, exit 2', async () => {
    expectOneLine(await bpfsim('test', testObject('loader_mixed')), ['no tests']);
  });
});
