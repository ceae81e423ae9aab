/**
 * The verifier's speed: every example and test program, and synthetic 4,000-instruction XDP
 * programs (a packet parser with branches, and the same with a bounded loop in front), verified
 * with bpfsim's verifier; for each, the instructions processed (as the kernel counts them) and
 * the median time of a few runs.
 *
 *   npx tsx scripts/bench-verifier.ts [--json] [--runs N]
 *
 * Not a test: nothing fails on a slow figure. The load average is printed with the results,
 * since other work on the machine slows everything.
 */
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alu64, exit, jmp, label, link, mem as insn, R0, R1, R2, R3, R8, R10, type Built, type Label } from '../src/isa/builder.js';
import { loadObjectFile } from '../src/loader/load-object.js';
import type { ObjectSpec, ProgramSpec } from '../src/loader/spec.js';
import { syntheticProgram } from '../src/sim/bench.js';
import { verifyProgram } from '../src/verifier/index.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2);
const json = args.includes('--json');
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : 5;

/** The synthetic parser with a 16-iteration loop over the first packet bytes in front of it. */
function syntheticWithLoop(): ProgramSpec {
  const base = syntheticProgram(3960);
  const loop: (Built | Label)[] = [
    insn.load('u32', R2, R1, 0),
    insn.load('u32', R3, R1, 4),
    alu64.mov.imm(R8, 0),
    label('loop'),
    jmp.jge.imm(R8, 16, 'done'),
    alu64.mov.reg(R0, R2),
    alu64.add.reg(R0, R8),
    alu64.add.imm(R0, 1),
    jmp.jgt.reg(R0, R3, 'done'),
    alu64.add.imm(R8, 1),
    jmp.ja('loop'),
    label('done'),
    insn.storeImm('u64', R10, -8, 0),
  ];
  const head = link([...loop, exit()]).slice(0, -1);
  // The base program starts with its own loads of data/data_end, so it follows the loop as is.
  return { ...base, name: 'synthetic_loop', insns: [...head, ...base.insns] };
}

interface Row {
  program: string;
  insns: number;
  processed: number;
  accepted: boolean;
  ms: number;
}

function measure(spec: ObjectSpec, prog: ProgramSpec, label: string): Row {
  const times: number[] = [];
  let last = verifyProgram(spec, prog);
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    last = verifyProgram(spec, prog);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { program: label, insns: prog.insns.length, processed: last.insns_processed, accepted: last.accepted, ms: Number(times[times.length >> 1]!.toFixed(2)) };
}

const rows: Row[] = [];
for (const dir of ['build/bpf', 'build/bpf/tests']) {
  for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.o')).sort()) {
    let spec: ObjectSpec;
    try {
      spec = loadObjectFile(join(ROOT, dir, file));
    } catch {
      continue;
    }
    for (const p of spec.programs) rows.push(measure(spec, p, `${dir.replace('build/bpf', '') || '.'}/${file}:${p.name}`));
  }
}
const empty: ObjectSpec = { license: 'GPL', programs: [], maps: [] };
for (const p of [syntheticProgram(4000), syntheticWithLoop()]) rows.push(measure({ ...empty, programs: [p] }, p, p.name));

if (json) process.stdout.write(JSON.stringify({ loadavg: loadavg()[0], rows }) + '\n');
else {
  console.log(`load average ${loadavg()[0]!.toFixed(2)}; median of ${RUNS} runs`);
  console.log('program'.padEnd(48) + 'insns'.padStart(7) + 'processed'.padStart(11) + 'ms'.padStart(10) + '  verdict');
  for (const r of rows) console.log(r.program.padEnd(48) + String(r.insns).padStart(7) + String(r.processed).padStart(11) + r.ms.toFixed(2).padStart(10) + `  ${r.accepted ? 'accepted' : 'rejected'}`);
}
