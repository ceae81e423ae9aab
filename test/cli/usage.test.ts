import { beforeAll, describe, expect, it } from 'vitest';
import { bpfsim, ensureDist } from '../support/cli.js';

/** How `bpfsim` answers when asked for help, a version, or nothing. */
describe('cli: usage', () => {
  beforeAll(ensureDist, 300_000);

  it('prints the usage on stdout with exit 0 for --help', async () => {
    const run = await bpfsim('--help');
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^Usage: bpfsim/);
    for (const command of ['run', 'parity', 'replay', 'bench', 'conformance', 'disasm']) expect(run.stdout).toContain(command);
  });

  it("prints a command's usage on stdout with exit 0 for run --help", async () => {
    const run = await bpfsim('run', '--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('--backend');
  });

  it('prints one line on stderr and exits 2 without a command', async () => {
    const run = await bpfsim();
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^bpfsim: missing command[^\n]*--help[^\n]*\n$/);
  });

  it('prints the version with exit 0', async () => {
    const run = await bpfsim('--version');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
