import type { Verifier } from './env.js';
import { markNotInit, markUnknown, type Reg } from './reg.js';
import { BPF_REG_SIZE, STACK_DYNPTR, STACK_INVALID, slotForWrite, updateRegs, type Frame } from './state.js';
import { tnumIsConst } from './tnum.js';

/**
 * Dynptrs on the stack as kernel/bpf/verifier.c tracks them (dynptr_get_spi,
 * mark_stack_slots_dynptr, unmark_stack_slots_dynptr, destroy_if_dynptr_stack_slot,
 * process_dynptr_func): a `struct bpf_dynptr` takes two 8-byte slots, every byte STACK_DYNPTR,
 * and the spilled register of each slot describes it: `btfName` its type (`local`, `ringbuf`,
 * `skb`, `xdp`), `off` 1 on the first (higher) slot, `id` the dynptr's id and `refObjId` the
 * reference a ringbuf dynptr holds until it is submitted or discarded.
 */

/** enum bpf_dynptr_type as dynptr_type_str prints it. */
export type DynptrType = 'local' | 'ringbuf' | 'skb' | 'xdp';

export interface DynptrInfo {
  type: DynptrType;
  id: number;
  refObjId: number;
}

const NR_SLOTS = 2;

/** dynptr_get_spi: the first slot of the dynptr `reg` points at, or -1 (after the kernel's log line) when it cannot hold one. */
function dynptrSpi(v: Verifier, reg: Reg): number {
  if (!tnumIsConst(reg.var)) {
    v.verbose('dynptr has to be at a constant offset');
    return -1;
  }
  const off = reg.off + Number(BigInt.asIntN(64, reg.var.value));
  const spi = Math.floor((-off - 1) / BPF_REG_SIZE);
  if (off % BPF_REG_SIZE !== 0 || spi < 1) {
    v.verbose(`cannot pass in dynptr at an offset=${off}`);
    return -1;
  }
  return spi;
}

function frameOf(v: Verifier, reg: Reg): Frame {
  return v.cur.frames[reg.frameno]!;
}

/** The dynptr whose first slot is `spi`, when both its slots are STACK_DYNPTR (is_dynptr_reg_valid_init). */
function dynptrAt(f: Frame, spi: number): DynptrInfo | undefined {
  const first = f.stack[spi];
  const second = f.stack[spi - 1];
  if (!first || !second || first.spilled.off !== 1) return undefined;
  if (!first.types.every((t) => t === STACK_DYNPTR) || !second.types.every((t) => t === STACK_DYNPTR)) return undefined;
  return { type: first.spilled.btfName as DynptrType, id: first.spilled.id, refObjId: first.spilled.refObjId };
}

/** invalidate_dynptr: both slots back to STACK_INVALID. */
function invalidate(f: Frame, spi: number): void {
  for (const s of [spi, spi - 1]) {
    const slot = slotForWrite(f, s);
    slot.types.fill(STACK_INVALID);
    markNotInit(slot.spilled);
  }
}

/**
 * destroy_if_dynptr_stack_slot: a stack write into slot `spi` of `f` ends the dynptr there (and
 * the slices taken from it); a referenced (ringbuf) dynptr may not be overwritten.
 */
export function destroyIfDynptrSlot(v: Verifier, f: Frame, spi: number): void {
  const slot = f.stack[spi];
  if (!slot || slot.types[0] !== STACK_DYNPTR) return;
  const first = slot.spilled.off === 1 ? spi : spi + 1;
  const info = f.stack[first]!.spilled;
  if (info.refObjId) v.fail('cannot overwrite referenced dynptr');
  const id = info.id;
  invalidate(f, first);
  updateRegs(v.cur, (r) => r.type === 'mem' && r.dynptrId === id, markUnknown);
}

/** True when a stack read of [off, off + size) in `f` touches a dynptr (check_stack_read refuses it). */
export function readsDynptr(f: Frame, off: number, size: number): boolean {
  for (let o = off; o < off + size; o++) {
    const s = -o - 1;
    if (f.stack[Math.floor(s / BPF_REG_SIZE)]?.types[s % BPF_REG_SIZE] === STACK_DYNPTR) return true;
  }
  return false;
}

export interface DynptrArg {
  /** MEM_UNINIT: the call initialises the dynptr. */
  uninit: boolean;
  /** The type an uninit dynptr gets, or the type an initialised one must have (undefined: any). */
  type?: DynptrType;
  /** acquire_reference for a refcounted (ringbuf) dynptr, or the reference a clone shares. */
  refObjId?: number;
}

/**
 * process_dynptr_func for argument `argNo` (0-based, as the kernel's messages number it) in
 * register `regno`: an uninit dynptr is marked on the stack, an initialised one is checked.
 * Returns the dynptr the argument now holds.
 */
export function processDynptrArg(v: Verifier, regno: number, argNo: number, arg: DynptrArg): DynptrInfo {
  const reg = v.regs()[regno]!;
  if (reg.type !== 'fp') v.fail(`arg#${argNo} expected pointer to stack or const struct bpf_dynptr`);
  const f = frameOf(v, reg);
  if (arg.uninit) {
    const spi = dynptrSpi(v, reg);
    if (spi < 0) v.fail('Dynptr has to be an uninitialized dynptr');
    while (f.stack.length <= spi) f.stack.push({ types: new Array(BPF_REG_SIZE).fill(STACK_INVALID), spilled: newSpill(), gen: f.gen });
    destroyIfDynptrSlot(v, f, spi);
    destroyIfDynptrSlot(v, f, spi - 1);
    const type = arg.type ?? 'local';
    const id = v.newId();
    let refObjId = 0;
    if (type === 'ringbuf') {
      refObjId = arg.refObjId ?? v.newId();
      if (arg.refObjId === undefined) v.cur.refs.push({ id: refObjId, insn: v.insnIdx, kind: 'ptr' });
    }
    for (let k = 0; k < NR_SLOTS; k++) {
      const slot = slotForWrite(f, spi - k);
      slot.types.fill(STACK_DYNPTR);
      markNotInit(slot.spilled);
      slot.spilled.btfName = type;
      slot.spilled.off = k === 0 ? 1 : 0;
      slot.spilled.id = id;
      slot.spilled.refObjId = refObjId;
    }
    const sp = v.subprogs.find((s) => s.start === f.subprog) ?? v.subprogs[0]!;
    sp.stackDepth = Math.max(sp.stackDepth, (spi + 1) * BPF_REG_SIZE);
    return { type, id, refObjId };
  }
  const spi = dynptrSpi(v, reg);
  const info = spi < 0 ? undefined : dynptrAt(f, spi);
  if (!info) v.fail(`Expected an initialized dynptr as arg #${argNo}`);
  if (arg.type && info.type !== arg.type) v.fail(`Expected a dynptr of type ${arg.type} as arg #${argNo}`);
  return info;
}

function newSpill(): Reg {
  const r = { type: 'not_init' } as Reg;
  markNotInit(r);
  return r;
}

/** The referenced dynptr `reg` points at, for release (OBJ_RELEASE on a dynptr argument): its ref_obj_id, or 0. */
export function dynptrRefObjId(v: Verifier, reg: Reg): number {
  if (reg.type !== 'fp') v.fail('cannot release unowned const bpf_dynptr');
  const spi = dynptrSpi(v, reg);
  return spi < 0 ? 0 : (frameOf(v, reg).stack[spi]?.spilled.refObjId ?? 0);
}

/**
 * unmark_stack_slots_dynptr: releasing a ringbuf dynptr drops its reference, and with it every
 * register and every clone that carries it.
 */
export function releaseDynptr(v: Verifier, reg: Reg, releaseReference: (v: Verifier, id: number) => void): void {
  const f = frameOf(v, reg);
  const spi = dynptrSpi(v, reg);
  const refObjId = f.stack[spi]!.spilled.refObjId;
  releaseReference(v, refObjId);
  for (const frame of v.cur.frames) {
    frame.stack.forEach((slot, s) => {
      if (slot.types[0] === STACK_DYNPTR && slot.spilled.off === 1 && slot.spilled.refObjId === refObjId) invalidate(frame, s);
    });
  }
}
