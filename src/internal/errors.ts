/**
 * Typed, coded errors. Every failure bpfsim reports is a {@link SimError} with a stable
 * `code` (`'elf/bad-machine'`, `'vm/out-of-bounds'`): tests assert on class and code, never on
 * message text. Messages are lowercase, with no trailing period, outer context first
 * (`load programs: program 'xdp_fw': insn 12: unsatisfied map reference 'counters'`).
 */
export class SimError extends Error {
  /** Stable machine-readable code, `<module>/<what>`. */
  readonly code: string;
  /**
   * The errno the kernel returns for what failed (`EINVAL`, `ENODEV`): for a case
   * BPF_PROG_TEST_RUN refuses (CaseError, KernelError `kernel/test-run`), whether the kernel
   * backend got it or the VM refused the case as the kernel would; for a map operation bpf(2)
   * refuses (MapError).
   */
  readonly errno?: string;

  constructor(code: string, message: string, options?: { cause?: unknown; errno?: string }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    if (options?.errno !== undefined) this.errno = options.errno;
  }

  /** A copy of this error whose message is prefixed with `context: `, keeping class, code and fields. */
  withContext(context: string): this {
    const copy = Object.create(Object.getPrototypeOf(this)) as this;
    Object.assign(copy, this);
    Object.defineProperty(copy, 'message', { value: `${context}: ${this.message}`, enumerable: false, writable: true });
    Object.defineProperty(copy, 'stack', { value: `${copy.name}: ${copy.message}`, enumerable: false, writable: true });
    return copy;
  }
}

/** Runs `fn`, prefixing any SimError it throws with `context` (a loader phase, a file name). */
export function withContext<T>(context: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SimError) throw err.withContext(context);
    throw err;
  }
}

/** A malformed ELF file: `offset` is the byte offset in the file where it went wrong, when known. */
export class ElfError extends SimError {
  constructor(code: string, message: string, readonly offset?: number) {
    super(code, message);
  }
}

/** Malformed BTF or BTF.ext: `typeId` or `recordIndex` locate it. */
export class BtfError extends SimError {
  constructor(code: string, message: string, readonly typeId?: number) {
    super(code, message);
  }
}

/** Malformed or invalid instructions: `pc` is the instruction index. */
export class IsaError extends SimError {
  constructor(code: string, message: string, readonly pc?: number) {
    super(code, message);
  }
}

/** An assembler source that does not parse: `line` is 1-based. */
export class AsmError extends SimError {
  constructor(code: string, message: string, readonly line?: number) {
    super(code, message);
  }
}

/** The loader cannot turn an object into an ObjectSpec (unknown section, bad relocation, unsupported extern). */
export class LoadError extends SimError {}

/** A packet that does not parse or build: `path` says where (`ipv4/options/0`). */
export class PacketError extends SimError {
  constructor(code: string, message: string, readonly path?: string) {
    super(code, message);
  }
}

/** A malformed or truncated pcap/pcapng capture. */
export class PcapError extends SimError {}

/**
 * A map operation from user space that failed (bad key or value, unknown map) or that the
 * kernel's bpf(2) would refuse: then `errno` is the errno's name (`EEXIST`, `ENOENT`, `E2BIG`,
 * `EPERM`) and `code` is `map/` and that name in lower case (`map/eexist`).
 */
export class MapError extends SimError {
  constructor(code: string, message: string, override readonly errno?: string) {
    super(code, message);
  }
}

/**
 * A public function called with an argument it cannot take: the wrong type (`arg/type`) or a
 * value out of range (`arg/range`). `argument` names it (`packet`, `options.cpus`).
 */
export class ArgumentError extends SimError {
  constructor(code: 'arg/type' | 'arg/range', message: string, readonly argument: string) {
    super(code, message);
  }
}

/** Where in the program a fault happened: instruction index and, with BTF line info, the C source. */
export interface FaultLocation {
  /** Instruction index in the program (subprograms included, as linked). */
  pc: number;
  /** `file.c:42` from BTF line_info, when the object has it. */
  source?: string;
}

/**
 * A run stopped by the program: a bad memory access, a budget exceeded, a helper misused.
 * `pc` is the instruction index; `source` is filled by the harness from BTF line info.
 */
export class VmFault extends SimError {
  source?: string;
  /**
   * The program `pc` counts in, when it is not the one the run started: the tail-called program
   * the fault happened in (set by the engine that catches it at the tail call).
   */
  program?: string;
  constructor(
    code: string,
    message: string,
    readonly pc: number,
    readonly details: { addr?: number; size?: number; region?: string } = {},
  ) {
    super(code, message);
  }
}

/**
 * A program that the verifier (src/verifier, modelled on this kernel's) refuses at load, as the
 * kernel's BPF_PROG_LOAD would: `error` is the kernel's message (its log's last line), `insn` and
 * `source` (`file.c:42`) the instruction it is about, `path` the instructions that led there.
 */
export class LoadRejected extends LoadError {
  constructor(
    message: string,
    readonly program: string,
    readonly error: string,
    readonly insn: number | null,
    readonly source: string | null,
    readonly path: readonly { insn: number; source: string | null }[] = [],
  ) {
    super('verifier/rejected', message);
  }
}

/** A helper called in a way the kernel refuses at load time (unknown, or not allowed for the program type). */
export class HelperError extends SimError {}

/** A case file that cannot run: bad JSON, missing file, bad hex, unknown program or map. */
export class CaseError extends SimError {}

/** The kernel backend failed: no privileges, libbpf missing, a syscall error. */
export class KernelError extends SimError {}

/**
 * The kernel's verifier rejected a program. `message` is the summary (the log's last line, two when
 * the last needs context); `log` is the whole verifier log.
 */
export class VerifierError extends KernelError {
  constructor(message: string, readonly log: string) {
    super('kernel/verifier', message);
  }
}
