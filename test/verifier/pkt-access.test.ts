/**
 * `pkt_access` in the helper table against this kernel: the packet-pointer probe programs
 * (pkt-access-probe.ts), one per helper an XDP or TC program may call, with the kernel's verdicts
 * recorded by scripts/verifier-pkt-access.ts. The table's `pktAccess` must be what each verdict
 * shows, and our verifier must give each probe the kernel's verdict and message.
 */
import { describe, expect, it } from 'vitest';
import { PROTOS, type ProtoSymbol } from '../../src/helpers/protos.js';
import { loadObjectFile } from '../../src/loader/load-object.js';
import { verifyObject } from '../../src/verifier/index.js';
import { verdictText } from './corpus.js';
import { buildPktProbe, NO_PKT_ACCESS, pktProbes, readPktProbeVerdicts } from './pkt-access-probe.js';

const recorded = readPktProbeVerdicts();

describe('pkt_access in the helper table', () => {
  it('probes the helpers the recorded verdicts cover (rerun scripts/verifier-pkt-access.ts when they differ)', () => {
    expect(pktProbes().map((p) => `${p.program} ${p.symbol} R${p.reg}`)).toEqual(recorded.map((r) => `${r.program} ${r.symbol} R${r.reg}`));
  });

  it('records pkt_access as the kernel answers a packet pointer passed to each helper', () => {
    const differences = recorded
      .filter((r) => PROTOS[r.symbol as ProtoSymbol].pktAccess !== r.pktAccess)
      .map((r) => `${r.symbol}: kernel ${r.pktAccess ? 'accepts packet pointers' : 'refuses packet pointers'} (${r.program}: ${r.kernel})`);
    expect(differences).toEqual([]);
  });

  it('has prototypes of both kinds among the probes', () => {
    expect(recorded.filter((r) => r.pktAccess).length).toBeGreaterThan(10);
    expect(recorded.filter((r) => r.kernel === NO_PKT_ACCESS).length).toBeGreaterThan(100);
  });

  it('gives every probe program the kernel verdict and message', () => {
    const report = verifyObject(loadObjectFile(buildPktProbe()));
    const ours = new Map(report.programs.map((p) => [p.program, verdictText(p)]));
    const differences = recorded
      .map((r) => ({ program: r.program, kernel: r.kernel === 'accepted' ? 'accepted' : `rejected: ${r.kernel}`, ours: ours.get(r.program) }))
      .filter((d) => d.kernel !== d.ours);
    expect(differences).toEqual([]);
  });
});
