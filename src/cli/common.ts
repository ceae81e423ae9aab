import { accessSync, constants, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import picocolors from 'picocolors';
import { CaseError, LoadRejected, SimError, VerifierError, VmFault } from '../internal/errors.js';
import { verdictFromLog } from '../kernel/verifier-log.js';

/**
 * Colours for what the command prints on stdout: on only when stdout is a terminal (not a
 * pipe or file, whatever CI or FORCE_COLOR say) and never when NO_COLOR is set (no-color.org).
 */
export const colors = picocolors.createColors(colorWanted(process.stdout));

/** Whether output to `stream` may carry colour: a TTY, TERM not `dumb`, NO_COLOR unset or empty. */
export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.NO_COLOR && stream.isTTY === true && env.TERM !== 'dumb';
}

/** Exit status of the `bpfsim` command: 0 ran and met expectations, 1 an expectation or parity failed, 2 could not run. */
export const EXIT = { OK: 0, FAILED: 1, CANNOT_RUN: 2 } as const;

/**
 * The `file.c:42` an error is about: a fault's instruction, or the instruction a verifier (ours,
 * or the kernel's through its log) refused a program at.
 */
function sourceOf(err: unknown): string | null {
  if (err instanceof VmFault || err instanceof LoadRejected) return err.source ?? null;
  if (err instanceof VerifierError) return verdictFromLog(err.log).source;
  return null;
}

/** The one line printed on stderr for an error that stops a command, ending with the C line it is about. */
export function errorLine(err: unknown): string {
  const source = sourceOf(err);
  if (err instanceof SimError && source && !err.message.includes(`(${source})`)) return `bpfsim: ${err.message} (${source})`;
  if (err instanceof SimError) return `bpfsim: ${err.message}`;
  if (err instanceof Error) return `bpfsim: internal error: ${err.message}`;
  return `bpfsim: internal error: ${String(err)}`;
}

/** The `{"code", "message", "source"}` a `--json` command prints on stdout when it cannot run (design.md, "The command"). */
export function errorObject(err: unknown): { code: string; message: string; source: string | null } {
  const message = errorLine(err).replace(/^bpfsim: /, '');
  if (err instanceof VmFault) return { code: err.code, message: err.message, source: err.source ?? null };
  if (err instanceof SimError) return { code: err.code, message, source: sourceOf(err) };
  return { code: 'internal', message, source: null };
}

/** Whether `a` is commander's options object of a command run with `--json`. */
function isJsonFlags(a: unknown): boolean {
  return typeof a === 'object' && a !== null && !Array.isArray(a) && (a as { json?: unknown }).json === true;
}

/**
 * Runs a command's action: its resolved value is the exit status; a SimError (or any other
 * exception) prints one line on stderr and exits 2, never a stack trace. With `--json` the error
 * is also printed on stdout as `{"error": {"code", "message", "source"}}`.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number> | number): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await fn(...args);
    } catch (err) {
      process.stderr.write(errorLine(err) + '\n');
      if (args.some((a) => isJsonFlags(a))) printJson({ error: errorObject(err) });
      if (process.env.BPFSIM_DEBUG && err instanceof Error) process.stderr.write(String(err.stack) + '\n');
      process.exitCode = EXIT.CANNOT_RUN;
    }
  };
}

/** Prints `value` as one line of JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** The `--btf FILE` option: a vmlinux BTF file CO-RE relocations, kconfig and ksyms resolve against. */
export const BTF_OPTION = ['--btf <file>', 'vmlinux BTF file to resolve CO-RE relocations against (e.g. /sys/kernel/btf/vmlinux); over the case\'s kernel_btf'] as const;

/** The case with `--btf` (relative to the working directory) in place of its `kernel_btf`. */
export function withBtfFlag<C extends { kernelBtfPath?: string }>(c: C, btf: string | undefined): C {
  return btf === undefined ? c : { ...c, kernelBtfPath: btfFlagPath(btf) };
}

/** The absolute path of `--btf FILE`, which must be a readable file (an object without CO-RE relocations would never read it). */
export function btfFlagPath(btf: string): string {
  const path = resolvePath(btf);
  try {
    accessSync(path, constants.R_OK);
    if (!statSync(path).isFile()) throw new Error('not a regular file');
  } catch (err) {
    throw new CaseError('cli/bad-option', `--btf: cannot read '${btf}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return path;
}
