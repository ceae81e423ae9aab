/**
 * Quick speed check of the two engines on case files: ns per run of Program.run (context and
 * packet setup included, as BPF_PROG_TEST_RUN's figure includes its own fixed cost) and of the
 * bare Executable.run on an unchanged packet. Usage:
 *   npx tsx scripts/wasm-speed.ts [CASE.json...] [--ms 500]
 * Not a timed test: the targets are checked by `npm run bench`.
 */
import { readCase } from '../src/sim/case.js';
import { objectForCase } from '../src/sim/run-case.js';
import { BpfObject } from '../src/sim/object.js';
import { compileProgram } from '../src/vm/wasm/compiler.js';
import { UNKNOWN_HELPER_SHAPE } from '../src/vm/env.js';

const args = process.argv.slice(2);
const msIdx = args.indexOf('--ms');
const budgetMs = msIdx >= 0 ? Number(args.splice(msIdx, 2)[1]) : 500;
const cases = args.length > 0 ? args : ['fixtures/cases/xdp_blacklist_v4_denied.json', 'fixtures/cases/tc_stateful_known_reply.json', 'fixtures/cases/xdp_lb_tx.json'];

function measure(fn: () => void): number {
  for (let i = 0; i < 2000; i++) fn();
  let runs = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(budgetMs) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 1000; i++) fn();
    runs += 1000;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / runs;
}

const rows: string[][] = [['case', 'engine', 'ns/run (Program.run)', 'retval']];
for (const path of cases) {
  const c = await readCase(path);
  const results: Record<string, number> = {};
  for (const engine of ['interp', 'wasm'] as const) {
    const program = objectForCase(c, await BpfObject.readSpec(c.objectPath, c.type), { engine, keyWarnings: false }).program(c.program);
    let retval = 0;
    const options = { ctx: c.ctx ?? {} };
    const ns = measure(() => {
      retval = program.run(c.packet, options).retval;
    });
    results[engine] = ns;
    rows.push([path.split('/').pop()!, engine, ns.toFixed(0), String(retval)]);
  }
  rows.push(['', 'ratio', `${(results.interp! / results.wasm!).toFixed(1)}x`, '']);
}
for (const r of rows) console.log(r.map((c, i) => c.padEnd(i === 0 ? 36 : 22)).join(''));

// Compile time of a ~4,000-instruction program: straight-line ALU and stack work, forward
// branches and a bounded loop, the shape of a large clang-compiled object.
const insns = [];
for (let i = 0; i < 1000; i++) {
  insns.push({ opcode: 0xb7, dst: 1, src: 0, off: 0, imm: i });
  insns.push({ opcode: 0x7b, dst: 10, src: 1, off: -8 - (i % 32) * 8, imm: 0 });
  insns.push({ opcode: 0x79, dst: 2, src: 10, off: -8 - ((i + 3) % 32) * 8, imm: 0 });
  insns.push({ opcode: 0x55, dst: 2, src: 0, off: 0, imm: i });
}
insns.push({ opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 0 });
insns.push({ opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
const spec = { name: 'big', sectionName: 'xdp', type: 6, insns, functions: [{ name: 'big', pc: 0 }], lines: [], flags: 0 };
const times: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  compileProgram(spec, () => 0n, () => UNKNOWN_HELPER_SHAPE);
  times.push(performance.now() - t0);
}
console.log(`compile ${insns.length} insns: ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
