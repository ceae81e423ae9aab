import { checkObject, checkOneOf, describe } from '../internal/args.js';
import { ArgumentError } from '../internal/errors.js';
import { readCase, type Case } from './case.js';
import { parityOfCase, type CaseParity } from './parity-case.js';

/** What {@link parity} found: both runs and their differences; `agree` when there are none. */
export interface ParityReport extends CaseParity {
  agree: boolean;
}

/** Options of {@link parity}. */
export interface ParityOptions {
  /** The VM's engine: `wasm` (default) or `interp`. */
  engine?: 'wasm' | 'interp';
}

/**
 * Runs a case on the VM and on the real kernel (BPF_PROG_TEST_RUN through libbpf, in a private
 * network namespace; needs root) and compares retval, output packet, ctx and every map entry
 * through BTF, as `bpfsim parity` does. `input` is a case file's path or a case read with
 * `readCase`/`parseCase`. Where the kernel backend cannot run it throws KernelError with the
 * reason; call {@link kernelAvailable} first to skip instead.
 */
export async function parity(input: string | Case, options: ParityOptions = {}): Promise<ParityReport> {
  checkObject(options, 'options');
  const engine = options.engine === undefined ? 'wasm' : checkOneOf(options.engine, 'options.engine', ['wasm', 'interp']);
  let c: Case;
  if (typeof input === 'string') c = await readCase(input);
  else if (typeof input === 'object' && input !== null && typeof (input as Case).objectPath === 'string' && (input as Case).packet instanceof Uint8Array) c = input;
  else throw new ArgumentError('arg/type', `case: expected a case file's path or a case from readCase/parseCase, got ${describe(input)}`, 'case');
  const result = await parityOfCase(c, engine);
  return { ...result, agree: result.differences.length === 0 };
}
