/**
 * The recorded kernel verdicts on the verifier corpus (test/verifier/kernel-verdicts.json) are
 * still this kernel's answers: every corpus program loaded alone through verifyObjectsOnKernel
 * gives the recorded verdict and message, and the record covers exactly the corpus.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyObjectsOnKernel, verifyOnKernel } from '../../src/kernel/index.js';
import { loadObjectFile } from '../../src/loader/load-object.js';
import { verifyObject } from '../../src/verifier/index.js';
import { kernelOrSkip, testObject } from '../kernel/require-kernel.js';
import { buildCorpus, corpusObjects, intendedVerdict, readKernelVerdicts, ROOT, verdictText } from './corpus.js';

const kernel = await kernelOrSkip();

describe('verifier corpus', () => {
  it('names every recorded program ok_ or bad_ as the kernel decided', () => {
    const recorded = readKernelVerdicts();
    expect(recorded.length).toBeGreaterThanOrEqual(200);
    for (const v of recorded) expect(intendedVerdict(v.program), `${v.object} ${v.program}`).toBe(v.accepted);
  });

  it('has an accepted and a rejected program for every rule', () => {
    const byRule = new Map<string, Set<boolean>>();
    for (const v of readKernelVerdicts()) byRule.set(v.rule, (byRule.get(v.rule) ?? new Set()).add(v.accepted));
    for (const [rule, verdicts] of byRule) expect([rule, verdicts.size]).toEqual([rule, 2]);
  });

  describe.runIf(kernel)('on the kernel', () => {
    it('gives the recorded verdict and message for every program', async () => {
      const paths = buildCorpus();
      const reports = await verifyObjectsOnKernel(paths);
      const objects = corpusObjects();
      const now: string[] = [];
      reports.forEach((r, i) => {
        if (r instanceof Error) now.push(`${objects[i]}: ${r.message}`);
        else for (const p of r.programs) now.push(`${objects[i]} ${p.program}: ${verdictText(p)}`);
      });
      const recorded = readKernelVerdicts().map((v) => `${v.object} ${v.program}: ${verdictText(v)}`);
      expect(now.sort()).toEqual(recorded.sort());
    }, 600_000);
  });
});

describe('README', () => {
  it("shows the verifier's and the kernel's verdict on bpf/tests/verify_example.c as they are", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const spec = loadObjectFile(testObject('verify_example'));
    const [ours] = verifyObject(spec).programs;
    expect(readme).toContain(`xdp_count_class (xdp): rejected: ${ours!.error}`);
    expect(readme).toContain(`${ours!.error}\nprocessed ${ours!.insns_processed} insns`);
    if (kernel) {
      const [k] = (await verifyOnKernel(testObject('verify_example'))).programs;
      expect(k!.error).toBe(ours!.error);
    }
  }, 60_000);
});
