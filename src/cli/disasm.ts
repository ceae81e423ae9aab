import type { Command } from 'commander';
import { SimError } from '../internal/errors.js';
import { action } from './common.js';

/** Registers `bpfsim disasm` (placeholder until its module lands). */
export function register(program: Command): void {
  program
    .command('disasm')
    .description('disasm (not built yet)')
    .allowUnknownOption()
    .action(
      action(() => {
        throw new SimError('cli/not-built', 'disasm: not built yet');
      }),
    );
}
