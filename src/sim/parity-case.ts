import type { Case } from './case.js';
import { possibleCpus } from '../kernel/index.js';
import { BpfObject } from './object.js';
import { runCaseOnKernel } from './kernel-run.js';
import { diffResults, type ParityDifference } from './parity.js';
import { objectForCase, runCaseOnVm } from './run-case.js';
import { loadRefusal } from './verify-load.js';
import type { CaseResult } from './result.js';

/** Whether a backend loaded the case's program: accepted, or the verifier's message (the log's last line). */
export interface LoadVerdict {
  accepted: boolean;
  error: string | null;
}

/** The outcome of one case on both backends; a run is null when that backend's verifier rejected the program. */
export interface CaseParity {
  load: { vm: LoadVerdict; kernel: LoadVerdict };
  vm: CaseResult | null;
  kernel: CaseResult | null;
  differences: ParityDifference[];
}

const ACCEPTED: LoadVerdict = { accepted: true, error: null };

function describeLoad(v: LoadVerdict): string {
  return v.accepted ? 'accepts' : `rejects: ${v.error}`;
}

/**
 * Runs a case on the VM and on the kernel and compares the load verdicts (accepted, or the
 * verifier's message for the first program of the object it refuses: src/verifier for the VM, as
 * load() verifies, the kernel's log for the kernel), then, when both loaded it, retval, output packet, ctx and every map entry field by field through the object's
 * BTF (padding never compared; the case's `parity.ignore` paths skipped).
 */
export async function parityOfCase(c: Case, engine: 'wasm' | 'interp' = 'wasm'): Promise<CaseParity> {
  const spec = await BpfObject.readSpec(c.objectPath, c.type, c.kernelBtfPath, c.kconfig);
  const [vmLoad] = await loadVerdict(async () => objectForCase(c, spec, { verifyOnly: true }));
  const [kernelLoad, kernel] = await loadVerdict(() => runCaseOnKernel(c));
  const vm = vmLoad.accepted && kernelLoad.accepted ? await runCaseOnVm(c, { engine, spec, cpus: possibleCpus() }) : null;
  const load = { vm: vmLoad, kernel: kernelLoad };
  if (vm && kernel) return { load, vm, kernel, differences: diffResults(vm, kernel, { btf: spec.btf, mapSpecs: spec.maps, ignore: c.parityIgnore }) };
  return { load, vm, kernel, differences: diffLoads(vmLoad, kernelLoad) };
}

/** Whether `load` loaded the program (with what it gave), or the verifier's message when a verifier (ours or the kernel's) refused it. */
async function loadVerdict<T>(load: () => Promise<T>): Promise<[LoadVerdict, T | null]> {
  try {
    return [ACCEPTED, await load()];
  } catch (err) {
    const refusal = loadRefusal(err);
    if (!refusal) throw err;
    return [{ accepted: false, error: refusal.error }, null];
  }
}

/** The difference between two load verdicts (kind `load`, `a` the VM's), or none when they agree. */
export function diffLoads(vm: LoadVerdict, kernel: LoadVerdict): ParityDifference[] {
  if (vm.accepted === kernel.accepted && vm.error === kernel.error) return [];
  return [{ kind: 'load', a: describeLoad(vm), b: describeLoad(kernel), message: `load: vm ${describeLoad(vm)}; kernel ${describeLoad(kernel)}` }];
}
