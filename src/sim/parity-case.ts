import { CaseError, KernelError } from '../internal/errors.js';
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

/**
 * A backend's refusal of a case as BPF_PROG_TEST_RUN refuses it (a ctx_in field or packet length
 * the kernel does not accept): the errno (`EINVAL`) and the one-line message.
 */
export interface RunRefusal {
  errno: string;
  message: string;
}

/**
 * The outcome of one case on both backends; a run is null when that backend's verifier rejected
 * the program or it refused the case. `refused` is there when either refused the case: both
 * refusing it with the same errno is agreement.
 */
export interface CaseParity {
  load: { vm: LoadVerdict; kernel: LoadVerdict };
  vm: CaseResult | null;
  kernel: CaseResult | null;
  refused?: { vm: RunRefusal | null; kernel: RunRefusal | null };
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
  const [kernelLoad, kernelRun] = await loadVerdict(() => runOrRefusal(() => runCaseOnKernel(c)));
  const vmRun = vmLoad.accepted && kernelLoad.accepted ? await runOrRefusal(() => runCaseOnVm(c, { engine, spec, cpus: possibleCpus() })) : null;
  const load = { vm: vmLoad, kernel: kernelLoad };
  if (!vmRun || !kernelRun) return { load, vm: null, kernel: null, differences: diffLoads(vmLoad, kernelLoad) };
  const vm = 'result' in vmRun ? vmRun.result : null;
  const kernel = 'result' in kernelRun ? kernelRun.result : null;
  if (vm && kernel) return { load, vm, kernel, differences: diffResults(vm, kernel, { btf: spec.btf, mapSpecs: spec.maps, ignore: c.parityIgnore }) };
  const refused = { vm: 'refused' in vmRun ? vmRun.refused : null, kernel: 'refused' in kernelRun ? kernelRun.refused : null };
  return { load, vm, kernel, refused, differences: diffRefusals(refused.vm, refused.kernel, vm ?? kernel) };
}

/** A run's result, or the backend's refusal of the case (a CaseError or KernelError with an errno); any other error is thrown. */
async function runOrRefusal(run: () => Promise<CaseResult>): Promise<{ result: CaseResult } | { refused: RunRefusal }> {
  try {
    return { result: await run() };
  } catch (err) {
    if ((err instanceof CaseError || err instanceof KernelError) && err.errno !== undefined) return { refused: { errno: err.errno, message: err.message } };
    throw err;
  }
}

function describeRun(refusal: RunRefusal | null, ran: CaseResult | null): string {
  return refusal ? `refuses the case with ${refusal.errno} (${refusal.message})` : `runs it (retval ${ran?.retval})`;
}

/**
 * The difference between two runs of which at least one was refused (kind `refused`, `a` the
 * VM's), or none when both refused it with the same errno; `ran` is the run that was not refused.
 */
export function diffRefusals(vm: RunRefusal | null, kernel: RunRefusal | null, ran: CaseResult | null): ParityDifference[] {
  if (vm && kernel && vm.errno === kernel.errno) return [];
  const a = vm ? vm.errno : 'runs';
  const b = kernel ? kernel.errno : 'runs';
  return [{ kind: 'refused', a, b, message: `run: vm ${describeRun(vm, ran)}; kernel ${describeRun(kernel, ran)}` }];
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
