/**
 * Asks this kernel which loads through socket pointers its verifier allows: the socket-read probe
 * programs of test/verifier/sock-access-probe.ts (every offset and size of struct bpf_sock through
 * `sock` and `sock_common`, of struct bpf_tcp_sock and struct bpf_xdp_sock), each loaded alone in
 * the kernel backend's private namespaces. Writes the verdicts to
 * test/verifier/sock-access-probe.json and prints the accepted (pointer, offset, size) triples.
 * Needs root.
 *
 *   npx tsx scripts/verifier-sock-access.ts
 */
import { writeFileSync } from 'node:fs';
import { verifyObjectsOnKernel } from '../src/kernel/index.js';
import { buildSockProbe, SOCK_PROBE_VERDICTS_PATH, sockProbes, type SockProbeVerdict } from '../test/verifier/sock-access-probe.js';

const probes = sockProbes();
const [report] = await verifyObjectsOnKernel([buildSockProbe(probes)]);
if (!report || report instanceof Error) {
  console.error(`the kernel could not load the probe: ${report?.message ?? 'no report'}`);
  process.exit(1);
}
const verdicts: SockProbeVerdict[] = [];
const accepted = new Map<string, string[]>();
for (const p of probes) {
  const k = report.programs.find((q) => q.program === p.program);
  if (!k) {
    console.error(`${p.program}: no verdict from the kernel`);
    process.exit(1);
  }
  verdicts.push({ program: p.program, kernel: k.accepted ? 'accepted' : (k.error ?? '') });
  if (k.accepted) accepted.set(p.pointer, [...(accepted.get(p.pointer) ?? []), `${p.off}/${p.size}`]);
}
writeFileSync(SOCK_PROBE_VERDICTS_PATH, JSON.stringify(verdicts, null, 1) + '\n');
for (const [pointer, list] of accepted) console.log(`${pointer}: ${list.join(' ')}`);
console.log(`${verdicts.length} probes, ${verdicts.filter((v) => v.kernel === 'accepted').length} accepted; written to ${SOCK_PROBE_VERDICTS_PATH}`);
