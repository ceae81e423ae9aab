import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bpfsim, ensureDist, expectOneLine, ROOT } from '../support/cli.js';

/** `bpfsim verify` end to end: exit status per verdict, the JSON contract, and bad input in one line. */

const GOOD = join(ROOT, 'build/bpf/xdp_lb.o');
const REJECTED = join(ROOT, 'build/bpf/tests/verify_example.o');

beforeAll(() => ensureDist(), 300_000);

describe('cli: verify', () => {
  it('exits 0 when every program is accepted', async () => {
    const run = await bpfsim('verify', GOOD);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^xdp_lb \(xdp\): accepted/m);
  });

  it('exits 1 on a rejection and prints the JSON contract with the C line as file.c:line', async () => {
    const run = await bpfsim('verify', REJECTED, '--json');
    expect(run.status, run.stderr).toBe(1);
    const [verdict] = JSON.parse(run.stdout).programs;
    expect(Object.keys(verdict).sort()).toEqual(['accepted', 'error', 'insn', 'insns_processed', 'path', 'program', 'source', 'type']);
    expect(verdict).toMatchObject({ program: 'xdp_count_class', type: 'xdp', accepted: false, source: 'verify_example.c:34' });
    expect(verdict.path.at(-1)).toEqual({ insn: verdict.insn, source: 'verify_example.c:34' });
  });

  it('prints a kernel-format log with --log', async () => {
    const run = await bpfsim('verify', REJECTED, '--log');
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^processed \d+ insns/m);
  });

  it.each([
    { name: 'a device', args: ['/dev/zero'], names: ['/dev/zero', 'not a regular file'] },
    { name: 'a missing file', args: ['no-such.o'], names: ['no-such.o', 'ENOENT'] },
    { name: 'a file that is not ELF', args: [join(ROOT, 'README.md')], names: ['README.md', 'not an ELF file'] },
    { name: 'an unknown --type', args: [GOOD, '--type', 'bogus'], names: ['--type', 'bogus'] },
    { name: 'an unknown --backend', args: [GOOD, '--backend', 'bogus'], names: ['--backend', 'bogus'] },
    { name: 'a program the object lacks', args: [GOOD, '--program', 'nope'], names: ["'nope'"] },
    { name: 'a --log level other than 1 or 2', args: [REJECTED, '--log', '7'], names: ['--log', '7'] },
  ])('refuses $name with exit 2 and one line', async ({ args, names }) => {
    const line = expectOneLine(await bpfsim('verify', ...args), names);
    const path = args[0]!.split('/').pop()!;
    expect(line.split(path).length - 1, 'the path is named once').toBeLessThanOrEqual(1);
  });
});
