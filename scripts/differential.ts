/**
 * Differential testing of the WebAssembly engine against the interpreter on many random programs
 * (the suite runs a few thousand; this runs as many as asked). Prints a summary of outcomes and
 * the first disagreements with their programs' genes, and exits 1 when any program disagrees.
 *   npx tsx scripts/differential.ts --runs 100000 [--seed N]
 */
import fc from 'fast-check';
import { disassemble } from '../src/isa/disasm.js';
import { getEngine } from '../src/vm/engines.js';
import { DiffMachine, buildProgram, programArb, runOutcome, type RandomProgram } from '../test/vm/differential-program.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const runs = opt('--runs', 10_000);
const seed = opt('--seed', Date.now() % 0x7fffffff);
const interp = getEngine('interp');
const wasm = getEngine('wasm');
const m = new DiffMachine();
const counts = new Map<string, number>();
let failures = 0;
const t0 = performance.now();

fc.assert(
  fc.property(programArb, (p: RandomProgram) => {
    const insns = buildProgram(p);
    const want = runOutcome(m, interp, insns, p.packetLen);
    const have = runOutcome(m, wasm, insns, p.packetLen);
    const kind = want.result.startsWith('r0=') ? 'exit' : want.result.split('@')[0]!;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    const same = want.result === 'vm/budget-exceeded' ? have.result === want.result : JSON.stringify(have) === JSON.stringify(want);
    if (!same && failures++ < 3) {
      console.log(`disagreement: interp ${want.result}, wasm ${have.result}`);
      for (const k of ['packet', 'stack', 'map'] as const) if (want[k] !== have[k]) console.log(`  ${k} differs`);
      for (const line of safeDisassemble(insns)) console.log(`  ${line}`);
    }
    return true;
  }),
  { numRuns: runs, seed },
);

function safeDisassemble(insns: Parameters<typeof disassemble>[0]): string[] {
  try {
    return disassemble(insns);
  } catch {
    return insns.map((insn) => JSON.stringify(insn));
  }
}

const secs = (performance.now() - t0) / 1000;
console.log(`${runs} programs in ${secs.toFixed(1)} s (seed ${seed}): ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')}; ${failures} disagreements`);
process.exit(failures > 0 ? 1 : 0);
