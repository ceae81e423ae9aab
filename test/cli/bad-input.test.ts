import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfFile } from '../../src/elf/elf-file.js';
import { SimError, VmFault } from '../../src/internal/errors.js';
import { runCase } from '../../src/sim/backend.js';
import { readCase } from '../../src/sim/case.js';
import { runCaseOnVm } from '../../src/sim/run-case.js';
import { load } from '../../src/sim/object.js';
import { bpfsim, ensureDist, expectOneLine, type Names } from '../support/cli.js';

/**
 * Bad input of every kind, through the built `bpfsim` command: each ends with exit status 2 and
 * one line on stderr naming what went wrong and where, never a stack trace (design.md, "Quality";
 * the case files and objects are in fixtures/bad/, the programs in bpf/tests/bad_*.c). The same
 * cases run in-process to check that both engines fail with the same SimError code.
 */

const ROOT = join(import.meta.dirname, '../..');
const BAD = 'fixtures/bad';
const ENGINES = ['wasm', 'interp'] as const;
/** The code of a program the verifier refuses at load. */
const REFUSED = 'verifier/rejected';

/** `file.c:N` for the line of bpf/tests/`file` marked `FAULT <program>`. */
function faultLine(file: string, program: string): string {
  const lines = readFileSync(join(ROOT, 'bpf/tests', file), 'utf8').split('\n');
  const i = lines.findIndex((l) => new RegExp(`FAULT ${program}\\b`).test(l));
  if (i < 0) throw new Error(`no FAULT ${program} marker in ${file}`);
  return `(${file}:${i + 1})`;
}

/** `(file.c:N)` for any line of bpf/tests/`file` marked LOOP: where an endless loop may run out of budget. */
function loopLines(file: string): RegExp {
  const lines = readFileSync(join(ROOT, 'bpf/tests', file), 'utf8').split('\n');
  const marked = lines.flatMap((l, i) => (l.includes('/* LOOP */') ? [i + 1] : []));
  return new RegExp(`\\(${file.replace('.', '\\.')}:(${marked.join('|')})\\)$`);
}

interface BadCase {
  name: string;
  /** The case file, relative to the repository root. */
  have: string;
  /** What the message must name. */
  names: Names;
  /** The SimError code both engines give. */
  want: string;
}

const caseFiles: BadCase[] = [
  { name: 'bad JSON', have: `${BAD}/case_bad_json.json`, names: ['case_bad_json.json', 'JSON'], want: 'case/bad-json' },
  { name: 'a missing case file', have: `${BAD}/no_such_case.json`, names: ['no_such_case.json', 'ENOENT'], want: 'case/unreadable' },
  { name: 'a missing object file', have: `${BAD}/case_missing_object.json`, names: ['no_such_object.o', 'ENOENT'], want: 'load/unreadable' },
  { name: 'odd-length hex in the packet', have: `${BAD}/case_odd_hex_packet.json`, names: ['case_odd_hex_packet.json', 'packet:'], want: 'case/bad-hex' },
  { name: 'odd-length hex in a key', have: `${BAD}/case_odd_hex_key.json`, names: ['maps.deny_v4[0].key'], want: 'case/bad-hex' },
  { name: 'odd-length hex in a value', have: `${BAD}/case_odd_hex_value.json`, names: ['maps.deny_v4[0].value'], want: 'case/bad-hex' },
  { name: 'a non-hex digit', have: `${BAD}/case_non_hex.json`, names: ['packet:', "'z'"], want: 'case/bad-hex' },
  { name: 'an unknown program', have: `${BAD}/case_unknown_program.json`, names: ["'no_such_program'", 'xdp_blacklist'], want: 'case/unknown-program' },
  { name: 'an unknown map', have: `${BAD}/case_unknown_map.json`, names: ['maps.no_such_map', 'deny_v4'], want: 'case/unknown-map' },
  { name: 'a key of the wrong size', have: `${BAD}/case_key_size.json`, names: ['maps.deny_v4[0]', 'key', '4', '5'], want: 'map/bad-key-size' },
  { name: 'a value of the wrong size', have: `${BAD}/case_value_size.json`, names: ['maps.deny_v4[0]', 'value', '4', '6'], want: 'map/bad-value-size' },
  { name: 'an unknown field', have: `${BAD}/case_unknown_field.json`, names: ['case_unknown_field.json', 'expected:'], want: 'case/invalid' },
  { name: 'a ctx field XDP does not have', have: `${BAD}/case_ctx_field.json`, names: ['ctx', "'mark'", 'xdp_md'], want: 'case/bad-ctx' },
  { name: 'an rx queue without an ingress interface', have: `${BAD}/case_ctx_value.json`, names: ['ctx', 'rx_queue_index'], want: 'case/bad-ctx' },
  { name: 'metadata that is not a multiple of 4', have: `${BAD}/case_ctx_meta.json`, names: ['ctx', 'data'], want: 'case/bad-ctx' },
  { name: 'an interface address that is not a string', have: `${BAD}/case_fib_addr.json`, names: ['fib', 'interfaces[0].addrs[0]'], want: 'case/bad-fib' },
  { name: 'a packet shorter than 14 bytes', have: `${BAD}/case_short_packet.json`, names: ['packet:', '14'], want: 'case/invalid' },
];

const objects: BadCase[] = [
  { name: 'random bytes', have: `${BAD}/obj_random.json`, names: ['random.o', 'ELF'], want: 'elf/bad-magic' },
  { name: 'random bytes after an ELF header', have: `${BAD}/obj_random_elf.json`, names: ['random_elf.o'], want: 'elf/truncated' },
  { name: 'an empty file', have: `${BAD}/obj_empty.json`, names: ['empty.o'], want: 'elf/truncated' },
  { name: 'an x86 binary', have: `${BAD}/obj_x86.json`, names: ['/bin/true', 'EM_BPF'], want: 'elf/bad-machine' },
  { name: 'an unknown helper', have: `${BAD}/obj_helper.json`, names: ['bad_helper.o', "'bad_helper'", 'invalid func unknown#999', '(bad_helper.c:12)'], want: REFUSED },
  { name: 'a TC helper in XDP', have: `${BAD}/obj_helper_type.json`, names: ['bad_helper_type.o', 'bpf_skb_store_bytes#9', '(bad_helper_type.c:12)'], want: REFUSED },
  { name: 'a program in an unknown section', have: `${BAD}/obj_section.json`, names: ['bad_section.o', 'no_such_hook/here'], want: 'load/unknown-section' },
];

/** Programs the kernel refuses to load: refused at load with its message and the C line (the first refused program of the object, as libbpf loads them in order). */
const programs: BadCase[] = [
  { name: 'an unchecked packet read', have: `${BAD}/prog_oob.json`, names: ["'bad_oob'", 'R1 offset is outside of the packet', faultLine('bad_oob.c', 'bad_oob')], want: REFUSED },
  { name: 'an unchecked packet read in a subprogram', have: `${BAD}/prog_oob_sub.json`, names: ["'bad_oob'", faultLine('bad_oob.c', 'bad_oob')], want: REFUSED },
  { name: 'an unchecked packet read after a tail call', have: `${BAD}/prog_oob_tail.json`, names: ["'bad_oob'", faultLine('bad_oob.c', 'bad_oob')], want: REFUSED },
  { name: 'a NULL map value dereference', have: `${BAD}/prog_null.json`, names: ["R0 invalid mem access 'map_value_or_null'", faultLine('bad_null.c', 'bad_null')], want: REFUSED },
  { name: 'an endless loop', have: `${BAD}/prog_loop.json`, names: ['infinite loop detected', loopLines('bad_loop.c')], want: REFUSED },
  { name: 'a write past a u64 array value', have: `${BAD}/prog_value_overflow.json`, names: ["'overflow_array_u64'", 'R0 min value is outside of the allowed memory range', /\(bad_value_overflow\.c:35\)$/], want: REFUSED },
  { name: 'a write to .rodata', have: `${BAD}/prog_rodata.json`, names: ['write into map forbidden', faultLine('bad_rodata.c', 'bad_rodata')], want: REFUSED },
  { name: 'nine nested calls', have: `${BAD}/prog_depth.json`, names: ['the call stack of 9 frames is too deep', faultLine('bad_depth.c', 'bad_depth')], want: REFUSED },
  {
    name: 'two frames of 320 bytes',
    have: `${BAD}/prog_stack_combined.json`,
    names: ['combined stack size of 2 calls is 640. Too large', faultLine('bad_stack_combined.c', 'bad_stack_combined')],
    want: REFUSED,
  },
  {
    name: "a callee reading its caller's frame through r10 + 8",
    have: `${BAD}/prog_stack_caller.json`,
    names: ['invalid read from stack R10 off=8 size=8', faultLine('bad_stack_caller.c', 'bad_stack_caller')],
    want: REFUSED,
  },
  {
    name: 'a GPL-only helper from a non-GPL program',
    have: `${BAD}/prog_gpl.json`,
    names: ['cannot call GPL-restricted function from non-GPL compatible program', faultLine('bad_gpl.c', 'bad_gpl')],
    want: REFUSED,
  },
];

/**
 * The engines' own run-time checks, on programs the verifier refuses, loaded with `verify: false`:
 * what stops each run on both engines when nothing verified it first.
 */
const unverified: { name: string; have: string; want: string; source: string | RegExp | null }[] = [
  { name: 'an unchecked packet read', have: `${BAD}/prog_oob.json`, want: 'vm/out-of-bounds', source: 'bad_oob.c:19' },
  { name: 'an unchecked packet read in a subprogram', have: `${BAD}/prog_oob_sub.json`, want: 'vm/out-of-bounds', source: 'bad_oob.c:28' },
  { name: 'an unchecked packet read after a tail call', have: `${BAD}/prog_oob_tail.json`, want: 'vm/out-of-bounds', source: 'bad_oob.c:19' },
  { name: 'a NULL map value dereference', have: `${BAD}/prog_null.json`, want: 'vm/out-of-bounds', source: 'bad_null.c:20' },
  { name: 'an endless loop', have: `${BAD}/prog_loop.json`, want: 'vm/budget-exceeded', source: /^bad_loop\.c:1[23]$/ },
  { name: 'a write past a u64 array value', have: `${BAD}/prog_value_overflow.json`, want: 'vm/out-of-bounds', source: 'bad_value_overflow.c:35' },
  { name: 'a write to .rodata', have: `${BAD}/prog_rodata.json`, want: 'vm/read-only', source: 'bad_rodata.c:12' },
  { name: 'nine nested calls', have: `${BAD}/prog_depth.json`, want: 'vm/call-depth', source: 'bad_depth.c:21' },
  { name: 'a GPL-only helper from a non-GPL program', have: `${BAD}/prog_gpl.json`, want: 'vm/gpl-only', source: 'bad_gpl.c:12' },
  { name: 'an unknown helper', have: `${BAD}/obj_helper.json`, want: 'helper/unknown', source: null },
  { name: 'a TC helper in XDP', have: `${BAD}/obj_helper_type.json`, want: 'helper/not-allowed', source: null },
];

/** The SimError code running `path` on `engine` in-process gives; fails on anything but a SimError. */
async function codeOf(path: string, engine: 'wasm' | 'interp'): Promise<string> {
  try {
    await runCase(await readCase(resolve(ROOT, path)), { engine });
  } catch (err) {
    expect(err).toBeInstanceOf(SimError);
    return (err as SimError).code;
  }
  return expect.fail(`${path} ran on ${engine}`);
}

let scratch: string;
let goodObject: Uint8Array;
/** Case files for objects made here: a good object truncated at several lengths. */
const truncations: { name: string; have: string; names: Names }[] = [];

beforeAll(() => {
  execFileSync('bash', ['scripts/build-bpf.sh'], { cwd: ROOT });
  ensureDist();
  scratch = mkdtempSync(join(tmpdir(), 'bpfsim-bad-'));
  goodObject = new Uint8Array(readFileSync(join(ROOT, 'build/bpf/xdp_blacklist.o')));
  const template = JSON.parse(readFileSync(join(ROOT, BAD, 'obj_random.json'), 'utf8')) as Record<string, unknown>;
  for (const len of [10, 64, Math.floor(goodObject.length / 2), goodObject.length - 1]) {
    const object = join(scratch, `truncated_${len}.o`);
    writeFileSync(object, goodObject.subarray(0, len));
    const path = join(scratch, `truncated_${len}.json`);
    writeFileSync(path, JSON.stringify({ ...template, object }));
    truncations.push({ name: `${len} bytes`, have: path, names: [`truncated_${len}.o`] });
  }
}, 300_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('cli', () => {
  describe.each([
    { group: 'case files', table: caseFiles },
    { group: 'objects', table: objects },
    { group: 'programs', table: programs },
  ])('bad $group', ({ table }) => {
    it.each(table)('ends $name with exit 2, one line and the error as JSON on stdout on both engines', async ({ have, names, want }) => {
      const [wasm, interp] = await Promise.all(ENGINES.map((engine) => bpfsim('run', have, '--json', '--engine', engine)));
      const lines = [expectOneLine(wasm!, names), expectOneLine(interp!, names)];
      for (const [run, line] of [[wasm!, lines[0]!], [interp!, lines[1]!]] as const) {
        const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string; source: string | null } };
        expect(error.code).toBe(want);
        expect(line).toContain(error.message);
        if (error.source !== null) expect(line).toContain(`(${error.source})`);
      }
      expect(lines[0]).toBe(lines[1]);
    });

    it.each(table)('gives $want for $name on both engines', async ({ have, want }) => {
      for (const engine of ENGINES) expect(await codeOf(have, engine)).toBe(want);
    });
  });

  describe('programs the verifier refuses, with verify: false', () => {
    it.each(unverified)('stop $name on both engines with $want', async ({ have, want, source }) => {
      const c = await readCase(resolve(ROOT, have));
      for (const engine of ENGINES) {
        const err = await runCaseOnVm(c, { engine, verify: false }).then(
          () => expect.fail(`${have} ran on ${engine}`),
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(SimError);
        expect((err as SimError).code).toBe(want);
        const at = err instanceof VmFault ? (err.source ?? null) : null;
        if (source instanceof RegExp) expect(at).toMatch(source);
        else expect(at).toBe(source);
      }
    });
  });

  describe('a truncated good object', () => {
    it('ends with exit 2 and one line naming the file at every length, on both engines', async () => {
      expect(truncations).toHaveLength(4);
      for (const { have, names } of truncations) {
        const runs = await Promise.all(ENGINES.map((engine) => bpfsim('run', have, '--engine', engine)));
        const lines = runs.map((run) => expectOneLine(run, names));
        expect(lines[0]).toBe(lines[1]);
      }
    });

    it('gives the same SimError code on both engines at every length', async () => {
      for (const { have } of truncations) {
        const codes = await Promise.all(ENGINES.map((engine) => codeOf(have, engine)));
        expect(codes[0]).toMatch(/^(elf|btf|load)\//);
        expect(codes[1]).toBe(codes[0]);
      }
    });
  });

  describe('disasm and inspect', () => {
    const bad = [
      { name: 'random bytes', have: `${BAD}/random.o` },
      { name: 'an empty file', have: `${BAD}/empty.o` },
      { name: 'an x86 binary', have: '/bin/true' },
      { name: 'a missing file', have: `${BAD}/no_such_object.o` },
    ];
    it.each(bad)('refuse $name with exit 2 and one line naming it', async ({ have }) => {
      for (const args of [['disasm', have], ['disasm', have, '--program', 'x'], ['inspect', have], ['inspect', have, '--json']]) {
        expectOneLine(await bpfsim(...args), [have]);
      }
    });

    it('refuse a truncated object', async () => {
      const half = join(scratch, `truncated_${Math.floor(goodObject.length / 2)}.o`);
      expectOneLine(await bpfsim('disasm', half), [half]);
      expectOneLine(await bpfsim('inspect', half), [half]);
    });

    it('refuse a program in an unknown section where they need its type', async () => {
      const object = 'build/bpf/tests/bad_section.o';
      expectOneLine(await bpfsim('inspect', object), [object, 'no_such_hook/here']);
      expectOneLine(await bpfsim('disasm', object, '--program', 'bad_section'), [object, 'no_such_hook/here']);
    });
  });

  describe('other commands', () => {
    it.each([
      { name: 'conformance on a missing directory', have: ['conformance', '/nonexistent'], names: ['/nonexistent'] },
      { name: 'conformance on a missing directory with the interpreter', have: ['conformance', '/nonexistent', '--engine', 'interp'], names: ['/nonexistent'] },
      { name: 'conformance on a directory without tests', have: ['conformance', BAD], names: [BAD, '.data'] },
      { name: 'coverage into a missing directory', have: ['run', 'fixtures/cases/xdp_lb_tx.json', '--coverage', '/nonexistent/dir/x.lcov'], names: ['/nonexistent/dir/x.lcov'] },
      { name: 'an unknown command', have: ['frobnicate'], names: ["'frobnicate'"] },
      { name: 'an unknown option', have: ['run', `${BAD}/prog_oob.json`, '--frobnicate'], names: ["'--frobnicate'"] },
      { name: 'a missing argument', have: ['run'], names: ['case'] },
      { name: 'an unknown engine', have: ['run', 'fixtures/cases/xdp_lb_tx.json', '--engine', 'jit'], names: ['--engine', "'jit'"] },
      { name: 'an unknown backend', have: ['run', 'fixtures/cases/xdp_lb_tx.json', '--backend', 'qemu'], names: ['--backend', "'qemu'"] },
      { name: 'bench on a program the verifier refuses', have: ['bench', `${BAD}/prog_oob.json`], names: ['R1 offset is outside of the packet', faultLine('bad_oob.c', 'bad_oob')] },
      { name: 'replay of a program the verifier refuses', have: ['replay', `${BAD}/prog_oob.json`, '--pcap', 'fixtures/pcap/text2pcap.pcapng'], names: ['R1 offset is outside of the packet', faultLine('bad_oob.c', 'bad_oob')] },
      { name: 'replay of a capture that is not one', have: ['replay', 'fixtures/cases/xdp_lb_tx.json', '--pcap', `${BAD}/random.o`], names: ['capture'] },
    ])('end $name with exit 2 and one line', async ({ have, names }) => {
      expectOneLine(await bpfsim(...have), names);
    });

    it('leaves no output file when replay stops on a refused program', async () => {
      const out = join(scratch, 'replay-out.pcapng');
      expectOneLine(await bpfsim('replay', `${BAD}/prog_oob.json`, '--pcap', 'fixtures/pcap/text2pcap.pcapng', '--out', out), ['bad_oob.c']);
      expect(existsSync(out)).toBe(false);
    });

    it('names each case that cannot run in parity, once', async () => {
      const run = await bpfsim('parity', `${BAD}/case_bad_json.json`, `${BAD}/case_unknown_program.json`);
      expect(run.status).toBe(2);
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^bpfsim: fixtures\/bad\/case_bad_json\.json: invalid JSON/);
      expect(lines[1]).toMatch(/^bpfsim: fixtures\/bad\/case_unknown_program\.json: .*'no_such_program'/);
    });
  });

  describe('load', () => {
    /** Loads `bytes` on an engine: true when it loads or throws a SimError within 10 s (a hang or a huge allocation takes far longer, even on a loaded machine); anything else fails. */
    async function loadsOrSimError(bytes: Uint8Array, engine: 'wasm' | 'interp'): Promise<boolean> {
      const started = Date.now();
      try {
        await load(bytes, { engine, cpus: 2 });
      } catch (err) {
        if (!(err instanceof SimError)) throw err;
      }
      return Date.now() - started < 10_000;
    }

    it('loads random bytes or throws a SimError, quickly', async () => {
      const elfLike = fc.uint8Array({ minLength: 0, maxLength: 512 }).map((tail) => Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 247, 0, ...tail]));
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 512 }), elfLike), fc.constantFrom(...ENGINES), loadsOrSimError),
        { numRuns: 150 },
      );
    });

    it('loads random mutations of good objects or throws a SimError, quickly', async () => {
      const goods = ['build/bpf/xdp_lb.o', 'build/bpf/tests/loader_globals.o', 'build/bpf/tests/bad_oob.o'].map((p) => new Uint8Array(readFileSync(join(ROOT, p))));
      // Half the edits land in what the loader reads (headers, code, BTF, symbols, relocations, maps), not in DWARF.
      const hot = goods.map((b) => {
        const elf = ElfFile.decode(b);
        const shoff = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(40, true));
        const ranges = elf.sections.filter((s) => s.size > 0 && !s.name.startsWith('.debug') && !s.name.startsWith('.rel.debug')).map((s) => [s.off, s.off + s.size] as const);
        return [[0, 64] as const, [shoff, b.length] as const, ...ranges].filter(([lo, hi]) => hi > lo && hi <= b.length);
      });
      const offsetIn = (i: number) =>
        fc.oneof(
          fc.nat({ max: goods[i]!.length - 1 }),
          fc.constantFrom(...hot[i]!).chain(([lo, hi]) => fc.integer({ min: lo, max: hi - 1 })),
        );
      const mutation = fc
        .nat({ max: goods.length - 1 })
        .chain((i) => fc.tuple(fc.constant(i), fc.array(fc.tuple(offsetIn(i), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })));
      await fc.assert(
        fc.asyncProperty(mutation, fc.constantFrom(...ENGINES), async ([i, edits], engine) => {
          const bytes = goods[i]!.slice();
          for (const [off, value] of edits) bytes[off] = value;
          return loadsOrSimError(bytes, engine);
        }),
        { numRuns: 200 },
      );
    });
  });
});
