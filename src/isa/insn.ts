/**
 * One 8-byte instruction slot, the fields of `struct bpf_insn` (RFC 9669 §3). `lddw` takes two
 * slots: the first carries the low 32 bits of the immediate in `imm`, the second has opcode 0
 * and the high 32 bits in its `imm`. A `pc` is always an index into such an array, so it matches
 * the kernel's and llvm-objdump's instruction numbering.
 */
export interface Insn {
  /** The 8-bit opcode (class, size/mode or source/operation). */
  opcode: number;
  /** Destination register, 0..10. */
  dst: number;
  /** Source register, 0..10, or a pseudo source for lddw and call. */
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate. */
  imm: number;
}
