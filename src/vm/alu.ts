/**
 * The arithmetic and jump-condition semantics of eBPF written plainly over BigInt, one
 * instruction at a time (RFC 9669 §4.1–§4.3). Slow, but short enough to check against the RFC
 * line by line: the interpreter uses it for the rare 64-bit division and modulo, and tests (and
 * the WebAssembly engine's differential tests) use it as the oracle for the fast paths.
 */

const M64 = 0xffff_ffff_ffff_ffffn;
const M32 = 0xffff_ffffn;

/** Opcode classes (RFC 9669 §3). */
const BPF_ALU = 0x04;
const BPF_JMP32 = 0x06;
const BPF_ALU64 = 0x07;
/** Source bit: register (BPF_X) rather than immediate (BPF_K); for BPF_END, BPF_TO_BE. */
const BPF_X = 0x08;

/** Swaps the byte order of the low `width` bits of `v` (width 16, 32 or 64); higher bits are dropped. */
export function bswapRef(v: bigint, width: number): bigint {
  let out = 0n;
  for (let i = 0; i < width; i += 8) out = (out << 8n) | ((v >> BigInt(i)) & 0xffn);
  return out;
}

/**
 * The new value of dst after one ALU or ALU64 instruction (RFC 9669 §4.1, §4.2), as an unsigned
 * 64-bit bigint. `opcode` is the full opcode byte, `off` selects signed division and modulo (1) or
 * MOVSX (8, 16, 32), `imm` is the immediate (the operand for BPF_K, the width for BPF_END).
 * `dst` and `src` are the registers' unsigned 64-bit values. Division by zero gives 0, modulo by
 * zero leaves the dividend (truncated to 32 bits for BPF_ALU), signed INT_MIN / -1 gives INT_MIN
 * and INT_MIN % -1 gives 0, shift amounts are masked to the operand width, and every 32-bit
 * result is zero-extended.
 */
export function aluRef(opcode: number, off: number, imm: number, dst: bigint, src: bigint): bigint {
  const cls = opcode & 7;
  const op = opcode & 0xf0;
  const is64 = cls === BPF_ALU64;
  if (!is64 && cls !== BPF_ALU) throw new RangeError(`aluRef: opcode 0x${opcode.toString(16)} is not an ALU instruction`);
  if (op === 0xd0) return endRef(opcode, imm, dst);
  const width = is64 ? 64 : 32;
  const w = BigInt(width);
  const mask = is64 ? M64 : M32;
  const a = dst & mask;
  const b = opcode & BPF_X ? src & mask : BigInt.asUintN(width, BigInt(imm | 0));
  const sa = BigInt.asIntN(width, a);
  const sb = BigInt.asIntN(width, b);
  switch (op) {
    case 0x00:
      return (a + b) & mask;
    case 0x10:
      return (a - b) & mask;
    case 0x20:
      return (a * b) & mask;
    case 0x30:
      if (b === 0n) return 0n;
      // BigInt division truncates toward zero, as the RFC's signed division does.
      return (off === 1 ? sa / sb : a / b) & mask;
    case 0x40:
      return a | b;
    case 0x50:
      return a & b;
    case 0x60:
      return (a << (b & (w - 1n))) & mask;
    case 0x70:
      return a >> (b & (w - 1n));
    case 0x80:
      return -a & mask;
    case 0x90:
      if (b === 0n) return a;
      // BigInt remainder takes the dividend's sign, as the RFC's signed modulo does.
      return (off === 1 ? sa % sb : a % b) & mask;
    case 0xa0:
      return a ^ b;
    case 0xb0:
      if (off === 8 || off === 16 || off === 32) return BigInt.asIntN(off, b) & mask;
      return b;
    case 0xc0:
      return (sa >> (b & (w - 1n))) & mask;
    default:
      throw new RangeError(`aluRef: unknown ALU operation 0x${op.toString(16)}`);
  }
}

/**
 * BPF_END (RFC 9669 §4.2): BPF_ALU with BPF_TO_LE truncates dst to `imm` bits (zero-extended, a
 * no-op for 64 on this little-endian machine), BPF_ALU with BPF_TO_BE byte-swaps the low `imm`
 * bits, and BPF_ALU64 with BPF_TO_LE is the unconditional `bswap` of version 4.
 */
function endRef(opcode: number, imm: number, dst: bigint): bigint {
  const width = imm;
  if (width !== 16 && width !== 32 && width !== 64) throw new RangeError(`aluRef: bad byte swap width ${imm}`);
  const toBe = (opcode & BPF_X) !== 0;
  const swap = (opcode & 7) === BPF_ALU64 || toBe;
  return swap ? bswapRef(dst, width) : dst & ((1n << BigInt(width)) - 1n);
}

/**
 * Whether a conditional JMP or JMP32 instruction is taken (RFC 9669 §4.3). `dst` and `src` are the
 * registers' unsigned 64-bit values; for BPF_K the operand is `imm`, sign-extended to 64 bits for
 * JMP and taken as 32 bits for JMP32. JMP32 compares the low 32 bits only. `ja` is always taken.
 */
export function jmpRef(opcode: number, imm: number, dst: bigint, src: bigint): boolean {
  const is32 = (opcode & 7) === BPF_JMP32;
  const width = is32 ? 32 : 64;
  const mask = is32 ? M32 : M64;
  const a = dst & mask;
  const b = opcode & BPF_X ? src & mask : BigInt.asUintN(width, BigInt(imm | 0));
  const sa = BigInt.asIntN(width, a);
  const sb = BigInt.asIntN(width, b);
  switch (opcode & 0xf0) {
    case 0x00:
      return true;
    case 0x10:
      return a === b;
    case 0x20:
      return a > b;
    case 0x30:
      return a >= b;
    case 0x40:
      return (a & b) !== 0n;
    case 0x50:
      return a !== b;
    case 0x60:
      return sa > sb;
    case 0x70:
      return sa >= sb;
    case 0xa0:
      return a < b;
    case 0xb0:
      return a <= b;
    case 0xc0:
      return sa < sb;
    case 0xd0:
      return sa <= sb;
    default:
      throw new RangeError(`jmpRef: opcode 0x${opcode.toString(16)} is not a conditional jump`);
  }
}

/**
 * The result of an atomic read-modify-write (RFC 9669 §5.3) on a `width`-bit memory value `old`
 * with operand `src`: `mem` is what memory holds afterwards, `reg` what the instruction leaves in
 * its register (src for FETCH and XCHG, r0 for CMPXCHG; unchanged otherwise, reported as null).
 * `r0` is used by CMPXCHG only. 32-bit forms compare and return low 32 bits, zero-extended.
 */
export function atomicRef(imm: number, width: 32 | 64, old: bigint, src: bigint, r0: bigint): { mem: bigint; reg: bigint | null } {
  const mask = width === 64 ? M64 : M32;
  const o = old & mask;
  const s = src & mask;
  const fetch = (imm & 1) !== 0;
  switch (imm) {
    case 0x00:
    case 0x01:
      return { mem: (o + s) & mask, reg: fetch ? o : null };
    case 0x40:
    case 0x41:
      return { mem: o | s, reg: fetch ? o : null };
    case 0x50:
    case 0x51:
      return { mem: o & s, reg: fetch ? o : null };
    case 0xa0:
    case 0xa1:
      return { mem: o ^ s, reg: fetch ? o : null };
    case 0xe1:
      return { mem: s, reg: o };
    case 0xf1:
      return { mem: o === (r0 & mask) ? s : o, reg: o };
    default:
      throw new RangeError(`atomicRef: unknown atomic operation 0x${imm.toString(16)}`);
  }
}

/** Signed 64-bit division of unsigned bit patterns: zero divisor → 0, INT_MIN / -1 → INT_MIN. */
export function sdiv64(a: bigint, b: bigint): bigint {
  if (b === 0n) return 0n;
  return BigInt.asUintN(64, BigInt.asIntN(64, a) / BigInt.asIntN(64, b));
}

/** Signed 64-bit modulo of unsigned bit patterns: zero divisor → the dividend, INT_MIN % -1 → 0. */
export function smod64(a: bigint, b: bigint): bigint {
  if (b === 0n) return a;
  return BigInt.asUintN(64, BigInt.asIntN(64, a) % BigInt.asIntN(64, b));
}
