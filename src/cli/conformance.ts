import type { Command } from 'commander';
import { SimError } from '../internal/errors.js';
import { runConformance } from '../sim/conformance.js';
import { getEngine } from '../vm/engines.js';
import { action, EXIT, printJson, colors as pc } from './common.js';

interface ConformanceFlags {
  engine: string;
  json?: boolean;
}

/** Registers `bpfsim conformance DIR`: runs bpf_conformance `.data` files on an engine. */
export function register(program: Command): void {
  program
    .command('conformance')
    .description('run bpf_conformance .data tests on an engine')
    .argument('<dir>', 'directory of .data files')
    .option('--engine <engine>', 'wasm or interp', 'wasm')
    .option('--json', 'print {"total", "passed", "failed"} as one JSON object')
    .action(action(async (dir: string, flags: ConformanceFlags) => conformanceCommand(dir, flags)));
}

async function conformanceCommand(dir: string, flags: ConformanceFlags): Promise<number> {
  if (flags.engine !== 'wasm' && flags.engine !== 'interp') throw new SimError('cli/bad-option', `--engine: expected wasm or interp, got '${flags.engine}'`);
  const summary = await runConformance(dir, getEngine(flags.engine));
  if (flags.json) {
    printJson({ total: summary.total, passed: summary.passed, failed: summary.failed });
  } else {
    for (const o of summary.outcomes) if (!o.passed) process.stdout.write(`${pc.red('FAIL')} ${o.name}: ${o.reason}\n`);
    const colour = summary.failed.length ? pc.red : pc.green;
    process.stdout.write(colour(`${summary.passed}/${summary.total} passed`) + ` (engine ${flags.engine})\n`);
  }
  return summary.failed.length ? EXIT.FAILED : EXIT.OK;
}
