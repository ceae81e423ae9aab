/**
 * What the verifier reports: plain data, as `bpfsim verify --json` prints it (design.md, "The
 * command"). The kernel backend's verdicts use the same shape, so the two compare field by field.
 */

/** One step of the path that led to a rejection. */
export interface PathStep {
  /** Instruction index in the linked program. */
  insn: number;
  /** `file.c:42` from BTF line info, or null. */
  source: string | null;
}

/** The verdict for one program. */
export interface ProgramVerdict {
  program: string;
  /** `xdp`, `tc` or `socket`. */
  type: string;
  accepted: boolean;
  /** The kernel's message for the rejection (the log's last line, without `processed N insns`), or null. */
  error: string | null;
  /** The instruction the rejection is about, or null. */
  insn: number | null;
  /** `file.c:42` of that instruction, or null. */
  source: string | null;
  /** Instructions processed, as the kernel's `processed N insns` counts them. */
  insns_processed: number;
  /** The shortest path of instructions that led to the rejection (empty when accepted). */
  path: PathStep[];
}

/** A whole object's verdicts, in program order. */
export interface VerifyReport {
  programs: ProgramVerdict[];
}
