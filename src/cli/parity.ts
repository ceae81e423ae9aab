import type { Command } from 'commander';
import { SimError } from '../internal/errors.js';
import { action } from './common.js';

/** Registers `bpfsim parity` (placeholder until its module lands). */
export function register(program: Command): void {
  program
    .command('parity')
    .description('parity (not built yet)')
    .allowUnknownOption()
    .action(
      action(() => {
        throw new SimError('cli/not-built', 'parity: not built yet');
      }),
    );
}
