/**
 * Asks this kernel, for every helper an XDP or TC program may call, whether its prototype has
 * `pkt_access`: the packet-pointer probe programs of test/verifier/pkt-access-probe.ts, each
 * loaded alone (libbpf, in the kernel backend's private namespaces). Writes the verdicts to
 * test/verifier/pkt-access-probe.json and prints the helpers whose prototype allows packet
 * pointers. Needs root.
 *
 *   npx tsx scripts/verifier-pkt-access.ts
 */
import { writeFileSync } from 'node:fs';
import { verifyObjectsOnKernel } from '../src/kernel/index.js';
import { verdictText } from '../test/verifier/corpus.js';
import { buildPktProbe, NO_PKT_ACCESS, PKT_PROBE_VERDICTS_PATH, pktProbes, type PktProbeVerdict } from '../test/verifier/pkt-access-probe.js';

const probes = pktProbes();
const [report] = await verifyObjectsOnKernel([buildPktProbe(probes)]);
if (!report || report instanceof Error) {
  console.error(`the kernel could not load the probe: ${report?.message ?? 'no report'}`);
  process.exit(1);
}
const verdicts: PktProbeVerdict[] = [];
for (const p of probes) {
  const k = report.programs.find((q) => q.program === p.program);
  if (!k) {
    console.error(`${p.program}: no verdict from the kernel`);
    process.exit(1);
  }
  const kernel = k.accepted ? 'accepted' : (k.error ?? '');
  verdicts.push({ program: p.program, helper: p.helper, symbol: p.symbol, reg: p.reg, kernel, pktAccess: kernel !== NO_PKT_ACCESS });
  if (kernel !== NO_PKT_ACCESS) console.log(`${p.program.padEnd(40)} ${verdictText(k)}`);
}
writeFileSync(PKT_PROBE_VERDICTS_PATH, JSON.stringify(verdicts, null, 1) + '\n');
console.log(`${verdicts.length} probes, ${verdicts.filter((v) => v.pktAccess).length} with pkt_access; written to ${PKT_PROBE_VERDICTS_PATH}`);
