import type { RunResult } from '../internal/contract.js';
import { VerifierError } from '../internal/errors.js';
import { verdictFromLog } from '../kernel/index.js';
import { verifyProgram } from '../verifier/index.js';
import type { Case } from './case.js';
import { possibleCpus } from '../kernel/index.js';
import { BpfObject } from './object.js';
import { runCaseOnKernel } from './kernel-run.js';
import { diffResults, type ParityDifference } from './parity.js';
import { runCaseOnVm } from './run-case.js';

/** Whether a backend loaded the case's program: accepted, or the verifier's message (the log's last line). */
export interface LoadVerdict {
  accepted: boolean;
  error: string | null;
}

/** The outcome of one case on both backends; a run is null when that backend's verifier rejected the program. */
export interface CaseParity {
  load: { vm: LoadVerdict; kernel: LoadVerdict };
  vm: RunResult | null;
  kernel: RunResult | null;
  differences: ParityDifference[];
}

const ACCEPTED: LoadVerdict = { accepted: true, error: null };

function describeLoad(v: LoadVerdict): string {
  return v.accepted ? 'accepts' : `rejects: ${v.error}`;
}

/**
 * Runs a case on the VM and on the kernel and compares the load verdicts (accepted, or the
 * verifier's message: src/verifier for the VM, the kernel's log for the kernel), then, when both
 * loaded it, retval, output packet, ctx and every map entry field by field through the object's
 * BTF (padding never compared; the case's `parity.ignore` paths skipped).
 */
export async function parityOfCase(c: Case, engine: 'wasm' | 'interp' = 'wasm'): Promise<CaseParity> {
  const spec = await BpfObject.readSpec(c.objectPath, c.type, c.kernelBtfPath, c.kconfig);
  const ours = verifyProgram(spec, c.program, c.type ? { type: c.type } : {});
  const vmLoad: LoadVerdict = ours.accepted ? ACCEPTED : { accepted: false, error: ours.error };
  let kernelLoad = ACCEPTED;
  let kernel: RunResult | null = null;
  try {
    kernel = await runCaseOnKernel(c);
  } catch (err) {
    if (!(err instanceof VerifierError)) throw err;
    kernelLoad = { accepted: false, error: verdictFromLog(err.log).error ?? err.message };
  }
  const vm = vmLoad.accepted && kernelLoad.accepted ? await runCaseOnVm(c, { engine, spec, cpus: possibleCpus() }) : null;
  const load = { vm: vmLoad, kernel: kernelLoad };
  if (vm && kernel) return { load, vm, kernel, differences: diffResults(vm, kernel, { btf: spec.btf, mapSpecs: spec.maps, ignore: c.parityIgnore }) };
  return { load, vm, kernel, differences: diffLoads(vmLoad, kernelLoad) };
}

/** The difference between two load verdicts (kind `load`, `a` the VM's), or none when they agree. */
export function diffLoads(vm: LoadVerdict, kernel: LoadVerdict): ParityDifference[] {
  if (vm.accepted === kernel.accepted && vm.error === kernel.error) return [];
  return [{ kind: 'load', a: describeLoad(vm), b: describeLoad(kernel), message: `load: vm ${describeLoad(vm)}; kernel ${describeLoad(kernel)}` }];
}
