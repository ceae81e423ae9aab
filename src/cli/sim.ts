import type { Command } from 'commander';
import { CaseError } from '../internal/errors.js';
import { simulateCapture } from '../sim/topology-sim.js';
import { action, EXIT, printJson } from './common.js';

interface SimFlags {
  pcap: string;
  iface?: string;
  out?: string;
  json?: boolean;
  engine: string;
}

/** Registers `bpfsim sim TOPOLOGY.json --pcap IN [--iface NAME] [--out DIR] [--json] [--engine wasm|interp]`. */
export function register(program: Command): void {
  program
    .command('sim')
    .description('inject every packet of a capture on one interface of a topology of interfaces with XDP and TC programs, and follow each packet through them')
    .argument('<topology>', 'topology file (JSON)')
    .requiredOption('--pcap <file>', 'input capture, pcap or pcapng (- for stdin)')
    .option('--iface <name>', "the interface the packets arrive on (default: the topology's first)")
    .option('--out <dir>', 'write one pcapng capture per interface into this directory (<name>.pcapng)')
    .option('--engine <engine>', 'wasm or interp', 'wasm')
    .option('--json', 'print one JSON object: the hops and the packets per interface')
    .action(action(async (topologyPath: string, flags: SimFlags) => simCommand(topologyPath, flags)));
}

async function simCommand(topologyPath: string, flags: SimFlags): Promise<number> {
  if (flags.engine !== 'wasm' && flags.engine !== 'interp') throw new CaseError('cli/bad-option', `--engine: expected wasm or interp, got '${flags.engine}'`);
  const source = flags.pcap === '-' ? process.stdin : flags.pcap;
  const { run } = await simulateCapture(topologyPath, source, { engine: flags.engine, iface: flags.iface, out: flags.out });
  if (flags.json) {
    printJson(run);
    return EXIT.OK;
  }
  const lines = [`${run.packets} packets injected`];
  for (const [name, counts] of Object.entries(run.interfaces)) {
    lines.push(`${name}: wire ${counts.wire}, host ${counts.host}, xsk ${counts.xsk}, dropped ${counts.drop}`);
  }
  if (flags.out !== undefined) lines.push(`wrote ${Object.keys(run.interfaces).map((n) => `${n}.pcapng`).join(', ')} in ${flags.out}`);
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT.OK;
}
