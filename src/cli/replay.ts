import type { Command } from 'commander';
import Table from 'cli-table3';
import { CaseError } from '../internal/errors.js';
import { readCase } from '../sim/case.js';
import { replayCapture, type ReplayStats } from '../sim/replay.js';
import { action, BTF_OPTION, EXIT, printJson, withBtfFlag } from './common.js';

interface ReplayFlags {
  pcap: string;
  out?: string;
  json?: boolean;
  engine: string;
  btf?: string;
}

/** Registers `bpfsim replay CASE.json --pcap IN [--out OUT.pcapng] [--json] [--engine wasm|interp]`. */
export function register(program: Command): void {
  program
    .command('replay')
    .description("run the case's program on every packet of a pcap or pcapng capture, in order, with map state carried over")
    .argument('<case>', 'case file (JSON); its packet is not needed')
    .requiredOption('--pcap <file>', 'input capture, pcap or pcapng (- for stdin)')
    .option('--out <file>', 'write the packets that leave to this pcapng file, one interface per egress (- for stdout)')
    .option('--engine <engine>', 'wasm or interp', 'wasm')
    .option('--json', 'print one JSON object')
    .option(...BTF_OPTION)
    .action(action(async (casePath: string, flags: ReplayFlags) => replayCommand(casePath, flags)));
}

async function replayCommand(casePath: string, flags: ReplayFlags): Promise<number> {
  if (flags.engine !== 'wasm' && flags.engine !== 'interp') throw new CaseError('cli/bad-option', `--engine: expected wasm or interp, got '${flags.engine}'`);
  if (flags.out === '-' && flags.json) throw new CaseError('cli/bad-option', '--out - and --json would both write to standard output');
  const c = withBtfFlag(await readCase(casePath, true), flags.btf);
  const source = flags.pcap === '-' ? process.stdin : flags.pcap;
  const stats = await replayCapture(c, source, { engine: flags.engine, out: flags.out });
  if (flags.json) {
    printJson({ packets: stats.packets, actions: stats.actions, packets_per_second: Math.round(stats.packetsPerSecond), egress: stats.egress });
  } else {
    // With the capture on stdout, the summary goes to stderr.
    (flags.out === '-' ? process.stderr : process.stdout).write(formatSummary(stats, flags.out) + '\n');
  }
  return EXIT.OK;
}

/** The human summary: one row per verdict, then the throughput and where the output went. */
function formatSummary(stats: ReplayStats, out: string | undefined): string {
  const table = new Table({ head: ['action', 'packets', 'share'], colAligns: ['left', 'right', 'right'], style: { head: [], border: [] } });
  for (const [name, n] of Object.entries(stats.actions).sort((a, b) => b[1] - a[1])) {
    table.push([name, n, `${((100 * n) / stats.packets).toFixed(1)}%`]);
  }
  const lines = [table.toString(), `${stats.packets} packets in ${(stats.elapsedNs / 1e6).toFixed(1)} ms (${Math.round(stats.packetsPerSecond)} packets/s)`];
  const egress = Object.entries(stats.egress).map(([iface, n]) => `${iface} ${n}`).join(', ');
  if (out !== undefined) lines.push(`wrote ${out}: ${egress || 'no packets left'}`);
  else if (egress) lines.push(`leaving: ${egress}`);
  return lines.join('\n');
}
