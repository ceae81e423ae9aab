import { IsaError } from '../internal/errors.js';
import type { Insn } from './insn.js';

/** Bytes of one instruction slot (RFC 9669 §3). */
export const INSN_SIZE = 8;

/**
 * Decodes little-endian eBPF bytecode into instruction slots (RFC 9669 §3: opcode, then the
 * destination register in the low nibble and the source register in the high nibble of byte 1,
 * a signed 16-bit offset and a signed 32-bit immediate). `lddw` stays two slots. Throws IsaError
 * `isa/truncated` when the length is not a multiple of 8.
 */
export function decodeInsns(bytes: Uint8Array): Insn[] {
  if (bytes.byteLength % INSN_SIZE !== 0) {
    throw new IsaError('isa/truncated', `instructions: expected a multiple of ${INSN_SIZE} bytes, got ${bytes.byteLength}`, Math.floor(bytes.byteLength / INSN_SIZE));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const insns: Insn[] = new Array(bytes.byteLength / INSN_SIZE);
  for (let pc = 0, off = 0; off < bytes.byteLength; pc++, off += INSN_SIZE) {
    const regs = view.getUint8(off + 1);
    insns[pc] = {
      opcode: view.getUint8(off),
      dst: regs & 0x0f,
      src: regs >> 4,
      off: view.getInt16(off + 2, true),
      imm: view.getInt32(off + 4, true),
    };
  }
  return insns;
}

/**
 * Encodes instruction slots as little-endian bytecode, the inverse of {@link decodeInsns}.
 * `off` may be given signed or as its unsigned 16-bit pattern, `imm` signed or unsigned 32-bit;
 * a field out of range is a RangeError (a caller's mistake, not bad input).
 */
export function encodeInsns(insns: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * INSN_SIZE);
  const view = new DataView(bytes.buffer);
  insns.forEach((insn, pc) => {
    const off = pc * INSN_SIZE;
    check(pc, 'opcode', insn.opcode, 0, 0xff);
    check(pc, 'dst', insn.dst, 0, 0x0f);
    check(pc, 'src', insn.src, 0, 0x0f);
    check(pc, 'off', insn.off, -0x8000, 0xffff);
    check(pc, 'imm', insn.imm, -0x8000_0000, 0xffff_ffff);
    view.setUint8(off, insn.opcode);
    view.setUint8(off + 1, (insn.src << 4) | insn.dst);
    view.setUint16(off + 2, insn.off & 0xffff, true);
    view.setUint32(off + 4, insn.imm >>> 0, true);
  });
  return bytes;
}

function check(pc: number, field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`encode insn ${pc}: ${field} expected an integer in ${min}..${max}, got ${value}`);
  }
}

/** The 64-bit immediate of the `lddw` at `pc` (low half in its imm, high half in the next slot's), as an unsigned bigint. */
export function lddwImm(insns: readonly Insn[], pc: number): bigint {
  const lo = BigInt(insns[pc]!.imm >>> 0);
  const hi = BigInt((insns[pc + 1]?.imm ?? 0) >>> 0);
  return (hi << 32n) | lo;
}
