import { AtomicFile } from '../pcap/atomic-file.js';
import { SimError } from '../internal/errors.js';
import type { ProgramSpec } from '../loader/spec.js';
import type { TraceHook } from '../vm/trace.js';

/**
 * Line coverage of runs, from the instructions the interpreter executed mapped to C lines
 * through BTF line_info. Lines that BTF knows but no executed instruction reached count 0.
 */
export class LineCoverage {
  /** Executions per instruction, per program. */
  private readonly hits = new Map<ProgramSpec, Uint32Array>();

  /** A trace hook that counts executed instructions; pass it as the machine's `trace`. */
  readonly hook: TraceHook = (pc, _insn, _regs, program) => {
    let counts = this.hits.get(program);
    if (!counts) {
      counts = new Uint32Array(program.insns.length);
      this.hits.set(program, counts);
    }
    counts[pc]! += 1;
  };

  /** Hit counts per source file and line, over every program that ran. */
  lines(): Map<string, Map<number, number>> {
    const files = new Map<string, Map<number, number>>();
    for (const [program, counts] of this.hits) {
      const lines = program.lines;
      lines.forEach((line, i) => {
        const end = i + 1 < lines.length ? lines[i + 1]!.pc : program.insns.length;
        let executed = 0;
        for (let pc = line.pc; pc < end; pc++) executed = Math.max(executed, counts[pc] ?? 0);
        const perFile = files.get(line.file) ?? new Map<number, number>();
        files.set(line.file, perFile);
        perFile.set(line.line, Math.max(perFile.get(line.line) ?? 0, executed));
      });
    }
    return files;
  }

  /** The coverage as an lcov tracefile (`SF:`, `DA:line,count`, `LF`, `LH`, `end_of_record`). */
  toLcov(): string {
    const out: string[] = [];
    for (const [file, lines] of [...this.lines()].sort(([a], [b]) => a.localeCompare(b))) {
      out.push('TN:', `SF:${file}`);
      const sorted = [...lines].sort(([a], [b]) => a - b);
      for (const [line, count] of sorted) out.push(`DA:${line},${count}`);
      out.push(`LF:${sorted.length}`, `LH:${sorted.filter(([, c]) => c > 0).length}`, 'end_of_record');
    }
    return out.join('\n') + '\n';
  }

  /** Writes the lcov tracefile to `path` as AtomicFile does (atomically for a regular file, through symlinks, directly to a FIFO or device, `-` for stdout); fails with SimError `sim/io`. */
  async write(path: string): Promise<void> {
    try {
      const file = await AtomicFile.create(path);
      await file.write(new TextEncoder().encode(this.toLcov()));
      await file.commit();
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
      throw new SimError('sim/io', `coverage: cannot write ${path} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`);
    }
  }
}
