/**
 * The backends every example test runs on, for `describe.each(backends)`: each VM engine that is
 * registered, and the kernel when it is available (or required: see test/kernel/require-kernel.ts).
 */
import type { RunResult } from '../../src/internal/contract.js';
import { runCase, type RunCaseOptions } from '../../src/sim/backend.js';
import type { Case } from '../../src/sim/case.js';
import { resultJson, type CaseResult } from '../../src/sim/result.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { kernelOrSkip } from '../kernel/require-kernel.js';

export interface Backend {
  name: string;
  run(c: Case): Promise<CaseResult>;
  /** The run's result as `bpfsim run --json` prints it (bytes in hex). */
  runJson(c: Case): Promise<RunResult>;
}

/** Every backend available here; call once at the top level of a test file. */
export async function availableBackends(): Promise<Backend[]> {
  const backend = (name: string, options: RunCaseOptions): Backend => ({
    name,
    run: (c: Case) => runCase(c, options),
    runJson: async (c: Case) => resultJson(await runCase(c, options)),
  });
  const backends = ENGINE_NAMES.map((engine) => backend(`vm/${engine}`, { backend: 'vm', engine }));
  if (await kernelOrSkip()) backends.push(backend('kernel', { backend: 'kernel' }));
  return backends;
}
