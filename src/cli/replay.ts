import { statSync } from 'node:fs';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import { CaseError } from '../internal/errors.js';
import { readCase } from '../sim/case.js';
import { replayCaptures, type CaptureStats, type ChecksumCounts, type PacketVerdict } from '../sim/replay.js';
import { replayInWorkers } from '../sim/replay-jobs.js';
import { action, BTF_OPTION, EXIT, printJson, withBtfFlag } from './common.js';

interface ReplayFlags {
  pcap: string[];
  out?: string;
  json?: boolean;
  perPacket?: boolean;
  engine: string;
  btf?: string;
  cpus?: string;
  jobs?: string;
  progress?: boolean;
}

/** Registers `bpfsim replay CASE.json --pcap IN... [--out OUT.pcapng] [--json [--per-packet]] [--cpus N] [--jobs N] [--engine wasm|interp]`. */
export function register(program: Command): void {
  program
    .command('replay')
    .description("run the case's program on every packet of pcap or pcapng captures, in order, with map state carried over")
    .argument('<case>', 'case file (JSON); its packet is not needed')
    .requiredOption('--pcap <file...>', 'input captures, pcap or pcapng (- for stdin); several run one after the other on one machine')
    .option('--out <file>', 'write the packets that leave to this pcapng file, one interface per egress (- for stdout)')
    .option('--engine <engine>', 'wasm or interp', 'wasm')
    .option('--cpus <n>', 'steer packets to N simulated CPUs by their flow hash (RSS); per-CPU maps and bpf_get_smp_processor_id see it')
    .option('--jobs <n>', 'replay the captures in N worker threads, each on its own machine starting from the case (independent runs)')
    .option('--json', 'print one JSON object')
    .option('--per-packet', 'with --json: first one JSON line per packet (capture, packet, action, retval, cpu, egress)')
    .option('--no-progress', 'no progress bar (it shows only on a terminal, never with --json)')
    .option(...BTF_OPTION)
    .action(action(async (casePath: string, flags: ReplayFlags) => replayCommand(casePath, flags)));
}

/** A file's size, 0 when it cannot be read (the replay reports why). */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** A positive integer option, else a one-line CaseError. */
function positive(name: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max) throw new CaseError('cli/bad-option', `--${name}: expected an integer from 1 to ${max}, got '${text}'`);
  return n;
}

async function replayCommand(casePath: string, flags: ReplayFlags): Promise<number> {
  if (flags.engine !== 'wasm' && flags.engine !== 'interp') throw new CaseError('cli/bad-option', `--engine: expected wasm or interp, got '${flags.engine}'`);
  if (flags.out === '-' && flags.json) throw new CaseError('cli/bad-option', '--out - and --json would both write to standard output');
  if (flags.perPacket && !flags.json) throw new CaseError('cli/bad-option', '--per-packet: needs --json');
  const cpus = positive('cpus', flags.cpus, 4096);
  const jobs = positive('jobs', flags.jobs, 256);
  const pcaps = flags.pcap;
  if (jobs !== undefined && (flags.out !== undefined || pcaps.includes('-') || flags.perPacket)) {
    throw new CaseError('cli/bad-option', '--jobs: each capture runs on its own machine in its own thread: no --out, --per-packet or stdin (-) with it');
  }
  if (pcaps.filter((p) => p === '-').length > 1) throw new CaseError('cli/bad-option', '--pcap: standard input (-) can be read once');
  const c = withBtfFlag(await readCase(casePath, true), flags.btf);
  const bar = flags.json || flags.progress === false || flags.out === '-' || !process.stderr.isTTY ? undefined : new cliProgress.SingleBar({ format: 'replay {bar} {percentage}% {packets} packets {duration_formatted}', stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  // The bar follows the bytes read out of the files' total; from stdin it counts packets alone.
  const totalBytes = pcaps.includes('-') ? 0 : pcaps.reduce((sum, p) => sum + sizeOf(p), 0);
  bar?.start(totalBytes, 0, { packets: 0 });
  const onProgress = bar ? (packets: number, bytes: number) => bar.update(totalBytes ? Math.min(bytes, totalBytes) : 0, { packets }) : undefined;
  const onPacket = flags.perPacket ? (v: PacketVerdict) => printJson({ capture: v.capture, packet: v.index, action: v.action, retval: v.retval, cpu: v.cpu, egress: v.egress }) : undefined;
  let stats: CaptureStats & { captures: CaptureStats[]; elapsedNs: number; packetsPerSecond: number };
  try {
    stats =
      jobs !== undefined
        ? await replayInWorkers(c, pcaps, { engine: flags.engine, ...(cpus && { cpus }), onProgress }, jobs)
        : await replayCaptures(c, pcaps.map((p) => (p === '-' ? process.stdin : p)), { engine: flags.engine, out: flags.out, ...(cpus && { cpus }), onProgress, onPacket });
  } finally {
    bar?.stop();
  }
  if (flags.json) {
    const summary = (s: CaptureStats) => ({ packets: s.packets, actions: s.actions, egress: s.egress, checksums: s.checksums, ...(s.cpus && { cpus: s.cpus }) });
    printJson({
      packets: stats.packets,
      actions: stats.actions,
      packets_per_second: Math.round(stats.packetsPerSecond),
      egress: stats.egress,
      checksums: stats.checksums,
      ...(stats.cpus && { cpus: stats.cpus }),
      ...(pcaps.length > 1 && { captures: stats.captures.map((s) => ({ pcap: s.source, ...summary(s) })) }),
    });
  } else {
    // With the capture on stdout, the summary goes to stderr.
    (flags.out === '-' ? process.stderr : process.stdout).write(formatSummary(stats, flags.out) + '\n');
  }
  return EXIT.OK;
}

const TABLE_STYLE = { head: [], border: [] };
const share = (n: number, of: number) => `${of ? ((100 * n) / of).toFixed(1) : '0.0'}%`;

/** The human summary: tables of verdicts, egress interfaces, checksums (and CPUs), then the throughput and where the output went. */
function formatSummary(stats: CaptureStats & { elapsedNs: number; packetsPerSecond: number }, out: string | undefined): string {
  const actions = new Table({ head: ['action', 'packets', 'share'], colAligns: ['left', 'right', 'right'], style: TABLE_STYLE });
  for (const [name, n] of Object.entries(stats.actions).sort((a, b) => b[1] - a[1])) actions.push([name, n, share(n, stats.packets)]);
  const lines = [actions.toString()];
  const left = Object.values(stats.egress).reduce((a, b) => a + b, 0);
  if (left > 0) {
    const egress = new Table({ head: ['egress', 'packets', 'share'], colAligns: ['left', 'right', 'right'], style: TABLE_STYLE });
    for (const [iface, n] of Object.entries(stats.egress).sort((a, b) => b[1] - a[1])) egress.push([iface, n, share(n, left)]);
    const sums = new Table({ head: ['checksums of packets out', 'ok', 'bad', 'none'], colAligns: ['left', 'right', 'right', 'right'], style: TABLE_STYLE });
    const row = (name: string, k: ChecksumCounts) => sums.push([name, k.ok, k.bad, k.none]);
    row('IPv4 header', stats.checksums.ip);
    row('TCP/UDP/ICMP', stats.checksums.l4);
    lines.push(egress.toString(), sums.toString());
  }
  if (stats.cpus) {
    const cpus = new Table({ head: ['cpu', 'packets', 'share'], colAligns: ['right', 'right', 'right'], style: TABLE_STYLE });
    for (const [cpu, n] of Object.entries(stats.cpus)) cpus.push([cpu, n, share(n, stats.packets)]);
    lines.push(cpus.toString());
  }
  lines.push(`${stats.packets} packets in ${(stats.elapsedNs / 1e6).toFixed(1)} ms (${Math.round(stats.packetsPerSecond)} packets/s)`);
  const egress = Object.entries(stats.egress).map(([iface, n]) => `${iface} ${n}`).join(', ');
  if (out !== undefined) lines.push(`wrote ${out}: ${egress || 'no packets left'}`);
  else if (egress) lines.push(`leaving: ${egress}`);
  return lines.join('\n');
}
