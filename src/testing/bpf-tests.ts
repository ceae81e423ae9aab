import { beforeAll, describe, it } from 'vitest';
import { loadObjectFile } from '../loader/load-object.js';
import { findBpfTests, runBpfTests, type BpfTestResult } from '../sim/bpf-tests.js';
import type { LoadOptions } from '../sim/object.js';

/** What a failed BPF test's vitest error says: its status, why, its logs with their C lines. */
function failureText(r: BpfTestResult): string {
  const lines = [`${r.name}: ${r.status}${r.error ? `: ${r.error}` : ''}`];
  for (const log of r.logs) lines.push(`  ${log.text}`);
  for (const sub of r.subtests) if (sub.status === 'fail' || sub.status === 'error') lines.push(failureText(sub).replace(/^/gm, '  '));
  return lines.join('\n');
}

/**
 * Declares one vitest test per PKTGEN/SETUP/CHECK test of `object` (Cilium's bpf/tests
 * convention: sections `tc|xdp/test/<name>/{pktgen,setup,check}`), in a `describe` named after
 * the object. The object loads once and its tests run in name order sharing its maps, as
 * `bpfsim test` runs them; a FAIL or ERROR fails the vitest test with the check's logs (the
 * failing assertion's file and line), a SKIP skips it.
 *
 * ```ts
 * import { bpfTests } from 'bpfsim/vitest';
 * bpfTests('build/lb_test.o');
 * ```
 */
export function bpfTests(object: string, options: LoadOptions = {}): void {
  const names = findBpfTests(loadObjectFile(object).programs).map((t) => t.name);
  describe(object, () => {
    let results: Map<string, BpfTestResult> | undefined;
    beforeAll(async () => {
      results = new Map((await runBpfTests(object, options)).map((r) => [r.name, r]));
    });
    for (const name of names) {
      it(name, (ctx) => {
        const r = results?.get(name);
        if (!r) throw new Error(`${name}: did not run`);
        if (r.status === 'skip') ctx.skip();
        if (r.status !== 'pass') throw new Error(failureText(r));
      });
    }
  });
}
