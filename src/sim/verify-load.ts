import { LoadError, LoadRejected, SimError, VerifierError } from '../internal/errors.js';
import { verdictFromLog } from '../kernel/index.js';
import type { ObjectSpec, ProgramSpec } from '../loader/spec.js';
import type { ProgramResult, VerifierFacts } from '../verifier/index.js';
import { BPF_PROG_TYPE } from '../uapi/index.js';
import { verifyProgramSpec } from '../verifier/verify.js';

/** What the verifier says about one program, as a load keeps it: the verdict, and what it proved for the engines. */
type Verdict = Pick<ProgramResult, 'accepted' | 'error' | 'insn' | 'source' | 'path' | 'facts'>;

/** What the verifier proved of an accepted program, and the program type it was verified as (facts hold for runs of that type). */
export interface ProvenFacts {
  progType: number;
  facts: VerifierFacts;
}

/**
 * Verdicts already reached, per spec and per what else decides them (each program's type, the
 * bytes of the frozen sections): loading the same spec again (a case's two runs, bench, replay)
 * does not verify again.
 */
const verdictCache = new WeakMap<ObjectSpec, Map<string, Verdict>>();

/** The program types bpfsim runs; any other type is the `type` a case or load gives it. */
export function isNetworkingType(t: number): boolean {
  return t === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP || t === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER || t === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS || t === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT;
}

/**
 * Verifies the object's programs as libbpf's bpf_object__load has the kernel verify them: in
 * object order, each XDP, TC and socket filter program (typed by its section, else by `untypedAs`;
 * an untyped program without it is not loaded, as the kernel backend skips it), with `.rodata` as the `frozen` bytes
 * (index in `spec.maps` → the section's value after `rodata` and the case's entries). The first
 * program the verifier refuses throws LoadRejected with the kernel's message and the C line.
 * Programs named in `devBound` are verified as device-bound. Returns the facts of each verified program, by name.
 */
export function verifyAtLoad(spec: ObjectSpec, untypedAs: number | undefined, frozen: ReadonlyMap<number, Uint8Array>, devBound: ReadonlySet<string> = new Set()): Map<string, ProvenFacts> {
  let cache = verdictCache.get(spec);
  if (!cache) verdictCache.set(spec, (cache = new Map()));
  const frozenKey = [...frozen].map(([i, bytes]) => `${i}:${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`).join(',');
  let loaded: ObjectSpec | undefined;
  const proven = new Map<string, ProvenFacts>();
  for (const prog of spec.programs) {
    // Programs of other types (kprobe, cgroup) next to these are outside what the verifier models.
    const progType = prog.type === BPF_PROG_TYPE.BPF_PROG_TYPE_UNSPEC ? untypedAs : prog.type;
    if (progType === undefined || !isNetworkingType(progType)) continue;
    const bound = devBound.has(prog.name);
    const key = `${prog.name}/${progType}/${bound ? 'bound/' : ''}${frozenKey}`;
    let verdict = cache.get(key);
    if (!verdict) {
      loaded ??= withFrozenData(spec, frozen);
      const result = verifyOrError(loaded, prog, progType, bound);
      verdict = { accepted: result.accepted, error: result.error, insn: result.insn, source: result.source, path: result.path, facts: result.facts };
      cache.set(key, verdict);
    }
    if (!verdict.accepted) throw rejection(prog, verdict);
    proven.set(prog.name, { progType, facts: verdict.facts });
  }
  return proven;
}

/** Verifies one program; a verifier exception on input it does not expect (a bug) becomes a LoadError naming the program, never a crash. */
function verifyOrError(spec: ObjectSpec, prog: ProgramSpec, progType: number, devBound: boolean): ProgramResult {
  try {
    return verifyProgramSpec(spec, prog, { progType, devBound });
  } catch (err) {
    if (err instanceof SimError) throw err;
    throw new LoadError('verifier/internal-error', `program '${prog.name}': the verifier failed: ${(err as Error)?.message ?? String(err)} (load with verify: false to run it unverified)`);
  }
}

/** The spec as the verifier sees it after load: frozen sections hold their final bytes. */
function withFrozenData(spec: ObjectSpec, frozen: ReadonlyMap<number, Uint8Array>): ObjectSpec {
  if (frozen.size === 0) return spec;
  return { ...spec, maps: spec.maps.map((m, i) => (frozen.has(i) ? { ...m, data: frozen.get(i) } : m)) };
}

/** The error of a refused program: `program 'name': message (file.c:42)`, and why a CO-RE relocation failed when the refused instruction is one. */
function rejection(prog: ProgramSpec, v: Verdict): LoadRejected {
  const error = v.error ?? 'rejected';
  const core = v.insn === null ? undefined : prog.coreFailures?.find((f) => f.pc === v.insn);
  const where = v.source === null ? '' : ` (${v.source})`;
  const why = core ? `; insn ${v.insn} is a CO-RE relocation that did not resolve (${core.message})` : '';
  return new LoadRejected(`program '${prog.name}': ${error}${where}${why}`, prog.name, error, v.insn, v.source, v.path);
}

/** A refused load as both backends report it: the verifier's message (the kernel's log's last line) and its C line. */
export interface LoadRefusal {
  error: string;
  source: string | null;
}

/** The refusal `err` reports, when it is a verifier's (LoadRejected from ours, VerifierError from the kernel's); else undefined. */
export function loadRefusal(err: unknown): LoadRefusal | undefined {
  if (err instanceof LoadRejected) return { error: err.error, source: err.source };
  if (err instanceof VerifierError) {
    const verdict = verdictFromLog(err.log);
    return { error: verdict.error ?? err.message, source: verdict.source };
  }
  return undefined;
}
