import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NO_PRIVILEGES_MESSAGE } from '../../src/kernel/available.js';
import { kernelOrSkip, ROOT, testObject } from './require-kernel.js';

const available = await kernelOrSkip();

/**
 * setpriv arguments for a process without a single capability: root by uid, but unable to use
 * bpf(2) or make namespaces. (Unlike switching to another uid, it can still read a clone in a
 * directory only root may enter, such as one made by mktemp -d.)
 */
const NO_CAPS = ['--bounding-set=-all', '--inh-caps=-all', '--ambient-caps=-all'];

describe.runIf(available)('kernel', () => {
  it('says in one line that it needs root when run unprivileged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfsim-nopriv-'));
    try {
      chmodSync(dir, 0o755);
      const object = testObject('kernel_xdp');
      const src = pathToFileURL(join(ROOT, 'src', 'kernel', 'index.ts')).href;
      writeFileSync(join(dir, 'nopriv.mts'), `
import { kernelAvailable, runOnKernel } from ${JSON.stringify(src)};
const avail = await kernelAvailable();
const err = await runOnKernel({ objectPath: ${JSON.stringify(object)}, program: 'xdp_rewrite', packet: new Uint8Array(14) }).then(() => null, (e) => e);
console.log(JSON.stringify({ avail, name: err?.name, code: err?.code, message: err?.message }));
`);
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
      const r = spawnSync('setpriv', [...NO_CAPS, process.execPath, '--import', tsx, join(dir, 'nopriv.mts')], {
        cwd: dir,
        env: { ...process.env, HOME: dir },
      });
      expect(r.stderr.toString()).toBe('');
      const out = JSON.parse(r.stdout.toString()) as Record<string, unknown>;
      expect(out).toEqual({
        avail: { ok: false, reason: NO_PRIVILEGES_MESSAGE },
        name: 'KernelError',
        code: 'kernel/no-privileges',
        message: NO_PRIVILEGES_MESSAGE,
      });
      expect(NO_PRIVILEGES_MESSAGE).not.toContain('\n');
      // The process really is unprivileged: it cannot make a network namespace.
      expect(() => execFileSync('setpriv', [...NO_CAPS, 'unshare', '--net', 'true'], { stdio: 'pipe' })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
