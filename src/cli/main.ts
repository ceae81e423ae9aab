#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { removeTempFilesSync } from '../pcap/atomic-file.js';
import { errorLine, EXIT } from './common.js';
import { register as registerBench } from './bench.js';
import { register as registerConformance } from './conformance.js';
import { register as registerDemo } from './demo.js';
import { register as registerDisasm } from './disasm.js';
import { register as registerInspect } from './inspect.js';
import { register as registerParity } from './parity.js';
import { register as registerReplay } from './replay.js';
import { register as registerRun } from './run.js';
import { register as registerSim } from './sim.js';
import { register as registerTest } from './test.js';
import { register as registerVerify } from './verify.js';

const program = new Command('bpfsim')
  .description('userspace eBPF simulator and test harness for XDP and TC programs')
  .exitOverride()
  // Usage errors take the same one-line shape as every other error: `bpfsim: unknown option '--x'`.
  .configureOutput({ outputError: (text, write) => write(`bpfsim: ${text.split('\n')[0]!.replace(/^error: /, '')}\n`) });

for (const register of [registerRun, registerParity, registerReplay, registerBench, registerConformance, registerDisasm, registerInspect, registerDemo, registerVerify, registerTest, registerSim]) {
  register(program);
}

program.version(packageVersion(), '--version', 'print the version');

// An interrupted command removes what it was writing and exits as shells expect (128 + signal).
for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
  process.once(signal, () => {
    removeTempFilesSync();
    process.stderr.write(`bpfsim: interrupted by ${signal}\n`);
    process.exit(128 + number);
  });
}

try {
  if (process.argv.length <= 2) {
    // Help goes to stdout with exit 0 when asked for (--help); a missing command is a usage error.
    process.stderr.write("bpfsim: missing command (see 'bpfsim --help')\n");
    process.exitCode = EXIT.CANNOT_RUN;
  } else {
    await program.parseAsync(process.argv);
  }
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT.CANNOT_RUN;
  } else {
    // Commands report through action(); this is the last guard against a stack trace.
    process.stderr.write(errorLine(err) + '\n');
    process.exitCode = EXIT.CANNOT_RUN;
  }
}

/** The version in package.json (dist/cli/main.js is two levels below it). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
