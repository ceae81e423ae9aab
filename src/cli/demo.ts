import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import Table from 'cli-table3';
import { LoadError } from '../internal/errors.js';
import { buildPacket, describePacket, type PacketSpec } from '../packet/index.js';
import { load } from '../sim/object.js';
import { action, EXIT, colors as pc } from './common.js';

/** The example the demo runs: the XDP source blacklist, built by scripts/build-bpf.sh. */
const DEMO_OBJECT = fileURLToPath(new URL('../../build/bpf/xdp_blacklist.o', import.meta.url));

const PACKETS: { what: string; spec: PacketSpec }[] = [
  { what: 'web request from a good host', spec: { ipv4: { src: '10.0.0.7', dst: '10.0.0.2' }, tcp: { sport: 40000, dport: 80, flags: 'S' } } },
  { what: 'SYN from a denied host', spec: { ipv4: { src: '10.0.0.66', dst: '10.0.0.2' }, tcp: { sport: 40001, dport: 22, flags: 'S' } } },
  { what: 'DNS from a denied host', spec: { ipv4: { src: '10.0.0.66', dst: '10.0.0.2' }, udp: { sport: 5353, dport: 53 }, payload: 'q' } },
  { what: 'IPv6 from a denied host', spec: { ipv6: { src: 'fd00::66', dst: 'fd00::2' }, tcp: { sport: 1, dport: 443, flags: 'S' } } },
  { what: 'IPv6 from a good host', spec: { ipv6: { src: 'fd00::7', dst: 'fd00::2' }, udp: { sport: 1, dport: 2 } } },
  { what: 'ARP request', spec: { arp: { op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tha: '00:00:00:00:00:00', tpa: '10.0.0.2' } } },
];

/** Registers `bpfsim demo`: the XDP blacklist example on a few packets, as a table. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('run the XDP blacklist example on a few packets and show the verdicts')
    .option('--engine <engine>', 'wasm or interp', 'wasm')
    .action(action(async (flags: { engine: 'wasm' | 'interp' }) => runDemo(flags.engine)));
}

async function runDemo(engine: 'wasm' | 'interp'): Promise<number> {
  if (!existsSync(DEMO_OBJECT)) throw new LoadError('load/unreadable', `${DEMO_OBJECT} is missing: run scripts/setup.sh first`);
  const obj = await load(DEMO_OBJECT, { engine, cpus: 2 });
  obj.map('deny_v4').set('10.0.0.66', 0);
  obj.map('deny_v6').set('fd00::66', 0);
  const blacklist = obj.program('xdp_blacklist');

  console.log(pc.bold('bpfsim demo: bpf/xdp_blacklist.c on the ' + engine + ' engine'));
  console.log('denied sources: 10.0.0.66, fd00::66\n');
  const table = new Table({ head: ['#', 'packet', 'what', 'verdict'], style: pc.isColorSupported ? {} : { head: [], border: [] } });
  PACKETS.forEach(({ what, spec }, i) => {
    const frame = buildPacket(spec);
    const { action: verdict } = blacklist.run(frame, { ctx: { ingress_ifindex: 1 } });
    table.push([i + 1, describePacket(frame), what, verdict === 'XDP_DROP' ? pc.red(verdict) : pc.green(verdict)]);
  });
  console.log(table.toString());

  const verdicts = obj.map('verdicts');
  const sum = (perCpu: unknown) => (perCpu as bigint[]).reduce((n, v) => n + v, 0n);
  console.log(`\nper-CPU counters (map 'verdicts', CPU 0 of ${obj.cpus}): passed ${sum(verdicts.get(0))}, dropped ${sum(verdicts.get(1))}`);
  console.log(`hits on 10.0.0.66 (map 'deny_v4'): ${obj.map('deny_v4').get('10.0.0.66') ?? 0}`);
  console.log(`\nnext: npx bpfsim run fixtures/cases/xdp_lb_redirect.json   (see README.md)`);
  return EXIT.OK;
}
