/**
 * Asks this kernel which socket-filter accesses to `struct __sk_buff` its verifier allows: the
 * probe programs of test/verifier/skb-ctx-probe.ts (every offset and size, load and store), each
 * loaded alone in the kernel backend's private namespaces. Writes the verdicts to
 * test/verifier/skb-ctx-probe.json and prints the accepted (offset, size) pairs. Needs root.
 *
 *   npx tsx scripts/verifier-skb-ctx.ts
 */
import { writeFileSync } from 'node:fs';
import { verifyObjectsOnKernel } from '../src/kernel/index.js';
import { buildSkbCtxProbe, SKB_CTX_PROBE_VERDICTS_PATH, skbCtxProbes, type SkbCtxProbeVerdict } from '../test/verifier/skb-ctx-probe.js';

const probes = skbCtxProbes();
const [report] = await verifyObjectsOnKernel([buildSkbCtxProbe(probes)]);
if (!report || report instanceof Error) {
  console.error(`the kernel could not load the probe: ${report?.message ?? 'no report'}`);
  process.exit(1);
}
const verdicts: SkbCtxProbeVerdict[] = [];
const accepted: Record<'load' | 'store', string[]> = { load: [], store: [] };
for (const p of probes) {
  const k = report.programs.find((q) => q.program === p.program);
  if (!k) {
    console.error(`${p.program}: no verdict from the kernel`);
    process.exit(1);
  }
  verdicts.push({ program: p.program, kernel: k.accepted ? 'accepted' : (k.error ?? '') });
  if (k.accepted) accepted[p.write ? 'store' : 'load'].push(`${p.off}/${p.size}`);
}
writeFileSync(SKB_CTX_PROBE_VERDICTS_PATH, JSON.stringify(verdicts, null, 1) + '\n');
console.log(`load: ${accepted.load.join(' ')}`);
console.log(`store: ${accepted.store.join(' ')}`);
console.log(`${verdicts.length} probes, ${verdicts.filter((v) => v.kernel === 'accepted').length} accepted; written to ${SKB_CTX_PROBE_VERDICTS_PATH}`);
