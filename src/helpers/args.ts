import { VmFault } from '../internal/errors.js';
import type { RunEnv, VmMap } from '../vm/env.js';
import { mapIndexOf } from '../vm/layout.js';

/**
 * Argument and return conventions shared by the helpers: registers are unsigned 64-bit bigints,
 * a negative errno comes back as 2^64 - errno, pointers are checked with VmMemory.check before a
 * helper touches what they point at (the verifier's ARG_PTR_TO_MEM guarantee, enforced at run time).
 */

/** `-errno` as the unsigned 64-bit r0 the kernel's `return -EINVAL;` leaves. */
export function errno(e: number): bigint {
  return BigInt.asUintN(64, BigInt(-e));
}

/** The low 32 bits of a register, unsigned (a `u32` parameter). */
export function u32(r: bigint): number {
  return Number(r & 0xffff_ffffn);
}

/** The low 32 bits of a register, signed (an `int`/`s32` parameter). */
export function s32(r: bigint): number {
  return Number(BigInt.asIntN(32, r));
}

/** A register as an address: values past 2^53 stay out of every region, so the check rejects them. */
export function addrOf(r: bigint): number {
  return Number(BigInt.asUintN(64, r));
}

/**
 * A view of `len` bytes at address `r` in the VM's memory, after checking that the program may
 * read (or write) them there; a zero length needs no memory. The view is live: re-read
 * `env.mem.u8` after any allocation.
 */
export function memAt(env: RunEnv, r: bigint, len: number, write: boolean): Uint8Array {
  const addr = addrOf(r);
  if (len === 0) return new Uint8Array(0);
  env.mem.check(addr, len, write, env.pc);
  return env.mem.u8.subarray(addr, addr + len);
}

/** The live map a map-pointer register refers to, with its index; a VmFault `helper/bad-map` when it is none. */
export function mapArg(env: RunEnv, r: bigint, helper: string): { map: VmMap; index: number } {
  const index = mapIndexOf(r);
  const map = index >= 0 ? env.maps[index] : undefined;
  if (!map) throw new VmFault('helper/bad-map', `insn ${env.pc}: ${helper}: argument is not a map pointer (0x${BigInt.asUintN(64, r).toString(16)})`, env.pc);
  return { map, index };
}

/** A fault inside a helper, naming the calling instruction and the helper. */
export function helperFault(env: RunEnv, helper: string, code: string, message: string): VmFault {
  return new VmFault(code, `insn ${env.pc}: ${helper}: ${message}`, env.pc);
}

