import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { INPUT_LIMITS } from '../../src/internal/input-file.js';
import { bpfsim, ensureDist, expectOneLine, ROOT } from '../support/cli.js';

/**
 * The size limits on input files, end to end: a file one byte over its limit is refused with one
 * line before any of it is read. The files are sparse, so the test costs no disk space.
 */

const CASE = join(ROOT, 'fixtures/cases/xdp_blacklist_v4_denied.json');
let dir: string;

/** A sparse file of `size` bytes under the test's folder. */
function sparse(name: string, size: number): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  truncateSync(path, size);
  return path;
}

beforeAll(() => {
  ensureDist();
  dir = mkdtempSync(join(tmpdir(), 'bpfsim-limits-'));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cli: input size limits', () => {
  it('refuses an object file over the object limit', async () => {
    const object = sparse('huge.o', INPUT_LIMITS.object + 1);
    expectOneLine(await bpfsim('disasm', object), ['huge.o', 'larger than the limit']);
    const casePath = join(dir, 'huge-object.json');
    writeFileSync(casePath, JSON.stringify({ object: 'huge.o', program: 'xdp_blacklist', packet: '00'.repeat(60) }));
    expectOneLine(await bpfsim('run', casePath), ['huge.o', 'larger than the limit']);
  });

  it('refuses a case file over the case limit', async () => {
    expectOneLine(await bpfsim('run', sparse('huge.json', INPUT_LIMITS.case + 1)), ['huge.json', 'larger than the limit']);
  });

  it('refuses a capture over the capture limit', async () => {
    expectOneLine(await bpfsim('replay', CASE, '--pcap', sparse('huge.pcapng', INPUT_LIMITS.capture + 1)), ['huge.pcapng', 'larger than the limit']);
  });
});
