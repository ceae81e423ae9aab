import { CTRL, LAYOUT } from '../layout.js';
import { FuncBody, I32, Op } from './encoder.js';
import type { InlineFunction } from './inline-api.js';

/**
 * The engine's own function that the lowered bounds checks call instead of crossing into
 * JavaScript. (The functions of helpers' and maps' inline forms come with those forms.)
 */

/**
 * `slabOk(addr, size, write)`: VmMemory.check's slab case without leaving wasm, a binary search
 * of the control block's slab table (layout.ts WASM_SLABS). 1 when `size` bytes at `addr` lie
 * inside one value of a slab and a write is allowed there; 0 sends the access to `memCheck`,
 * which finds the same answer (or the fault) the slow way.
 */
export function slabCheck(hitStart: number, hitSize: number): FuncBody {
  const f = new FuncBody(3);
  const [ADDR, SIZE, WRITE] = [0, 1, 2];
  const a = f.local(I32);
  const lo = f.local(I32);
  const hi = f.local(I32);
  const mid = f.local(I32);
  const e = f.local(I32);
  const vs = f.local(I32);
  const at = LAYOUT.CTRL + CTRL.WASM_SLAB_ENTRIES;
  f.get(ADDR).i64(32).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_eqz).if();
  f.i32(0).op(Op.return);
  f.end();
  f.get(ADDR).op(Op.i32_wrap_i64).set(a);
  f.i32(LAYOUT.CTRL).mem(Op.i32_load, CTRL.WASM_SLABS).set(hi);
  f.block();
  f.loop();
  f.get(lo).get(hi).op(Op.i32_ge_u).brIf(1);
  f.get(lo).get(hi).op(Op.i32_add).i32(1).op(Op.i32_shr_u).tee(mid).i32(4).op(Op.i32_shl).set(e);
  f.get(a).get(e).mem(Op.i32_load, at).op(Op.i32_lt_u).if();
  f.get(mid).set(hi).br(1);
  f.end();
  f.get(a).get(e).mem(Op.i32_load, at + 4).op(Op.i32_ge_u).if();
  f.get(mid).i32(1).op(Op.i32_add).set(lo).br(1);
  f.end();
  f.get(e).mem(Op.i32_load, at + 12).set(vs);
  f.get(WRITE).get(vs).i32(31).op(Op.i32_shr_u).op(Op.i32_and).if();
  f.i32(0).op(Op.return);
  f.end();
  // The offset within the value, (a - base) % stride, without a division where it can: inside
  // the first value, or a power-of-two stride.
  f.get(a).get(e).mem(Op.i32_load, at).op(Op.i32_sub).set(lo);
  f.get(e).mem(Op.i32_load, at + 8).set(mid);
  f.get(lo).get(mid).op(Op.i32_lt_u).if(I32);
  f.get(lo);
  f.op(Op.else);
  f.get(mid).get(mid).i32(1).op(Op.i32_sub).op(Op.i32_and).op(Op.i32_eqz).if(I32);
  f.get(lo).get(mid).i32(1).op(Op.i32_sub).op(Op.i32_and);
  f.op(Op.else);
  f.get(lo).get(mid).op(Op.i32_rem_u);
  f.end();
  f.end();
  f.tee(mid).get(SIZE).op(Op.i32_add);
  f.get(vs).i32(0x7fff_ffff).op(Op.i32_and).tee(vs).op(Op.i32_le_u).if();
  // Yes: the value's start (addr - offset within it) and size, for the caller's site cache.
  f.get(a).get(mid).op(Op.i32_sub).op(Op.i64_extend_i32_u).gset(hitStart);
  f.get(vs).op(Op.i64_extend_i32_u).gset(hitSize);
  f.i32(1).op(Op.return);
  f.end();
  f.i32(0).op(Op.return);
  f.end();
  f.end();
  f.i32(0);
  return f;
}

/**
 * `stillFill(fill, addr, len)`: 1 when one of the `len` bytes at `addr` lies on the stack and
 * still equals the byte at the same offset of `fill`, the copy of what the run's stack started
 * with (layout.ts CTRL.KEY_FILL); 0 otherwise, and for any range not wholly on the stack.
 */
function stillFillBody(): FuncBody {
  const f = new FuncBody(3);
  const [FILL, ADDR, LEN] = [0, 1, 2];
  const off = f.local(I32);
  const end = f.local(I32);
  f.get(ADDR).i32(LAYOUT.STACK).op(Op.i32_sub).tee(off).i32(LAYOUT.STACK_SIZE).op(Op.i32_ge_u);
  f.get(off).get(LEN).op(Op.i32_add).tee(end).i32(LAYOUT.STACK_SIZE).op(Op.i32_gt_u).op(Op.i32_or).if();
  f.i32(0).op(Op.return);
  f.end();
  f.block();
  f.loop();
  f.get(off).get(end).op(Op.i32_ge_u).brIf(1);
  f.get(off).mem(Op.i32_load8_u, LAYOUT.STACK).get(FILL).get(off).op(Op.i32_add).mem(Op.i32_load8_u).op(Op.i32_eq).if();
  f.i32(1).op(Op.return);
  f.end();
  f.get(off).i32(1).op(Op.i32_add).set(off);
  f.br(0);
  f.end();
  f.end();
  f.i32(0);
  return f;
}

/** `still_fill(fill, addr, len)`, see stillFillBody. */
export const stillFill: InlineFunction = { name: 'still_fill', params: [I32, I32, I32], results: [I32], body: stillFillBody };
