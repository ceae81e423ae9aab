import { readdir } from 'node:fs/promises';
import { INPUT_LIMITS, readInputFile } from '../internal/input-file.js';
import { basename, join } from 'node:path';
import { SimError, withContext } from '../internal/errors.js';
import { assemble } from '../isa/asm.js';
import { decodeInsns } from '../isa/codec.js';
import type { Insn } from '../isa/insn.js';
import type { ProgramSpec } from '../loader/spec.js';
import type { Engine, HelperDef, HelperRegistry, RunEnv } from '../vm/env.js';
import { VmMemory } from '../vm/memory.js';

/**
 * One bpf_conformance test file (the `.data` format of Alan-Jowett/bpf_conformance and uBPF):
 * sections `-- asm` (uBPF assembler), `-- raw` (64-bit instruction words, used instead of the
 * asm when present), `-- mem` (hex bytes), `-- result` (expected r0, hex) or `-- error` (the
 * program must be refused or fail). `#` lines are comments; other sections (`-- c`, `-- no
 * register offset`) are notes and ignored.
 */
export interface ConformanceTest {
  /** The file name, `add.data`. */
  name: string;
  insns: Insn[];
  mem: Uint8Array;
  /** Expected r0 as an unsigned 64-bit value, when the test has `-- result`. */
  result?: bigint;
  /** The expected error text, when the test has `-- error` (only its presence matters). */
  error?: string;
}

/** The outcome of one test. */
export interface ConformanceOutcome {
  name: string;
  passed: boolean;
  /** What went differently: `expected 0x3, got 0x4`, or the error that stopped it. */
  reason?: string;
}

/** The summary `bpfsim conformance --json` prints (plus each outcome, for reports). */
export interface ConformanceSummary {
  total: number;
  passed: number;
  /** Names of the tests that failed, in file name order. */
  failed: string[];
  outcomes: ConformanceOutcome[];
}

/**
 * Parses one `.data` file. Throws SimError `conformance/bad-file` for a file without a program,
 * without an expectation, or with bad hex; AsmError for a program that does not assemble.
 */
export function parseConformance(text: string, name: string): ConformanceTest {
  return withContext(name, () => {
    const sections = new Map<string, string[]>();
    let current: string[] | undefined;
    for (const line of text.split(/\r?\n/)) {
      const header = /^--\s*(.*?)\s*$/.exec(line);
      if (header) {
        current = [];
        sections.set(header[1]!, current);
      } else if (current) {
        current.push(line);
      }
    }
    const words = (section: string): string[] =>
      (sections.get(section) ?? []).flatMap((l) => l.replace(/#.*$/, '').trim().split(/\s+/)).filter((w) => w !== '');
    let insns: Insn[];
    if (sections.has('raw')) insns = decodeRaw(words('raw'));
    else if (sections.has('asm')) insns = assemble(sections.get('asm')!.join('\n'));
    else throw new SimError('conformance/bad-file', 'expected an -- asm or -- raw section');
    const memHex = words('mem').join('');
    // A character test, not a repeated group: a group repeated over megabytes overflows the regex engine's stack.
    if (memHex.length % 2 !== 0 || /[^0-9a-f]/i.test(memHex)) throw new SimError('conformance/bad-file', `-- mem: expected hex bytes, got '${memHex.slice(0, 20)}'`);
    const test: ConformanceTest = { name, insns, mem: Uint8Array.from(Buffer.from(memHex, 'hex')) };
    if (sections.has('result')) {
      const w = words('result');
      if (w.length !== 1 || !/^(0x[0-9a-f]+|\d+)$/i.test(w[0]!)) throw new SimError('conformance/bad-file', `-- result: expected one number, got '${w.join(' ')}'`);
      test.result = BigInt.asUintN(64, BigInt(w[0]!));
    }
    if (sections.has('error')) test.error = sections.get('error')!.join('\n').trim();
    if (test.result === undefined && test.error === undefined) throw new SimError('conformance/bad-file', 'expected a -- result or -- error section');
    return test;
  });
}

/** `-- raw` words: each a 64-bit instruction whose low byte is the opcode (bpf_conformance writes them so). */
function decodeRaw(words: string[]): Insn[] {
  const bytes = new Uint8Array(words.length * 8);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => {
    if (!/^0x[0-9a-f]{1,16}$/i.test(w)) throw new SimError('conformance/bad-file', `-- raw: expected a 64-bit hex word, got '${w}'`);
    view.setBigUint64(i * 8, BigInt(w), true);
  });
  return decodeInsns(bytes);
}

/**
 * The helpers bpf_conformance's tests call: only id 5 (`call 5`, and `callx` with 5), uBPF's
 * test helper `unwind`, which returns its argument; the tests check that the program goes on.
 */
const conformanceHelpers: HelperRegistry = (() => {
  const helpers = new Map<number, HelperDef>([[5, { id: 5, name: 'unwind', fn: (_env, r1) => r1 }]]);
  return { get: (id: number) => helpers.get(id) };
})();

/**
 * Runs one parsed test on `engine` with bpf_conformance's plugin convention: r1 = the address
 * of a copy of `mem` (0 without one), r2 = its length, r10 = the stack top, a budget of one
 * million instructions. The result is r0 (64 bits). A test with `-- error` passes when the
 * engine refuses or stops the program with a typed error.
 */
export function runConformanceTest(test: ConformanceTest, engine: Engine): ConformanceOutcome {
  const mem = new VmMemory();
  let addr = 0;
  if (test.mem.length > 0) {
    const slab = mem.allocSlab(test.mem.length, 1, 'conformance mem');
    mem.u8.set(test.mem, slab.base);
    addr = slab.base;
  }
  const program: ProgramSpec = {
    name: test.name,
    sectionName: 'conformance',
    type: 0,
    insns: test.insns,
    functions: [{ name: test.name, pc: 0 }],
    lines: [],
    flags: 0,
  };
  const env: RunEnv = { mem, maps: [], helpers: conformanceHelpers, progType: 0, cpu: 0, pc: 0, budget: 1_000_000, programs: [], tailCalls: 0 };
  let r0: bigint;
  try {
    r0 = BigInt.asUintN(64, engine.prepare(program, env).run(env, addr, test.mem.length));
  } catch (err) {
    if (!(err instanceof SimError)) throw err;
    if (test.error !== undefined) return { name: test.name, passed: true };
    return { name: test.name, passed: false, reason: `${err.code}: ${err.message}` };
  }
  if (test.result === undefined) return { name: test.name, passed: false, reason: `expected an error, got 0x${r0.toString(16)}` };
  if (r0 !== test.result) return { name: test.name, passed: false, reason: `expected 0x${test.result.toString(16)}, got 0x${r0.toString(16)}` };
  return { name: test.name, passed: true };
}

/** Reads, parses and runs one `.data` file; a file that does not parse is a failed test. */
export async function runConformanceFile(path: string, engine: Engine): Promise<ConformanceOutcome> {
  const name = basename(path);
  let test: ConformanceTest;
  try {
    test = parseConformance(Buffer.from(readInputFile(path, 'test file', INPUT_LIMITS.conformance, (code, message) => new SimError(`conformance/${code}`, message))).toString('utf8'), name);
  } catch (err) {
    if (!(err instanceof SimError)) throw err;
    return { name, passed: false, reason: `${err.code}: ${err.message}` };
  }
  return runConformanceTest(test, engine);
}

/**
 * Runs every `.data` file of `dir` (in name order) on `engine`. Throws SimError
 * `conformance/bad-dir` when `dir` cannot be read and `conformance/no-tests` when it holds no `.data` file.
 */
export async function runConformance(dir: string, engine: Engine): Promise<ConformanceSummary> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.data')).sort();
  } catch (err) {
    throw new SimError('conformance/bad-dir', `conformance: cannot read directory '${dir}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  // An empty run would pass; a directory without tests is more likely a wrong path.
  if (files.length === 0) throw new SimError('conformance/no-tests', `conformance: no .data files in '${dir}'`);
  const outcomes: ConformanceOutcome[] = [];
  for (const f of files) outcomes.push(await runConformanceFile(join(dir, f), engine));
  const failed = outcomes.filter((o) => !o.passed).map((o) => o.name);
  return { total: outcomes.length, passed: outcomes.length - failed.length, failed, outcomes };
}
