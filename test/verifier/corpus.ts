/**
 * The verifier corpus (bpf/tests/verifier/*.c, one rule per file, `ok_*` programs meant to be
 * accepted and `bad_*` rejected) and the kernel's recorded verdicts on it
 * (test/verifier/kernel-verdicts.json, written by scripts/verifier-expectations.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where scripts/build-bpf.sh puts the corpus objects. */
export const CORPUS_BUILD_DIR = join(ROOT, 'build', 'bpf', 'tests', 'verifier');
/** The kernel's recorded verdicts. */
export const KERNEL_VERDICTS_PATH = join(ROOT, 'test', 'verifier', 'kernel-verdicts.json');
/** Programs on which our verifier is known to disagree with the kernel. */
export const KNOWN_DISAGREEMENTS_PATH = join(ROOT, 'test', 'verifier', 'known-disagreements.json');

/** The kernel's verdict on one corpus program, as recorded. */
export interface KernelVerdict {
  /** The rule the program tests: its source file's name up to the first dot (`packet`, `gpl_only` for gpl_only.dual.c). */
  rule: string;
  /** The object, relative to the repository root. */
  object: string;
  program: string;
  type: string;
  accepted: boolean;
  /** The last line of the kernel's log (without statistics) for a rejection, else null. */
  error: string | null;
}

/** A program our verifier does not yet agree on, with what it answers instead. */
export interface KnownDisagreement {
  object: string;
  program: string;
  /** What our verifier answered when the entry was written (accepted, or its message). */
  ours: string;
}

/**
 * Test objects outside the corpus that the agreement is also measured on, relative to the root:
 * where the kernel's answer reaches the user rewritten by libbpf (a CO-RE relocation that did not
 * resolve: "failed to resolve CO-RE relocation <spec>" for the kernel's "invalid func
 * unknown#195896080"). scripts/setup.sh builds them.
 */
export const AGREEMENT_EXTRA_OBJECTS: readonly string[] = ['build/bpf/tests/core_poisoned.o', 'build/bpf/tests/loader_core.o'];

/** The corpus objects' paths relative to the root, sorted: one per bpf/tests/verifier/*.c. */
export function corpusObjects(): string[] {
  return readdirSync(join(ROOT, 'bpf', 'tests', 'verifier'))
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => join('build', 'bpf', 'tests', 'verifier', f.replace(/\.c$/, '.o')));
}

/** Whether a program's name says it should be accepted (`ok_*`) or rejected (`bad_*`); undefined for neither. */
export function intendedVerdict(program: string): boolean | undefined {
  if (program.startsWith('ok_')) return true;
  if (program.startsWith('bad_')) return false;
  return undefined;
}

/** The recorded kernel verdicts. */
export function readKernelVerdicts(): KernelVerdict[] {
  return JSON.parse(readFileSync(KERNEL_VERDICTS_PATH, 'utf8')) as KernelVerdict[];
}

/** The known disagreements (an empty list when the file has none). */
export function readKnownDisagreements(): KnownDisagreement[] {
  return JSON.parse(readFileSync(KNOWN_DISAGREEMENTS_PATH, 'utf8')) as KnownDisagreement[];
}

/** A verdict as one comparable string: `accepted` or the message. */
export function verdictText(v: { accepted: boolean; error: string | null }): string {
  return v.accepted ? 'accepted' : `rejected: ${v.error ?? ''}`;
}

/**
 * Compiles every corpus program whose object is missing or older than its source or the corpus
 * header, with the flags of scripts/build-bpf.sh, and returns the objects' absolute paths.
 */
export function buildCorpus(): string[] {
  const arch = execFileSync('uname', ['-m']).toString().trim();
  const header = join(ROOT, 'bpf', 'tests', 'verifier', 'corpus.h');
  return corpusObjects().map((rel) => {
    const out = join(ROOT, rel);
    const src = join(ROOT, 'bpf', 'tests', 'verifier', basename(rel).replace(/\.o$/, '.c'));
    const newest = Math.max(statSync(src).mtimeMs, statSync(header).mtimeMs);
    if (!existsSync(out) || statSync(out).mtimeMs < newest) {
      mkdirSync(dirname(out), { recursive: true });
      const tmp = `${out}.${process.pid}.tmp`;
      execFileSync('clang-19', ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${arch}-linux-gnu`, `-I${join(ROOT, 'bpf')}`, '-Wall', '-c', src, '-o', tmp]);
      renameSync(tmp, out);
    }
    return out;
  });
}
