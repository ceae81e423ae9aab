import type { Command } from 'commander';
import { SimError } from '../internal/errors.js';
import { action } from './common.js';

/** Registers `bpfsim replay` (placeholder until its module lands). */
export function register(program: Command): void {
  program
    .command('replay')
    .description('replay (not built yet)')
    .allowUnknownOption()
    .action(
      action(() => {
        throw new SimError('cli/not-built', 'replay: not built yet');
      }),
    );
}
