import type { Command } from 'commander';
import { SimError } from '../internal/errors.js';
import { action } from './common.js';

/** Registers `bpfsim run` (placeholder until its module lands). */
export function register(program: Command): void {
  program
    .command('run')
    .description('run (not built yet)')
    .allowUnknownOption()
    .action(
      action(() => {
        throw new SimError('cli/not-built', 'run: not built yet');
      }),
    );
}
