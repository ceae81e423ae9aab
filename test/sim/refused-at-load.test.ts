/**
 * What the kernel refuses to load, load() and `bpfsim run` refuse too, with the kernel's message
 * and the C line: the programs the VM used to run although the kernel refuses them (issue 10). With
 * `verify: false` the engines still run them, which is what the VM did before.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoadRejected, VerifierError } from '../../src/internal/errors.js';
import { verdictFromLog } from '../../src/kernel/index.js';
import { runCase } from '../../src/sim/backend.js';
import { readCase } from '../../src/sim/case.js';
import { load } from '../../src/sim/object.js';
import { parityOfCase } from '../../src/sim/parity-case.js';
import { bpfsim, ensureDist, expectOneLine, ROOT } from '../support/cli.js';
import { kernelOrSkip } from '../kernel/require-kernel.js';

const kernel = await kernelOrSkip();
const ENGINES = ['wasm', 'interp'] as const;

/** `file.c:N` of the line of bpf/tests/`file` marked `REFUSED program` or `FAULT program`. */
function markedLine(file: string, program: string): string {
  const lines = readFileSync(join(ROOT, 'bpf/tests', file), 'utf8').split('\n');
  const i = lines.findIndex((l) => new RegExp(`(REFUSED|FAULT) ${program}\\b`).test(l));
  if (i < 0) throw new Error(`no REFUSED ${program} marker in ${file}`);
  return `${file}:${i + 1}`;
}

interface Refused {
  name: string;
  /** fixtures/bad case file. */
  have: string;
  program: string;
  file: string;
  /** The kernel 6.18's message (its log's last line), as `bpftool prog load` prints it. */
  want: string;
  /** Whether the kernel's log names the refused instruction (not for checks made after the walk, as the stack depth). */
  kernelLine: boolean;
  /** With `verify: false`, on both engines: r0 of a run (what the VM did before it verified), or the code of the run-time fault. */
  unverified: number | string;
}

const refused: Refused[] = [
  { name: 'an unchecked packet read inside the packet', have: 'prog_unchecked', program: 'xdp_unchecked', file: 'kernel_bad.c', want: 'R1 offset is outside of the packet', kernelLine: true, unverified: 0 },
  { name: 'a packet pointer used after bpf_xdp_adjust_tail', have: 'prog_stale_pkt', program: 'stale_after_tail', file: 'bad_stale_pkt.c', want: "R6 invalid mem access 'scalar'", kernelLine: true, unverified: 2 },
  { name: 'a map value read past value_size', have: 'prog_value_read', program: 'value_read_past', file: 'bad_value_read.c', want: 'R0 min value is outside of the allowed memory range', kernelLine: true, unverified: 'vm/out-of-bounds' },
  { name: 'two frames of 320 bytes of stack', have: 'prog_stack_combined', program: 'bad_stack_combined', file: 'bad_stack_combined.c', want: 'combined stack size of 2 calls is 640. Too large', kernelLine: false, unverified: 2 },
  { name: 'a GPL-only helper from a non-GPL program', have: 'prog_gpl', program: 'bad_gpl', file: 'bad_gpl.c', want: 'cannot call GPL-restricted function from non-GPL compatible program', kernelLine: true, unverified: 'vm/gpl-only' },
];

const casePath = (have: string) => join(ROOT, 'fixtures/bad', `${have}.json`);

beforeAll(() => ensureDist(), 300_000);

describe('sim', () => {
  describe.each(refused)('$name', ({ have, program, file, want, kernelLine, unverified }) => {
    it('is refused by load() with the kernel message and the C line', async () => {
      const c = await readCase(casePath(have));
      const err = await load(c.objectPath).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LoadRejected);
      const rejected = err as LoadRejected;
      expect([rejected.code, rejected.program, rejected.error, rejected.source]).toEqual(['verifier/rejected', program, want, markedLine(file, program)]);
      expect(rejected.path.at(-1)?.insn).toBe(rejected.insn);
    });

    it('is refused by bpfsim run with exit 2, the message and the C line', async () => {
      const run = await bpfsim('run', `fixtures/bad/${have}.json`, '--json');
      const line = expectOneLine(run, [`program '${program}'`, want, `(${markedLine(file, program)})`]);
      const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string; source: string } };
      expect([error.code, error.source]).toEqual(['verifier/rejected', markedLine(file, program)]);
      expect(line).toBe(`bpfsim: ${error.message}`);
    });

    it.each(ENGINES)('runs with verify: false on %s, with the engine run-time checks only', async (engine) => {
      const c = await readCase(casePath(have));
      const obj = await load(c.objectPath, { engine, verify: false });
      const prog = obj.program(program);
      if (typeof unverified === 'number') expect(prog.run(c.packet).retval).toBe(unverified);
      else expect(() => prog.run(c.packet)).toThrow(expect.objectContaining({ code: unverified, source: markedLine(file, program) }));
    });

    it.runIf(kernel)('is refused by the kernel with the same message and C line', async () => {
      const c = await readCase(casePath(have));
      const err = await runCase(c, { backend: 'kernel' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(VerifierError);
      const verdict = verdictFromLog((err as VerifierError).log);
      expect([verdict.error, verdict.source]).toEqual([want, kernelLine ? markedLine(file, program) : null]);
      const parity = await parityOfCase(c);
      expect(parity.load).toEqual({ vm: { accepted: false, error: want }, kernel: { accepted: false, error: want } });
      expect(parity.differences).toEqual([]);
    }, 60_000);
  });
});
