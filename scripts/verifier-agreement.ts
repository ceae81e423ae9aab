/**
 * Runs every program of the verifier corpus and of the extra test objects corpus.ts names
 * (AGREEMENT_EXTRA_OBJECTS: the kernel's refusal as libbpf rewrites it for a CO-RE relocation that
 * did not resolve), or of the objects under the directories given,
 * through the real kernel and through bpfsim's verifier in one run, and prints how often they
 * agree, per rule (the object's file name up to its first dot): programs, verdict agreement, and
 * message agreement (same verdict and, for a rejection, the same message as the kernel's log ends
 * with). Needs root for the kernel.
 *
 *   npx tsx scripts/verifier-agreement.ts [--json] [--list] [--write-known] [DIR|OBJECT...]
 *
 * --list prints every disagreement after the table; --json prints one JSON object instead;
 * --write-known (corpus only) writes the disagreements to test/verifier/known-disagreements.json,
 * the list test/verifier/agreement.test.ts requires to still disagree.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { verifyObjectsOnKernel } from '../src/kernel/index.js';
import type { ProgramVerdict } from '../src/verifier/types.js';
import { AGREEMENT_EXTRA_OBJECTS, buildCorpus, KNOWN_DISAGREEMENTS_PATH, ROOT, verdictText, type KnownDisagreement } from '../test/verifier/corpus.js';
import { ourReports } from '../test/verifier/ours.js';

interface Row {
  rule: string;
  programs: number;
  verdicts: number;
  messages: number;
}

interface Disagreement {
  object: string;
  program: string;
  kernel: string;
  ours: string;
}

function objectsUnder(dir: string): string[] {
  if (!statSync(dir).isDirectory()) return dir.endsWith('.o') ? [dir] : [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...objectsUnder(p));
    else if (name.endsWith('.o')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const json = args.includes('--json');
const list = args.includes('--list');
const writeKnown = args.includes('--write-known');
const dirs = args.filter((a) => !a.startsWith('--'));
if (writeKnown && dirs.length > 0) {
  console.error('--write-known is for the corpus only');
  process.exit(2);
}
const objects = dirs.length > 0 ? dirs.flatMap((d) => objectsUnder(resolve(d))) : [...buildCorpus(), ...AGREEMENT_EXTRA_OBJECTS.map((o) => join(ROOT, o))];
if (objects.length === 0) {
  console.error(`no .o files under ${dirs.join(', ')}`);
  process.exit(2);
}

const kernelReports = await verifyObjectsOnKernel(objects);
const timeoutMs = 120_000;
const ourAll = await ourReports(objects, timeoutMs);
const rows = new Map<string, Row>();
const disagreements: Disagreement[] = [];
const describe = (v: ProgramVerdict | undefined, err?: Error) => (err ? `error: ${err.message}` : v ? verdictText(v) : 'not verified');

objects.forEach((path, i) => {
  const object = relative(ROOT, path).startsWith('..') ? path : relative(ROOT, path);
  const rule = basename(path).split('.')[0]!;
  const row = rows.get(rule) ?? { rule, programs: 0, verdicts: 0, messages: 0 };
  rows.set(rule, row);
  const kernel = kernelReports[i]!;
  const mine = ourAll[i]!;
  const ours = 'error' in mine ? new Error(mine.error.message) : mine;
  const names = new Set<string>();
  if (!(kernel instanceof Error)) kernel.programs.forEach((p) => names.add(p.program));
  if (!(ours instanceof Error)) ours.programs.forEach((p) => names.add(p.program));
  if (!(ours instanceof Error)) ours.timedOut.forEach((p) => names.add(p));
  if (names.size === 0 && (kernel instanceof Error || ours instanceof Error)) {
    row.programs += 1;
    const k = kernel instanceof Error ? `error: ${kernel.message}` : 'no programs';
    const o = ours instanceof Error ? `error: ${ours.message}` : 'no programs';
    if (k === o) {
      row.verdicts += 1;
      row.messages += 1;
    } else disagreements.push({ object, program: '*', kernel: k, ours: o });
    return;
  }
  for (const name of names) {
    row.programs += 1;
    const k = kernel instanceof Error ? undefined : kernel.programs.find((p) => p.program === name);
    const o = ours instanceof Error ? undefined : ours.programs.find((p) => p.program === name);
    const kt = describe(k, kernel instanceof Error ? kernel : undefined);
    const ot = !(ours instanceof Error) && ours.timedOut.includes(name) ? `no verdict in ${timeoutMs / 1000} s` : describe(o, ours instanceof Error ? ours : undefined);
    if (k && o && k.accepted === o.accepted) row.verdicts += 1;
    if (k && o && kt === ot) row.messages += 1;
    else disagreements.push({ object, program: name, kernel: kt, ours: ot });
  }
});

const table = [...rows.values()].sort((a, b) => a.rule.localeCompare(b.rule));
const total: Row = table.reduce((t, r) => ({ rule: 'total', programs: t.programs + r.programs, verdicts: t.verdicts + r.verdicts, messages: t.messages + r.messages }), { rule: 'total', programs: 0, verdicts: 0, messages: 0 });

if (json) {
  console.log(JSON.stringify({ rules: table, total, disagreements }, null, 1));
} else {
  const width = Math.max(5, ...table.map((r) => r.rule.length));
  const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);
  const line = (r: Row) =>
    `${r.rule.padEnd(width)}  ${String(r.programs).padStart(8)}  ${`${r.verdicts} (${pct(r.verdicts, r.programs)})`.padStart(14)}  ${`${r.messages} (${pct(r.messages, r.programs)})`.padStart(14)}`;
  console.log(`${'rule'.padEnd(width)}  ${'programs'.padStart(8)}  ${'same verdict'.padStart(14)}  ${'same message'.padStart(14)}`);
  for (const r of table) console.log(line(r));
  console.log(line(total));
  if (list) {
    console.log('');
    for (const d of disagreements) console.log(`${d.object} ${d.program}\n  kernel: ${d.kernel}\n  ours:   ${d.ours}`);
  }
}
if (writeKnown) {
  const known: KnownDisagreement[] = disagreements.map((d) => ({ object: d.object, program: d.program, ours: d.ours }));
  writeFileSync(KNOWN_DISAGREEMENTS_PATH, JSON.stringify(known, null, 1) + '\n');
  console.log(`${known.length} known disagreements written to ${KNOWN_DISAGREEMENTS_PATH}`);
}
