/**
 * The one-line summary of a verifier log, as cilium/ebpf gives it (internal/errors.go): the last
 * line, with the line before it when the last one alone says too little, and without the
 * trailing `processed N insns ...` statistics.
 */

/** The log's lines: cut at the first NUL, surrounding whitespace trimmed, each line right-trimmed. */
export function verifierLogLines(log: string): string[] {
  const nul = log.indexOf('\0');
  const text = (nul >= 0 ? log.slice(0, nul) : log).trim();
  if (text === '') return [];
  return text.split('\n').map((l) => l.trimEnd());
}

/**
 * Whether `line` only makes sense after the line before it: a BTF member line (starts with a
 * tab), a register state (`R0 !read_ok`, `R1 offset is outside of the packet`), or an invalid
 * context access whose instruction is on the previous line.
 */
export function needsPreviousLine(line: string): boolean {
  if (line.startsWith('\t')) return true;
  if (/^R[0-9]/.test(line)) return true;
  return line.startsWith('invalid bpf_context access');
}

/**
 * Lines the kernel appends after the verdict, which never explain a rejection: statistics, and
 * the two register-state dumps after `infinite loop detected at insn N` (`cur state:`, `old state:`).
 */
function isStatistics(line: string): boolean {
  return /^(processed |verification time |stack depth |cur state: |old state: )/.test(line);
}

/**
 * The summary of a verifier log: its last meaningful line, or the last two joined with `: `
 * when the last needs context. Empty when the log is.
 */
export function summarizeVerifierLog(log: string): string {
  const lines = verifierLogLines(log);
  while (lines.length > 0 && isStatistics(lines[lines.length - 1])) lines.pop();
  if (lines.length === 0) return '';
  const n = lines.length;
  const picked = n >= 2 && needsPreviousLine(lines[n - 1]) ? lines.slice(n - 2) : lines.slice(n - 1);
  return picked.map((l) => l.trim()).join(': ');
}

/** What a verifier log says about one program load, in the fields of a `bpfsim verify` verdict. */
export interface LogVerdict {
  /** The log's last line without the statistics after it (design.md: `error`), or null when empty. */
  error: string | null;
  /** The instruction index of the last instruction the log printed before the verdict, or null. */
  insn: number | null;
  /** `file.c:42` of that instruction from the log's `; text @ file.c:42` lines, or null. */
  source: string | null;
  /** The number of the log's `processed N insns` line, or 0 when it has none. */
  insnsProcessed: number;
}

/**
 * The verdict fields of a verifier log (kernel/bpf/verifier.c: `verbose_linfo` prints
 * `; <C text> @ <file>:<line>` before an instruction's first line, `print_bpf_insn` prints
 * `N: (op) ...`, `print_verification_stats` ends the log with `processed N insns`).
 */
export function verdictFromLog(log: string): LogVerdict {
  // A few messages lack their newline (`expected prog array map for tail call`), so the
  // statistics start on the same line: split them off.
  const lines = verifierLogLines(log).flatMap((l) => {
    const at = l.search(/processed \d+ insns \(limit/);
    return at > 0 ? [l.slice(0, at), l.slice(at)] : [l];
  });
  const processed = lines.map((l) => /^processed (\d+) insns/.exec(l)).find((m) => m);
  const insnsProcessed = processed ? Number(processed[1]) : 0;
  while (lines.length > 0 && isStatistics(lines[lines.length - 1])) lines.pop();
  const error = lines.length > 0 ? lines[lines.length - 1].trim() : null;
  let insn: number | null = null;
  let source: string | null = null;
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(\d+): \(/.exec(lines[i]);
    if (!m) continue;
    insn = Number(m[1]);
    for (let j = i - 1; j >= 0; j--) {
      const s = /^; .* @ (?:.*\/)?([^/]+:\d+)$/.exec(lines[j]);
      if (s) {
        source = s[1];
        break;
      }
    }
    break;
  }
  return { error, insn, source, insnsProcessed };
}
