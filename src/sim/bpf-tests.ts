import { CaseError, SimError } from '../internal/errors.js';
import type { ProgramSpec } from '../loader/spec.js';
import { BPF_MAP_TYPE } from '../uapi/index.js';
import { load, type BpfObject, type LoadOptions } from './object.js';
import type { CtxInput, ProgramRun } from './program.js';

/**
 * The PKTGEN/SETUP/CHECK convention of Cilium's bpf/tests, run on the VM: programs in sections
 * `tc|xdp/test/<name>/{pktgen,setup,check}`, one loaded object per file whose maps keep their
 * state from test to test (tests run in name order), results and logs read from
 * `suite_result_map` (the TRF protobuf, bpf/tests/bpftest/trf.proto), prog-array slots filled
 * from `tail:<map>/<slot>` BTF decl tags.
 */

/** TRF's TestStatus (trf.proto): what pktgen, setup and check return. */
export const TEST_STATUS = { ERROR: 100, PASS: 101, FAIL: 102, SKIP: 103 } as const;

/** A test's outcome: `pass`, `fail`, `skip`, or `error` (the harness could not run it, or the program said ERROR). */
export type TestOutcome = 'pass' | 'fail' | 'skip' | 'error';

/** One log line of a test, formatted as the TRF's printk-style `fmt` with its arguments. */
export interface TestLog {
  text: string;
  /** `file.c:42` when the line names one (an assertion's place). */
  source: string | null;
}

/** One test: a CHECK program (and its PKTGEN and SETUP), or one sub-test it reported. */
export interface BpfTestResult {
  /** `<name>` of the sections, then ` / <sub-test>` for the results check wrote into suite_result_map. */
  name: string;
  status: TestOutcome;
  /** The check program's return value (or the failing pktgen/setup's). */
  retval: number;
  logs: TestLog[];
  /** Why the harness could not run it (a fault with its C line, a program that returned ERROR). */
  error?: string;
  subtests: BpfTestResult[];
}

/** The data buffer pktgen starts from: 4 KiB less the headroom and tailroom, zeroed (as Cilium's harness). */
export const PKTGEN_DATA_SIZE = 4096 - 256 - 320;

const SECTION = /^(tc|xdp)\/test\/(.+)\/(pktgen|setup|check)$/;
const TAIL_TAG = /^tail:([^/]+)\/(\d+)$/;

interface TestPrograms {
  name: string;
  pktgen?: ProgramSpec;
  setup?: ProgramSpec;
  check?: ProgramSpec;
}

/** The tests of an object: their names in order, each with its programs. */
export function findBpfTests(programs: readonly ProgramSpec[]): TestPrograms[] {
  const byName = new Map<string, TestPrograms>();
  for (const p of programs) {
    const m = SECTION.exec(p.sectionName);
    if (!m) continue;
    const t = byName.get(m[2]!) ?? { name: m[2]! };
    t[m[3] as 'pktgen' | 'setup' | 'check'] = p;
    byName.set(m[2]!, t);
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Loads `object` and runs every test in it, in name order, sharing the object's maps. */
export async function runBpfTests(object: string | Uint8Array, options: LoadOptions = {}): Promise<BpfTestResult[]> {
  const obj = await load(object, options);
  const tests = findBpfTests(obj.spec.programs);
  if (tests.length === 0) throw new CaseError('case/no-tests', 'the object has no tests: no program in a section tc/test/<name>/check or xdp/test/<name>/check');
  fillTailSlots(obj);
  return tests.map((t) => runOne(obj, t));
}

/** Puts each program tagged `tail:<map>/<slot>` into that slot of prog array `<map>`. */
export function fillTailSlots(obj: BpfObject): void {
  for (const p of obj.spec.programs) {
    for (const tag of p.declTags ?? []) {
      const m = TAIL_TAG.exec(tag);
      if (!m) continue;
      const spec = obj.spec.maps.find((s) => s.name === m[1]);
      if (!spec || spec.type !== BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY) {
        throw new CaseError('case/bad-tail-tag', `program '${p.name}': decl tag '${tag}' names no prog array '${m[1]}'`);
      }
      obj.map(m[1]!).set(Number(m[2]), p.name);
    }
  }
}

function runOne(obj: BpfObject, t: TestPrograms): BpfTestResult {
  const result: BpfTestResult = { name: t.name, status: 'error', retval: 0, logs: [], subtests: [] };
  if (!t.check) {
    result.error = `test '${t.name}' has no check program (section tc|xdp/test/${t.name}/check)`;
    return result;
  }
  const xdp = t.check.sectionName.startsWith('xdp/');
  let data: Uint8Array = new Uint8Array(PKTGEN_DATA_SIZE);
  // Cilium's harness gives TC programs a zeroed __sk_buff and passes ctx_out on; XDP programs none.
  let ctx: CtxInput | undefined = xdp ? undefined : {};
  const step = (p: ProgramSpec, stage: string): ProgramRun | undefined => {
    try {
      const run = obj.program(p.name).run(data, ctx === undefined ? {} : { ctx });
      data = run.packet;
      if (ctx !== undefined) ctx = run.ctx;
      return run;
    } catch (err) {
      if (!(err instanceof SimError)) throw err;
      result.error = `${stage} '${p.name}': ${err.message}`;
      return undefined;
    }
  };
  for (const [stage, p] of [['pktgen', t.pktgen], ['setup', t.setup]] as const) {
    if (!p) continue;
    const run = step(p, stage);
    if (!run) return finish(obj, result);
    if (run.retval === TEST_STATUS.ERROR || run.retval === TEST_STATUS.FAIL) {
      result.retval = run.retval;
      result.error = `${stage} '${p.name}' returned ${run.retval === TEST_STATUS.FAIL ? 'FAIL' : 'ERROR'}`;
      return finish(obj, result);
    }
    if (stage === 'setup') {
      // Check reads setup's return value first, as a native-endian 32-bit word.
      const withStatus = new Uint8Array(4 + data.length);
      new DataView(withStatus.buffer).setUint32(0, run.retval, true);
      withStatus.set(data, 4);
      data = withStatus;
      // ctx_out's wire_len is setup's packet length, now 4 bytes short: the kernel would refuse it (EINVAL).
      if (ctx !== undefined && 'wire_len' in ctx) ctx = { ...ctx, wire_len: 0 };
    }
  }
  const run = step(t.check, 'check');
  if (!run) return finish(obj, result);
  result.retval = run.retval;
  result.status = outcomeOf(run.retval);
  if (result.status === 'error') result.error = `check '${t.check.name}' returned ${run.retval}, not a TRF status (100 to 103)`;
  return finish(obj, result);
}

function outcomeOf(status: number): TestOutcome {
  if (status === TEST_STATUS.PASS) return 'pass';
  if (status === TEST_STATUS.FAIL) return 'fail';
  if (status === TEST_STATUS.SKIP) return 'skip';
  return 'error';
}

/** Reads suite_result_map into the result (sub-tests, suite logs), then zeroes it for the next test. */
function finish(obj: BpfObject, result: BpfTestResult): BpfTestResult {
  const index = obj.mapNames.indexOf('suite_result_map');
  if (index < 0) return result;
  const value = obj.maps[index]!.read(new Uint8Array(4))?.[0];
  if (!value) return result;
  const suite = decodeSuiteResult(value);
  result.logs.push(...suite.logs);
  result.subtests = suite.results.map((r) => ({ name: `${result.name} / ${r.name}`, status: outcomeOf(r.status), retval: r.status, logs: r.logs, subtests: [] }));
  // A sub-test's failure fails its test, whatever check returned.
  if (result.status === 'pass' && result.subtests.some((s) => s.status === 'fail' || s.status === 'error')) result.status = 'fail';
  obj.map('suite_result_map').clear();
  return result;
}

/** A decoded SuiteResult (trf.proto): its test results and suite logs. */
export interface SuiteResult {
  results: { name: string; status: number; logs: TestLog[] }[];
  logs: TestLog[];
}

/**
 * Decodes a TRF SuiteResult from `suite_result_map`'s value, up to the first field that does not
 * parse (the zeroes after the last one): field 1 TestResult (1 name, 2 status, 3 Log), field 2
 * Log (1 fmt, 2 fixed64 args), in the protobuf wire format.
 */
export function decodeSuiteResult(bytes: Uint8Array): SuiteResult {
  const out: SuiteResult = { results: [], logs: [] };
  for (const f of fields(bytes)) {
    if (f.no === 1 && f.bytes) {
      const r = { name: '', status: 0, logs: [] as TestLog[] };
      for (const g of fields(f.bytes)) {
        if (g.no === 1 && g.bytes) r.name = cString(g.bytes);
        else if (g.no === 2 && g.value !== undefined) r.status = Number(g.value);
        else if (g.no === 3 && g.bytes) r.logs.push(decodeLog(g.bytes));
      }
      out.results.push(r);
    } else if (f.no === 2 && f.bytes) {
      out.logs.push(decodeLog(f.bytes));
    }
  }
  return out;
}

function decodeLog(bytes: Uint8Array): TestLog {
  let fmt = '';
  const args: bigint[] = [];
  for (const f of fields(bytes)) {
    if (f.no === 1 && f.bytes) fmt = cString(f.bytes);
    else if (f.no === 2 && f.value !== undefined) args.push(f.value);
  }
  const text = formatLog(fmt, args);
  const m = /([\w./-]+\.[ch]):(\d+)/.exec(text);
  return { text, source: m ? `${m[1]!.split('/').pop()}:${m[2]}` : null };
}

/**
 * bpf_trace_printk-style formatting as Cilium's harness renders TRF logs: `%d %i %u %x` are 16-bit,
 * `%l?` 32-bit, `%ll?` 64-bit, `%x` in big-endian hex digits of that width.
 */
export function formatLog(fmt: string, args: readonly bigint[]): string {
  let argNo = 0;
  return fmt.replace(/%(l{0,2})([diuxs])/g, (_all, l: string, conv: string) => {
    const arg = args[argNo++];
    if (arg === undefined) return `%!${l}${conv}(MISSING)`;
    const bits = l.length === 0 ? 16 : l.length === 1 ? 32 : 64;
    const unsigned = BigInt.asUintN(bits, arg);
    if (conv === 'x') return unsigned.toString(16).padStart(bits / 4, '0');
    return (conv === 'u' ? unsigned : BigInt.asIntN(bits, arg)).toString();
  });
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(end < 0 ? bytes : bytes.subarray(0, end)).toString('utf8');
}

/** Protobuf fields of a message: number, and a varint/fixed64 value or length-delimited bytes; stops at a field that does not parse. */
function* fields(bytes: Uint8Array): Generator<{ no: number; value?: bigint; bytes?: Uint8Array }> {
  let at = 0;
  const varint = (): bigint | undefined => {
    let v = 0n;
    for (let shift = 0n; at < bytes.length && shift < 70n; shift += 7n) {
      const b = bytes[at++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
    return undefined;
  };
  while (at < bytes.length) {
    const key = varint();
    if (key === undefined || key === 0n) return;
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const value = varint();
      if (value === undefined) return;
      yield { no, value };
    } else if (wire === 1) {
      if (at + 8 > bytes.length) return;
      yield { no, value: new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigUint64(0, true) };
      at += 8;
    } else if (wire === 2) {
      const len = varint();
      if (len === undefined || at + Number(len) > bytes.length) return;
      yield { no, bytes: bytes.subarray(at, at + Number(len)) };
      at += Number(len);
    } else {
      return;
    }
  }
}
