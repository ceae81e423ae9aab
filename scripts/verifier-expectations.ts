/**
 * Records the real kernel's verdict on every program of the verifier corpus into
 * test/verifier/kernel-verdicts.json: each program loaded alone (libbpf, in the kernel backend's
 * private namespaces), verdict and message (the log's last line without statistics). Refuses to
 * write when a program's verdict contradicts its name (`ok_*` rejected or `bad_*` accepted): such
 * a program does not test what it says. Needs root.
 *
 *   npx tsx scripts/verifier-expectations.ts
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { verifyObjectsOnKernel } from '../src/kernel/index.js';
import { corpusObjects, intendedVerdict, KERNEL_VERDICTS_PATH, ROOT, type KernelVerdict } from '../test/verifier/corpus.js';

execFileSync('bash', [join(ROOT, 'scripts', 'build-bpf.sh')], { stdio: 'inherit' });
const objects = corpusObjects();
const reports = await verifyObjectsOnKernel(objects.map((o) => join(ROOT, o)));
const verdicts: KernelVerdict[] = [];
const problems: string[] = [];
reports.forEach((report, i) => {
  const object = objects[i];
  if (report instanceof Error) {
    problems.push(`${object}: ${report.message}`);
    return;
  }
  for (const p of report.programs) {
    verdicts.push({ rule: basename(object, '.o').split('.')[0], object, program: p.program, type: p.type, accepted: p.accepted, error: p.error });
    const intended = intendedVerdict(p.program);
    if (intended === undefined) problems.push(`${object}: ${p.program}: name starts with neither ok_ nor bad_`);
    else if (intended !== p.accepted) problems.push(`${object}: ${p.program}: the kernel ${p.accepted ? 'accepts it' : `rejects it: ${p.error}`}`);
  }
});
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
writeFileSync(KERNEL_VERDICTS_PATH, JSON.stringify(verdicts, null, 1) + '\n');
const rules = new Set(verdicts.map((v) => v.rule));
const accepted = verdicts.filter((v) => v.accepted).length;
console.log(`${verdicts.length} programs in ${rules.size} rules: ${accepted} accepted, ${verdicts.length - accepted} rejected; written to ${KERNEL_VERDICTS_PATH}`);
