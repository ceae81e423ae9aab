import type { Command } from 'commander';
import { SimError } from '../internal/errors.js';
import { action } from './common.js';

/** Registers `bpfsim bench` (placeholder until its module lands). */
export function register(program: Command): void {
  program
    .command('bench')
    .description('bench (not built yet)')
    .allowUnknownOption()
    .action(
      action(() => {
        throw new SimError('cli/not-built', 'bench: not built yet');
      }),
    );
}
