import type { Command } from 'commander';
import { SimError } from '../internal/errors.js';
import { action } from './common.js';

/** Registers `bpfsim inspect` (placeholder until its module lands). */
export function register(program: Command): void {
  program
    .command('inspect')
    .description('inspect (not built yet)')
    .allowUnknownOption()
    .action(
      action(() => {
        throw new SimError('cli/not-built', 'inspect: not built yet');
      }),
    );
}
