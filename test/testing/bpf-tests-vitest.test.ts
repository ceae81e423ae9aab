/**
 * The vitest adapter: `bpfTests(object)` declares one vitest test per BPF test of the object.
 * The adapter runs in a vitest of its own (fixtures/bpf-tests.fixture.ts), whose JSON report
 * says how each BPF test's status became a vitest outcome.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

interface AssertionReport { title: string; status: string; failureMessages: string[] }

describe('bpfTests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfsim-adapter-'));
  let outcomes: Map<string, AssertionReport>;
  let exitCode: number | null;

  beforeAll(() => {
    execFileSync('bash', ['scripts/build-bpf.sh'], { cwd: ROOT });
    const report = join(dir, 'report.json');
    const vitest = join(ROOT, 'node_modules', '.bin', 'vitest');
    const child = spawnSync(vitest, ['run', '--config', 'test/testing/fixtures/vitest.config.ts', '--reporter=json', `--outputFile=${report}`], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    exitCode = child.status;
    const json = JSON.parse(readFileSync(report, 'utf8')) as { testResults: { assertionResults: AssertionReport[] }[] };
    outcomes = new Map(json.testResults.flatMap((f) => f.assertionResults).map((a) => [a.title, a]));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('declares one vitest test per BPF test, in each object', () => {
    expect([...outcomes.keys()].sort()).toEqual(['a_tail', 'b_state', 'c_fails', 'd_skipped', 'e_xdp', 'later', 'trim']);
  });

  it('passes a PASS, skips a SKIP and fails a FAIL with the failing assertion and its C line', () => {
    expect(outcomes.get('trim')?.status).toBe('passed');
    expect(outcomes.get('a_tail')?.status).toBe('passed');
    expect(outcomes.get('later')?.status).toBe('skipped');
    expect(outcomes.get('d_skipped')?.status).toBe('skipped');
    const failed = outcomes.get('c_fails');
    expect(failed?.status).toBe('failed');
    expect(failed?.failureMessages.join('\n')).toMatch(/c_fails: fail[\s\S]*length: fail[\s\S]*bpftest_suite\.c:\d+/);
    expect(exitCode).toBe(1);
  });
});
