import type { Command } from 'commander';
import { CaseError } from '../internal/errors.js';
import { runBpfTests, type BpfTestResult } from '../sim/bpf-tests.js';
import { action, EXIT, printJson, colors as pc } from './common.js';

/** `bpfsim test`: the PKTGEN/SETUP/CHECK tests of BPF objects (Cilium's bpf/tests convention), on the VM. */

interface TestFlags {
  json?: boolean;
  engine: string;
}

const LABEL = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP', error: 'ERROR' } as const;

function formatResult(r: BpfTestResult, indent: string, out: string[]): void {
  const label = LABEL[r.status];
  const colour = r.status === 'pass' ? pc.green : r.status === 'skip' ? pc.yellow : pc.red;
  const at = r.status === 'fail' ? r.logs.find((l) => l.source !== null)?.source : undefined;
  out.push(`${indent}${colour(label)} ${r.name}${at ? ` (${at})` : ''}${r.error ? `: ${r.error}` : ''}`);
  for (const log of r.logs) out.push(`${indent}    ${log.text}`);
  for (const sub of r.subtests) formatResult(sub, indent + '  ', out);
}

/** Registers `bpfsim test OBJECT... [--engine wasm|interp] [--json]`. */
export function register(program: Command): void {
  program
    .command('test')
    .description('run the PKTGEN/SETUP/CHECK test programs of BPF objects (sections tc|xdp/test/<name>/<stage>)')
    .argument('<objects...>', 'BPF ELF objects with test programs')
    .option('--engine <engine>', 'wasm or interp', 'wasm')
    .option('--json', 'print one JSON object')
    .action(
      action(async (objects: string[], flags: TestFlags) => {
        if (flags.engine !== 'wasm' && flags.engine !== 'interp') throw new CaseError('cli/bad-option', `--engine: expected wasm or interp, got '${flags.engine}'`);
        const reports: { object: string; tests: BpfTestResult[] }[] = [];
        for (const object of objects) reports.push({ object, tests: await runBpfTests(object, { engine: flags.engine }) });
        const all = reports.flatMap((r) => r.tests);
        const ok = all.every((t) => t.status === 'pass' || t.status === 'skip');
        if (flags.json) {
          printJson({ objects: reports, passed: all.filter((t) => t.status === 'pass').length, failed: all.filter((t) => t.status === 'fail' || t.status === 'error').length, skipped: all.filter((t) => t.status === 'skip').length });
        } else {
          const out: string[] = [];
          for (const r of reports) {
            out.push(`${r.object}:`);
            for (const t of r.tests) formatResult(t, '  ', out);
          }
          const count = (s: string) => all.filter((t) => t.status === s).length;
          out.push(`${count('pass')} passed, ${count('fail') + count('error')} failed, ${count('skip')} skipped`);
          process.stdout.write(out.join('\n') + '\n');
        }
        return ok ? EXIT.OK : EXIT.FAILED;
      }),
    );
}
