import type { Command } from 'commander';
import { SimError } from '../internal/errors.js';
import { action } from './common.js';

/** Registers `bpfsim demo` (placeholder until its module lands). */
export function register(program: Command): void {
  program
    .command('demo')
    .description('demo (not built yet)')
    .allowUnknownOption()
    .action(
      action(() => {
        throw new SimError('cli/not-built', 'demo: not built yet');
      }),
    );
}
