import type { Command } from 'commander';
import { readCase } from '../sim/case.js';
import { parityOfCase } from '../sim/parity-case.js';
import { action, btfFlagPath, BTF_OPTION, errorLine, EXIT, printJson, withBtfFlag, colors as pc } from './common.js';

interface ParityFlags {
  engine: 'wasm' | 'interp';
  json?: boolean;
  btf?: string;
}

/** Registers `bpfsim parity CASE.json...`: every case on the VM and the kernel, and their differences. */
export function register(program: Command): void {
  program
    .command('parity')
    .description('run every case on the VM and on the kernel and print each difference')
    .argument('<cases...>', 'case files (JSON)')
    .option('--engine <engine>', 'VM engine: wasm or interp', 'wasm')
    .option('--json', 'print one JSON object')
    .option(...BTF_OPTION)
    .action(action(async (paths: string[], flags: ParityFlags) => parityCommand(paths, flags)));
}

async function parityCommand(paths: string[], flags: ParityFlags): Promise<number> {
  // A bad --btf is the command's error, not each case's.
  if (flags.btf !== undefined) btfFlagPath(flags.btf);
  const report: { case: string; agree: boolean; differences?: string[]; refused?: { vm: string | null; kernel: string | null }; error?: string }[] = [];
  for (const path of paths) {
    try {
      const { differences, refused } = await parityOfCase(withBtfFlag(await readCase(path), flags.btf), flags.engine);
      report.push({
        case: path,
        agree: differences.length === 0,
        differences: differences.map((d) => d.message),
        ...(refused ? { refused: { vm: refused.vm?.errno ?? null, kernel: refused.kernel?.errno ?? null } } : {}),
      });
    } catch (err) {
      // Errors reading the case already start with its path; the others get it here.
      const line = errorLine(err).replace(/^bpfsim: /, '');
      report.push({ case: path, agree: false, error: line.startsWith(`${path}: `) ? line.slice(path.length + 2) : line });
    }
  }
  if (flags.json) {
    printJson({ cases: report, agree: report.filter((r) => r.agree).length, differ: report.filter((r) => r.differences?.length).length, errors: report.filter((r) => r.error).length });
  } else {
    for (const r of report) {
      if (r.error) process.stdout.write(`${pc.red('error')} ${r.case}: ${r.error}\n`);
      else if (r.agree) process.stdout.write(`${pc.green('agree')} ${r.case}${r.refused ? ` (both refuse it with ${r.refused.vm})` : ''}\n`);
      else {
        process.stdout.write(`${pc.yellow('differ')} ${r.case}\n`);
        for (const d of r.differences!) process.stdout.write(`  ${d}\n`);
      }
    }
  }
  if (report.some((r) => r.error)) {
    for (const r of report) if (r.error) process.stderr.write(`bpfsim: ${r.case}: ${r.error}\n`);
    return EXIT.CANNOT_RUN;
  }
  return report.every((r) => r.agree) ? EXIT.OK : EXIT.FAILED;
}
