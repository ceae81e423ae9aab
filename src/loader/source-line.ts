import type { ProgramSpec } from '../loader/spec.js';

/** `file.c:42` for the C line that instruction `pc` of `program` came from, from BTF line_info; undefined without it. */
export function sourceOf(program: ProgramSpec, pc: number): string | undefined {
  let best: ProgramSpec['lines'][number] | undefined;
  for (const line of program.lines) {
    if (line.pc > pc) break;
    best = line;
  }
  if (!best) return undefined;
  const file = best.file.split('/').pop() ?? best.file;
  return `${file}:${best.line}`;
}
