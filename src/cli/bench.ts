import type { Command } from 'commander';
import { CaseError } from '../internal/errors.js';
import { benchCase } from '../sim/bench.js';
import { readCase } from '../sim/case.js';
import { action, EXIT, printJson } from './common.js';

interface BenchFlags {
  engine: string;
  json?: boolean;
  runs?: string;
}

/** Registers `bpfsim bench CASE.json [--engine wasm|interp] [--json] [--runs N]`. */
export function register(program: Command): void {
  program
    .command('bench')
    .description("repeat the case's run as BPF_PROG_TEST_RUN's repeat does and print the time per run")
    .argument('<case>', 'case file (JSON)')
    .option('--engine <engine>', 'wasm or interp', 'wasm')
    .option('--runs <n>', 'timed runs (default: as many as take about one second)')
    .option('--json', 'print one JSON object')
    .action(action(async (casePath: string, flags: BenchFlags) => benchCommand(casePath, flags)));
}

async function benchCommand(casePath: string, flags: BenchFlags): Promise<number> {
  if (flags.engine !== 'wasm' && flags.engine !== 'interp') throw new CaseError('cli/bad-option', `--engine: expected wasm or interp, got '${flags.engine}'`);
  let runs: number | undefined;
  if (flags.runs !== undefined) {
    runs = Number(flags.runs);
    if (!/^\d+$/.test(flags.runs) || !Number.isSafeInteger(runs) || runs < 1) throw new CaseError('cli/bad-option', `--runs: expected a positive integer, got '${flags.runs}'`);
  }
  const c = await readCase(casePath);
  const result = await benchCase(c, { engine: flags.engine, runs });
  const nsPerRun = Math.round(result.ns_per_run * 10) / 10;
  if (flags.json) {
    printJson({ ns_per_run: nsPerRun, runs: result.runs, engine: result.engine, retval: result.outcome.retval, action: result.outcome.action });
  } else {
    process.stdout.write(`${c.program} on ${result.engine}: ${nsPerRun} ns per run over ${result.runs} runs (last run ${result.outcome.action})\n`);
  }
  return EXIT.OK;
}
