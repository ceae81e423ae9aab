import type { Command } from 'commander';
import type { RunResult } from '../internal/contract.js';
import { CaseError, VmFault } from '../internal/errors.js';
import { readCase } from '../sim/case.js';
import { runCase } from '../sim/backend.js';
import { resultJson, type CaseResult } from '../sim/result.js';
import { formatTrace, type ExecTrace } from '../vm/trace.js';
import { unmetExpectations } from '../sim/run-case.js';
import { loadRefusal } from '../sim/verify-load.js';
import { action, BTF_OPTION, errorLine, errorObject, EXIT, printJson, withBtfFlag, colors as pc } from './common.js';

interface RunFlags {
  backend: string;
  engine: string;
  json?: boolean;
  trace?: boolean;
  coverage?: string;
  eventType: string[];
  btf?: string;
  verify: boolean;
}

/** Registers `bpfsim run CASE.json`. */
export function register(program: Command): void {
  program
    .command('run')
    .description('run one case on the VM or the kernel and print the result')
    .argument('<case>', 'case file (JSON)')
    .option('--backend <backend>', 'vm or kernel', 'vm')
    .option('--engine <engine>', 'wasm or interp (vm backend)', 'wasm')
    .option('--json', 'print the result as one JSON object')
    .option(...BTF_OPTION)
    .option('--trace', 'print the executed C lines and instructions with the registers they changed, loops collapsed (interpreter)')
    .option('--coverage <file>', 'write line coverage as lcov')
    .option('--no-verify', 'run a program the verifier refuses, with the run-time checks only (vm backend)')
    .option('--event-type <map=type>', 'decode records of a ring buffer or perf event array as this BTF type (repeatable)', (v: string, all: string[]) => [...all, v], [])
    .action(action(async (casePath: string, flags: RunFlags) => runCommand(casePath, flags)));
}

async function runCommand(casePath: string, flags: RunFlags): Promise<number> {
  if (flags.backend !== 'vm' && flags.backend !== 'kernel') throw new CaseError('cli/bad-option', `--backend: expected vm or kernel, got '${flags.backend}'`);
  if (flags.engine !== 'wasm' && flags.engine !== 'interp') throw new CaseError('cli/bad-option', `--engine: expected wasm or interp, got '${flags.engine}'`);
  const c = withBtfFlag(await readCase(casePath), flags.btf);
  let result: CaseResult;
  try {
    result = await runCase(c, {
      backend: flags.backend as 'vm' | 'kernel',
      engine: flags.engine as 'wasm' | 'interp',
      trace: flags.trace === true,
      coverage: flags.coverage,
      eventTypes: parseEventTypes(flags.eventType),
      verify: flags.verify,
    });
  } catch (err) {
    // The trace up to a fault comes before the fault's line.
    if (err instanceof VmFault) printTrace(err.execTrace);
    const refusal = loadRefusal(err);
    if (c.expect?.load === undefined || !refusal) throw err;
    // The case expects the load to fail: the refusal is its outcome, printed as when it was not expected.
    if (flags.json) printJson({ error: errorObject(err) });
    else process.stdout.write(`${pc.bold('refused at load')}: ${errorLine(err).replace(/^bpfsim: /, '')}\n`);
    if (refusal.error === c.expect.load) return EXIT.OK;
    process.stderr.write(`bpfsim: ${casePath}: expected the load to fail with '${c.expect.load}', got '${refusal.error}'\n`);
    return EXIT.FAILED;
  }
  printTrace(result.execTrace);
  const misses = unmetExpectations(c, result);
  if (flags.json) printJson(resultJson(result));
  else printHuman(resultJson(result));
  for (const miss of misses) process.stderr.write(`bpfsim: ${casePath}: ${miss}\n`);
  return misses.length ? EXIT.FAILED : EXIT.OK;
}

/** `--trace`: the instruction trace on stderr, as formatTrace prints it. */
function printTrace(trace: ExecTrace | undefined): void {
  if (trace) process.stderr.write(formatTrace(trace).map((line) => line + '\n').join(''));
}

function printHuman(result: RunResult): void {
  const lines = [`${pc.bold(result.action)} (retval ${result.retval})`];
  if (result.redirect) {
    const r = result.redirect;
    if (r.cpu !== undefined) lines.push(`redirect: cpu ${r.cpu}`);
    else if (r.xsk) lines.push(`redirect: AF_XDP socket ${r.xsk.map}[${r.xsk.key}] on queue ${r.xsk.queue}${r.xsk.received ? '' : ' (frame on another queue: dropped)'}`);
    else lines.push(`redirect${r.kind ? ` (${r.kind})` : ''}: ifindex ${r.ifindex} flags ${r.flags}${r.nexthop ? ` via ${r.nexthop}` : ''}`);
  }
  const t = result.tunnel;
  if (t) lines.push(`tunnel: id ${t.id} ${t.local} -> ${t.remote} tos ${t.tos} ttl ${t.ttl}${t.label ? ` label ${t.label}` : ''} [${t.flags.join(',')}]${t.options ? ` options ${t.options}` : ''}`);
  for (const clone of result.clones ?? []) lines.push(`clone: ifindex ${clone.ifindex} flags ${clone.flags}, ${clone.packet.length / 2} bytes`);
  lines.push(`packet: ${result.packet.length / 2} bytes ${result.packet}`);
  lines.push(`checksums: ip ${result.checksums.ip ?? '-'}, l4 ${result.checksums.l4 ?? '-'}`);
  for (const [name, entries] of Object.entries(result.maps)) {
    if (!entries.length) continue;
    lines.push(`map ${name}:`);
    for (const e of entries) lines.push(`  ${e.key} => ${e.program !== undefined ? `program ${e.program}` : e.values ? e.values.join(' | ') : e.value}`);
  }
  if (result.ctx) lines.push(`ctx: ${JSON.stringify(result.ctx)}`);
  for (const t of result.trace) lines.push(`trace: ${t}`);
  for (const e of result.events ?? []) lines.push(`event ${e.map} cpu ${e.cpu}: ${e.value === undefined ? e.data : JSON.stringify(e.value)}`);
  for (const w of result.warnings) lines.push(pc.yellow(`warning: ${w.message}${w.source ? ` (${w.source})` : ''}`));
  process.stdout.write(lines.join('\n') + '\n');
}

/** `--event-type rb=struct event` options as a map name → type name record. */
export function parseEventTypes(options: readonly string[]): Record<string, string> | undefined {
  if (options.length === 0) return undefined;
  const types: Record<string, string> = {};
  for (const option of options) {
    const eq = option.indexOf('=');
    if (eq <= 0 || eq === option.length - 1) throw new CaseError('cli/bad-option', `--event-type: expected MAP=TYPE, got '${option}'`);
    types[option.slice(0, eq)] = option.slice(eq + 1);
  }
  return types;
}
