/**
 * Socket-filter accesses to `struct __sk_buff` against this kernel: the probe programs of
 * skb-ctx-probe.ts (every offset and size, load and store), with the kernel's verdicts recorded by
 * scripts/verifier-skb-ctx.ts. Our verifier must give each the kernel's verdict and message, and the
 * VM's run-time rule (skFilterCtxRule) must allow exactly the accesses the kernel accepts.
 */
import { describe, expect, it } from 'vitest';
import { skFilterCtxRule } from '../../src/helpers/context-skb.js';
import { loadObjectFile } from '../../src/loader/load-object.js';
import { verifyObject } from '../../src/verifier/index.js';
import { verdictText } from './corpus.js';
import { buildSkbCtxProbe, readSkbCtxProbeVerdicts, skbCtxProbes } from './skb-ctx-probe.js';

const recorded = readSkbCtxProbeVerdicts();
const probes = skbCtxProbes();

describe('socket-filter __sk_buff accesses', () => {
  it('probes the programs the recorded verdicts cover (rerun scripts/verifier-skb-ctx.ts when they differ)', () => {
    expect(probes.map((p) => p.program)).toEqual(recorded.map((r) => r.program));
  });

  it('has accepted and refused loads and stores', () => {
    const byProgram = new Map(recorded.map((r) => [r.program, r.kernel]));
    for (const write of [false, true]) {
      const mine = probes.filter((p) => p.write === write).map((p) => byProgram.get(p.program));
      expect([write, mine.includes('accepted'), mine.some((k) => k !== 'accepted')]).toEqual([write, true, true]);
    }
  });

  it('gives every probe program the kernel verdict and message', () => {
    const report = verifyObject(loadObjectFile(buildSkbCtxProbe()));
    const ours = new Map(report.programs.map((p) => [p.program, verdictText(p)]));
    const differences = recorded
      .map((r) => ({ program: r.program, kernel: r.kernel === 'accepted' ? 'accepted' : `rejected: ${r.kernel}`, ours: ours.get(r.program) }))
      .filter((d) => d.kernel !== d.ours);
    expect(differences).toEqual([]);
  });

  it('lets the VM run exactly the accesses the kernel accepts', () => {
    const kernel = new Map(recorded.map((r) => [r.program, r.kernel === 'accepted']));
    const differences = probes.filter((p) => skFilterCtxRule(p.off, p.size, p.write) !== kernel.get(p.program)).map((p) => p.program);
    expect(differences).toEqual([]);
  });
});
