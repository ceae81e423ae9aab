import type { Command } from 'commander';
import { SimError } from '../internal/errors.js';
import { action } from './common.js';

/** Registers `bpfsim conformance` (placeholder until its module lands). */
export function register(program: Command): void {
  program
    .command('conformance')
    .description('conformance (not built yet)')
    .allowUnknownOption()
    .action(
      action(() => {
        throw new SimError('cli/not-built', 'conformance: not built yet');
      }),
    );
}
