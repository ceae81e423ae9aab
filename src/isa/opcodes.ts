/**
 * eBPF opcode constants and an opcode model, as RFC 9669 §3–§5 defines them (spelled as in
 * include/uapi/linux/bpf.h and bpf_common.h). The 8-bit opcode is `class | size | mode` for
 * loads and stores and `class | source | operation` for arithmetic and jumps.
 */

/** Instruction classes, the low three bits of the opcode (RFC 9669 §3.3). */
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

/** Access sizes of load and store instructions, bits 3–4 (RFC 9669 §5.1). */
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

/** Load and store modes, bits 5–7 (RFC 9669 §5.1). */
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

/** Source operand of arithmetic and jump instructions, bit 3 (RFC 9669 §3.3.1). */
export const BPF_K = 0x00;
export const BPF_X = 0x08;
/** Byte-swap direction, in the source bit of BPF_END (RFC 9669 §4.2). */
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

/** Arithmetic operations, bits 4–7 of ALU and ALU64 opcodes (RFC 9669 §4.1). */
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

/** Jump operations, bits 4–7 of JMP and JMP32 opcodes (RFC 9669 §4.3). */
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;
/** `may_goto` (kernel 6.9, not in RFC 9669): the disassembler prints it, the validator refuses it. */
export const BPF_JCOND = 0xe0;

/** Atomic operations in the imm field of BPF_STX | BPF_ATOMIC (RFC 9669 §5.3). */
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;
/** Every imm value an atomic instruction may carry (RFC 9669 §5.3, Table 11). */
export const ATOMIC_OPS: readonly number[] = [
  BPF_ADD,
  BPF_ADD | BPF_FETCH,
  BPF_OR,
  BPF_OR | BPF_FETCH,
  BPF_AND,
  BPF_AND | BPF_FETCH,
  BPF_XOR,
  BPF_XOR | BPF_FETCH,
  BPF_XCHG,
  BPF_CMPXCHG,
];

/** `off` of a signed BPF_DIV / BPF_MOD (sdiv, smod; RFC 9669 §4.1). */
export const OFF_SIGNED = 1;

/** Whole opcodes used often enough to name (bpf_conformance and ubpf spell them the same way). */
export const OP = {
  LDDW: BPF_LD | BPF_IMM | BPF_DW,
  CALL: BPF_JMP | BPF_CALL,
  CALLX: BPF_JMP | BPF_CALL | BPF_X,
  EXIT: BPF_JMP | BPF_EXIT,
  JA: BPF_JMP | BPF_JA,
  JA32: BPF_JMP32 | BPF_JA,
  LE: BPF_ALU | BPF_END | BPF_TO_LE,
  BE: BPF_ALU | BPF_END | BPF_TO_BE,
  BSWAP: BPF_ALU64 | BPF_END,
  ATOMIC_W: BPF_STX | BPF_ATOMIC | BPF_W,
  ATOMIC_DW: BPF_STX | BPF_ATOMIC | BPF_DW,
} as const;

/** Mnemonics of the arithmetic operations, indexed by `op >> 4`. */
const ALU_OP_NAMES: readonly string[] = ['add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'neg', 'mod', 'xor', 'mov', 'arsh', 'end'];
/** Mnemonics of the jump operations, indexed by `op >> 4` (`jcond` is may_goto). */
const JMP_OP_NAMES: readonly string[] = ['ja', 'jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'call', 'exit', 'jlt', 'jle', 'jslt', 'jsle', 'jcond'];
/** Names of the classes, indexed by class. */
const CLASS_NAMES: readonly string[] = ['ld', 'ldx', 'st', 'stx', 'alu', 'jmp', 'jmp32', 'alu64'];
/** Bytes moved by each size, indexed by `size >> 3`. */
export const SIZE_BYTES: readonly number[] = [4, 2, 1, 8];

/**
 * An 8-bit opcode split into its fields (RFC 9669 §3), in the manner of cilium/ebpf's
 * `asm.OpCode`: `new Opcode(0x61).class === BPF_LDX`, `.size === BPF_W`, `.mode === BPF_MEM`.
 * Getters that do not apply to the class return -1.
 */
export class Opcode {
  readonly raw: number;

  constructor(raw: number) {
    if (!Number.isInteger(raw) || raw < 0 || raw > 0xff) throw new RangeError(`opcode: expected an integer in 0..255, got ${raw}`);
    this.raw = raw;
  }

  /** BPF_LD .. BPF_ALU64. */
  get class(): number {
    return this.raw & 0x07;
  }
  /** True for BPF_LD, BPF_LDX, BPF_ST and BPF_STX. */
  get isLoadStore(): boolean {
    return this.class < BPF_ALU;
  }
  /** True for BPF_ALU and BPF_ALU64. */
  get isAlu(): boolean {
    return this.class === BPF_ALU || this.class === BPF_ALU64;
  }
  /** True for BPF_JMP and BPF_JMP32. */
  get isJump(): boolean {
    return this.class === BPF_JMP || this.class === BPF_JMP32;
  }
  /** BPF_W, BPF_H, BPF_B or BPF_DW for loads and stores, else -1. */
  get size(): number {
    return this.isLoadStore ? this.raw & 0x18 : -1;
  }
  /** Bytes a load or store moves, else -1. */
  get sizeBytes(): number {
    return this.isLoadStore ? SIZE_BYTES[(this.raw & 0x18) >> 3]! : -1;
  }
  /** BPF_IMM, BPF_ABS, BPF_IND, BPF_MEM, BPF_MEMSX or BPF_ATOMIC for loads and stores, else -1. */
  get mode(): number {
    return this.isLoadStore ? this.raw & 0xe0 : -1;
  }
  /** BPF_K or BPF_X for arithmetic and jumps, else -1. */
  get source(): number {
    return this.isLoadStore ? -1 : this.raw & 0x08;
  }
  /** The operation (BPF_ADD.., BPF_JA..) for arithmetic and jumps, else -1. */
  get op(): number {
    return this.isLoadStore ? -1 : this.raw & 0xf0;
  }

  /** `alu64.add.x`, `ldx.mem.w`, `jmp32.jeq.k`: a name for messages, not a disassembly. */
  toString(): string {
    const cls = CLASS_NAMES[this.class]!;
    if (this.isLoadStore) {
      const modes: Record<number, string> = { 0x00: 'imm', 0x20: 'abs', 0x40: 'ind', 0x60: 'mem', 0x80: 'memsx', 0xc0: 'atomic' };
      return `${cls}.${modes[this.mode] ?? `mode(0x${this.mode.toString(16)})`}.${['w', 'h', 'b', 'dw'][this.size >> 3]}`;
    }
    const names = this.isAlu ? ALU_OP_NAMES : JMP_OP_NAMES;
    const op = names[this.op >> 4] ?? `op(0x${this.op.toString(16)})`;
    return `${cls}.${op}.${this.source === BPF_X ? 'x' : 'k'}`;
  }
}
