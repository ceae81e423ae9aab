/**
 * bpfsim's verifier gives the kernel's recorded verdict and message (test/verifier/kernel-verdicts.json)
 * for every corpus program, except the known disagreements (test/verifier/known-disagreements.json),
 * each of which must still disagree, so that the list cannot go stale. No root needed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus, corpusObjects, readKernelVerdicts, readKnownDisagreements, ROOT, verdictText } from './corpus.js';
import { ourReports } from './ours.js';
import { join } from 'node:path';

describe('verifier', () => {
  const recorded = readKernelVerdicts();
  const known = readKnownDisagreements();
  const ours = new Map<string, string>();
  beforeAll(async () => {
    buildCorpus();
    const objects = corpusObjects();
    const reports = await ourReports(objects.map((o) => join(ROOT, o)), 120_000);
    reports.forEach((report, i) => {
      const object = objects[i]!;
      if ('error' in report) for (const v of recorded.filter((r) => r.object === object)) ours.set(`${object} ${v.program}`, `error: ${report.error.message}`);
      else {
        for (const p of report.programs) ours.set(`${object} ${p.program}`, verdictText(p));
        for (const p of report.timedOut) ours.set(`${object} ${p}`, 'no verdict in 120 s');
      }
    });
  }, 900_000);
  const isKnown = (object: string, program: string) => known.some((k) => k.object === object && k.program === program);

  it('lists only corpus programs as known disagreements', () => {
    const names = new Set(recorded.map((v) => `${v.object} ${v.program}`));
    for (const k of known) expect(names.has(`${k.object} ${k.program}`), `${k.object} ${k.program}`).toBe(true);
  });

  it.each(recorded.filter((v) => !isKnown(v.object, v.program)).map((v) => ({ ...v, want: verdictText(v) })))(
    'agrees with the kernel on $rule: $program',
    ({ object, program, want }) => {
      expect(ours.get(`${object} ${program}`) ?? 'not verified', 'the kernel (test/verifier/kernel-verdicts.json) says').toBe(want);
    },
  );

  it.each(known.map((k) => ({ ...k, kernel: verdictText(recorded.find((v) => v.object === k.object && v.program === k.program) ?? { accepted: false, error: '?' }) })))(
    'still disagrees with the kernel on the known disagreement $program',
    ({ object, program, kernel }) => {
      const now = ours.get(`${object} ${program}`) ?? 'not verified';
      expect(now, 'now agrees with the kernel: regenerate test/verifier/known-disagreements.json with `npx tsx scripts/verifier-agreement.ts --write-known`').not.toBe(kernel);
    },
  );
});
