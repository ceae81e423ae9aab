import type { RunResult } from '../internal/contract.js';
import type { Case } from './case.js';
import { Machine } from './machine.js';
import { runCaseOnKernel } from './kernel-run.js';
import { diffResults, type ParityDifference } from './parity.js';
import { runCaseOnVm } from './run-case.js';

/** The outcome of one case on both backends. */
export interface CaseParity {
  vm: RunResult;
  kernel: RunResult;
  differences: ParityDifference[];
}

/**
 * Runs a case on the VM and on the kernel and compares retval, output packet, ctx and every
 * map entry field by field through the object's BTF (padding never compared; the case's
 * `parity.ignore` paths skipped).
 */
export async function parityOfCase(c: Case, engine: 'wasm' | 'interp' = 'wasm'): Promise<CaseParity> {
  const spec = await Machine.readSpec(c.objectPath, c.type, c.kernelBtfPath);
  const vm = await runCaseOnVm(c, { engine, spec });
  const kernel = await runCaseOnKernel(c);
  const differences = diffResults(vm, kernel, { btf: spec.btf, mapSpecs: spec.maps, ignore: c.parityIgnore });
  return { vm, kernel, differences };
}
