/**
 * The backends every example test runs on, for `describe.each(backends)`: each VM engine that is
 * registered, and the kernel when it is available (or required: see test/kernel/require-kernel.ts).
 */
import type { RunResult } from '../../src/internal/contract.js';
import { runCase } from '../../src/sim/backend.js';
import type { Case } from '../../src/sim/case.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { kernelOrSkip } from '../kernel/require-kernel.js';

export interface Backend {
  name: string;
  run(c: Case): Promise<RunResult>;
}

/** Every backend available here; call once at the top level of a test file. */
export async function availableBackends(): Promise<Backend[]> {
  const backends: Backend[] = ENGINE_NAMES.map((engine) => ({
    name: `vm/${engine}`,
    run: (c: Case) => runCase(c, { backend: 'vm', engine }),
  }));
  if (await kernelOrSkip()) backends.push({ name: 'kernel', run: (c: Case) => runCase(c, { backend: 'kernel' }) });
  return backends;
}
