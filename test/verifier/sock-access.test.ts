/**
 * Loads through socket pointers against this kernel: the socket-read probe programs
 * (sock-access-probe.ts), every offset and size of struct bpf_sock through `sock` and
 * `sock_common`, of struct bpf_tcp_sock and struct bpf_xdp_sock, with the kernel's verdicts
 * recorded by scripts/verifier-sock-access.ts. Our verifier must give each the kernel's verdict
 * and message.
 */
import { describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../src/loader/load-object.js';
import { verifyObject } from '../../src/verifier/index.js';
import { verdictText } from './corpus.js';
import { buildSockProbe, readSockProbeVerdicts, sockProbes } from './sock-access-probe.js';

const recorded = readSockProbeVerdicts();

describe('loads through socket pointers', () => {
  it('probes the programs the recorded verdicts cover (rerun scripts/verifier-sock-access.ts when they differ)', () => {
    expect(sockProbes().map((p) => p.program)).toEqual(recorded.map((r) => r.program));
  });

  it('has accepted and refused loads for every pointer type', () => {
    for (const pointer of ['sock', 'sock_common', 'tcp_sock', 'xdp_sock']) {
      const mine = recorded.filter((r) => r.program.startsWith(`${pointer}_`) && (pointer !== 'sock' || !r.program.startsWith('sock_common')));
      expect([pointer, mine.some((r) => r.kernel === 'accepted'), mine.some((r) => r.kernel.includes(`invalid ${pointer} access`))]).toEqual([pointer, true, true]);
    }
  });

  it('gives every probe program the kernel verdict and message', () => {
    const report = verifyObject(loadObjectFile(buildSockProbe()));
    const ours = new Map(report.programs.map((p) => [p.program, verdictText(p)]));
    const differences = recorded
      .map((r) => ({ program: r.program, kernel: r.kernel === 'accepted' ? 'accepted' : `rejected: ${r.kernel}`, ours: ours.get(r.program) }))
      .filter((d) => d.kernel !== d.ours);
    expect(differences).toEqual([]);
  });
});
