import { btfPointeeStruct } from './btf-walk.js';
import { BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG } from '../uapi/bpf.js';
import { ctxAccess, mayAccessPacket } from './context.js';
import { destroyIfDynptrSlot, readsDynptr } from './dynptr.js';
import { sockAccessConverts, sockAccessValid } from './sock-access.js';
import type { Verifier } from './env.js';
import type { AccessFact } from './facts.js';
import {
  S64_MIN,
  copyReg,
  coerceRegToSize,
  coerceRegToSizeSx,
  isNull,
  isPointer,
  markKnown,
  markKnownZero,
  markUnknown,
  regTypeStr,
  scalarConst,
  type Reg,
} from './reg.js';
import {
  BPF_REG_SIZE,
  MAX_BPF_STACK,
  STACK_INVALID,
  STACK_MISC,
  STACK_SPILL,
  STACK_ZERO,
  allocatedStack,
  growStack,
  isSpilledReg,
  slotForWrite,
  type Frame,
} from './state.js';
import { tnumIsConst, tnumStr, U64 } from './tnum.js';

/**
 * Memory accesses (check_mem_access and what it calls): stack slots with spills and fills,
 * context fields per program type, packet bytes inside the proven range, map values within
 * value_size, ringbuf and other sized memory, read-only maps.
 */

export const BPF_MAX_VAR_OFF = 1 << 29;
const READ = false;
const WRITE = true;

export type AccessSource = 'direct' | 'helper';

/** __check_mem_access: the message for an access outside [0, memSize). */
function checkMemAccess(v: Verifier, reg: Reg, regno: number, off: number, size: number, memSize: number, zeroOk: boolean): boolean {
  const sizeOk = size > 0 || (size === 0 && zeroOk);
  if (off >= 0 && sizeOk && off + size <= memSize) return true;
  switch (reg.type) {
    case 'map_key':
      v.verbose(`invalid access to map key, key_size=${memSize} off=${off} size=${size}`);
      break;
    case 'map_value':
      v.verbose(`invalid access to map value, value_size=${memSize} off=${off} size=${size}`);
      break;
    case 'pkt':
    case 'pkt_meta':
    case 'pkt_end':
      v.verbose(`invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`);
      break;
    default:
      v.verbose(`invalid access to memory, mem_size=${memSize} off=${off} size=${size}`);
  }
  return false;
}

/** check_mem_region_access: a region of `memSize` bytes reached with a variable offset. */
export function checkMemRegion(v: Verifier, regno: number, reg: Reg, off: number, size: number, memSize: number, zeroOk: boolean): void {
  const smin = reg.smin;
  if (smin < 0n && (smin === S64_MIN || BigInt(off) + smin !== BigInt.asIntN(32, BigInt(off) + smin) || smin + BigInt(off) < 0n)) {
    v.fail(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  if (!checkMemAccess(v, reg, regno, Number(smin) + off, size, memSize, zeroOk)) v.fail(`R${regno} min value is outside of the allowed memory range`);
  if (reg.umax >= BigInt(BPF_MAX_VAR_OFF)) v.fail(`R${regno} unbounded memory access, make sure to bounds check any such access`);
  if (!checkMemAccess(v, reg, regno, Number(reg.umax) + off, size, memSize, zeroOk)) v.fail(`R${regno} max value is outside of the allowed memory range`);
}

/** check_packet_access. */
export function checkPacketAccess(v: Verifier, regno: number, reg: Reg, off: number, size: number, zeroOk: boolean): void {
  if (reg.smin < 0n) v.fail(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  const ok = reg.range >= 0 && checkMemAccess(v, reg, regno, off, size, reg.range, zeroOk);
  if (!ok) {
    if (reg.range < 0) v.verbose(`invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${reg.range})`);
    v.fail(`R${regno} offset is outside of the packet`);
  }
}

/** check_map_access_type: `.rodata` and BPF_F_RDONLY_PROG maps refuse writes. */
export function checkMapAccessType(v: Verifier, reg: Reg, off: number, size: number, write: boolean): void {
  const m = v.map(reg.map);
  if (write && m.flags & BPF_F_RDONLY_PROG) v.fail(`write into map forbidden, value_size=${m.valueSize} off=${off} size=${size}`);
  if (!write && m.flags & BPF_F_WRONLY_PROG) v.fail(`read from map forbidden, value_size=${m.valueSize} off=${off} size=${size}`);
}

/** check_ptr_off_reg: context and similar pointers must be used unmodified. */
export function checkPtrOffReg(v: Verifier, reg: Reg, regno: number, fixedOffOk: boolean): void {
  const name = regTypeStr(reg);
  if (reg.off < 0) v.fail(`negative offset ${name} ptr R${regno} off=${reg.off} disallowed`);
  if (!fixedOffOk && reg.off) v.fail(`dereference of modified ${name} ptr R${regno} off=${reg.off} disallowed`);
  if (!tnumIsConst(reg.var) || reg.var.value !== 0n) v.fail(`variable ${name} access var_off=${tnumStr(reg.var)} disallowed`);
}

/** check_stack_access_within_bounds. */
export function checkStackBounds(v: Verifier, regno: number, reg: Reg, off: number, size: number, write: boolean, src: AccessSource): void {
  const extra = write ? ' write to' : ' read from';
  void src;
  let minOff: bigint;
  let maxOff: bigint;
  if (tnumIsConst(reg.var)) {
    minOff = BigInt.asIntN(64, reg.var.value) + BigInt(off);
    maxOff = minOff + BigInt(size);
  } else {
    if (reg.smax >= BigInt(BPF_MAX_VAR_OFF) || reg.smin <= -BigInt(BPF_MAX_VAR_OFF)) v.fail(`invalid unbounded variable-offset${extra} stack R${regno}`);
    minOff = reg.smin + BigInt(off);
    maxOff = reg.smax + BigInt(off) + BigInt(size);
  }
  const bad = minOff >= 0n || minOff < -BigInt(MAX_BPF_STACK) || maxOff > 0n || size < 0;
  if (bad) {
    if (tnumIsConst(reg.var)) v.fail(`invalid${extra} stack R${regno} off=${off} size=${size}`);
    v.fail(`invalid variable-offset${extra} stack R${regno} var_off=${tnumStr(reg.var)} off=${off} size=${size}`);
  }
  const f = stackFrameOf(v, reg);
  growStack(f, Number(-minOff));
  const sp = v.subprogs[subprogIndexOf(v, f)]!;
  sp.stackDepth = Math.max(sp.stackDepth, Number(-minOff));
}

function subprogIndexOf(v: Verifier, f: Frame): number {
  return Math.max(0, v.subprogs.findIndex((s) => s.start === f.subprog));
}

export function stackFrameOf(v: Verifier, reg: Reg): Frame {
  return v.cur.frames[reg.frameno]!;
}

/** The byte's slot type: byte at frame offset `o` (negative). */
function slotOf(f: Frame, o: number): { spi: number; k: number } {
  const s = -o - 1;
  return { spi: Math.floor(s / BPF_REG_SIZE), k: s % BPF_REG_SIZE };
}

/** check_stack_write_fixed_off / _var_off. */
function stackWrite(v: Verifier, reg: Reg, off: number, size: number, valueRegno: number, stImm: bigint | null): void {
  const f = stackFrameOf(v, reg);
  const value = valueRegno >= 0 ? v.regs()[valueRegno]! : null;
  if (!tnumIsConst(reg.var)) {
    const lo = Number(reg.smin) + off;
    const hi = Number(reg.smax) + off + size;
    const zero = (value && isNull(value)) || (stImm !== null && stImm === 0n);
    for (let o = lo; o < hi; o++) {
      const { spi, k } = slotOf(f, o);
      const slot = slotForWrite(f, spi);
      if (isSpilledReg(slot)) for (let j = 0; j < BPF_REG_SIZE; j++) if (slot.types[j] === STACK_SPILL) slot.types[j] = STACK_MISC;
      if (!(zero && slot.types[k] === STACK_ZERO)) slot.types[k] = STACK_MISC;
    }
    return;
  }
  const o = Number(BigInt.asIntN(64, reg.var.value)) + off;
  for (let b = o; b < o + size; b++) destroyIfDynptrSlot(v, f, slotOf(f, b).spi);
  const { spi } = slotOf(f, o + size - 1);
  const slot = slotForWrite(f, spi);
  const aligned = o % BPF_REG_SIZE === 0;
  const setSpill = (r: Reg): void => {
    if (v.path) v.path.stack = { frame: reg.frameno, spi };
    slot.spilled = copyReg(r);
    let i = BPF_REG_SIZE;
    for (; i > BPF_REG_SIZE - size; i--) slot.types[i - 1] = STACK_SPILL;
    for (; i; i--) if (slot.types[i - 1] !== STACK_ZERO && slot.types[i - 1] !== STACK_INVALID) slot.types[i - 1] = STACK_MISC;
  };
  if (value && aligned && value.type === 'scalar') {
    const fits = size === 8 || (value.umax <= (1n << BigInt(size * 8)) - 1n && tnumIsConst(value.var));
    if (fits && !value.id && !tnumIsConst(value.var)) value.id = v.newId();
    setSpill(value);
    if (!fits) slot.spilled.id = 0;
    if (size < 8 && !fits) {
      const r = copyReg(value);
      coerceRegToSize(r, size);
      r.id = 0;
      slot.spilled = r;
    }
  } else if (!value && aligned && stImm !== null) {
    setSpill(scalarConst(stImm));
  } else if (value && isPointer(value)) {
    if (size !== BPF_REG_SIZE) v.fail('invalid size of register spill');
    if (f !== v.frame() && value.type === 'fp') v.fail('cannot spill pointers to stack into stack frame of the caller');
    setSpill(value);
  } else {
    if (isSpilledReg(slot)) for (let j = 0; j < BPF_REG_SIZE; j++) if (slot.types[j] === STACK_SPILL) slot.types[j] = STACK_MISC;
    slot.spilled = { ...slot.spilled, type: 'not_init' };
    const zero = (value && isNull(value)) || (stImm !== null && stImm === 0n);
    for (let i = 0; i < size; i++) {
      const b = slotOf(f, o + i);
      slotForWrite(f, b.spi).types[b.k] = zero ? STACK_ZERO : STACK_MISC;
    }
  }
}

/** check_stack_read_fixed_off / _var_off. */
function stackRead(v: Verifier, reg: Reg, off: number, size: number, dstRegno: number): void {
  const f = stackFrameOf(v, reg);
  const regs = v.regs();
  if (!tnumIsConst(reg.var)) {
    if (dstRegno >= 0) markUnknown(regs[dstRegno]!);
    return;
  }
  const o = Number(BigInt.asIntN(64, reg.var.value)) + off;
  if (readsDynptr(f, o, size)) {
    let k = 0;
    while (!readsDynptr(f, o + k, 1)) k++;
    v.fail(`invalid read from stack off ${o}+${k} size ${size}`);
  }
  const { spi } = slotOf(f, o + size - 1);
  const slot = f.stack[spi]!;
  if (isSpilledReg(slot)) {
    let spillSize = 1;
    for (let i = BPF_REG_SIZE - 1; i > 0 && slot.types[i - 1] === STACK_SPILL; i--) spillSize++;
    const spilled = slot.spilled;
    if (size !== BPF_REG_SIZE || spillSize !== BPF_REG_SIZE) {
      if (spilled.type !== 'scalar') v.fail('invalid size of register fill');
      if (dstRegno < 0) return;
      if (size <= spillSize && o % BPF_REG_SIZE === 0) {
        if (v.path) v.path.stack = { frame: reg.frameno, spi };
        const r = copyReg(spilled);
        if (size < 8) {
          coerceRegToSize(r, size);
          r.id = 0;
        }
        regs[dstRegno] = r;
      } else {
        let spillCnt = 0;
        let zeroCnt = 0;
        for (let i = 0; i < size; i++) {
          const t = f.stack[slotOf(f, o + i).spi]!.types[slotOf(f, o + i).k];
          if (t === STACK_SPILL) spillCnt++;
          else if (t === STACK_ZERO) zeroCnt++;
        }
        if ((spillCnt === size && tnumIsConst(spilled.var) && spilled.var.value === 0n) || zeroCnt === size) regs[dstRegno] = scalarConst(0n);
        else markUnknown(regs[dstRegno]!);
      }
      return;
    }
    if (dstRegno >= 0) {
      if (v.path) v.path.stack = { frame: reg.frameno, spi };
      regs[dstRegno] = copyReg(spilled);
    }
    return;
  }
  if (dstRegno < 0) return;
  let zeros = 0;
  for (let i = 0; i < size; i++) {
    const b = slotOf(f, o + i);
    if (f.stack[b.spi]!.types[b.k] === STACK_ZERO) zeros++;
  }
  if (zeros === size) regs[dstRegno] = scalarConst(0n);
  else markUnknown(regs[dstRegno]!);
}

/** Alignment: stack accesses are always strict (check_ptr_alignment). */
function checkAlignment(v: Verifier, reg: Reg, off: number, size: number): void {
  if (reg.type !== 'fp') return;
  if (!tnumIsConst(reg.var)) return;
  const total = Number(BigInt.asIntN(64, reg.var.value)) + reg.off + off;
  if (size > 1 && ((total % size) + size) % size !== 0) v.fail(`misaligned stack access off ${BigInt.asIntN(64, reg.var.value)}+${reg.off}+${off} size ${size}`);
}

/** Records for the engines that this access, `size` bytes at `reg + off` (off including reg.off), was proven in bounds on this path. */
function noteAccess(v: Verifier, region: AccessFact['region'], reg: Reg, off: number, size: number, write: boolean): void {
  const fact: AccessFact = { region, size, write, offMin: off + Number(reg.smin), offMax: off + Number(reg.smax) };
  if (region === 'stack') fact.frame = v.cur.frames.length - 1 - reg.frameno;
  if ((region === 'map_value' || region === 'map_key') && v.spec.maps[reg.map]) fact.map = v.map(reg.map).name;
  v.facts.noteAccess(v.insnIdx, fact);
}

/**
 * check_mem_access: a load (`write` false, result into `valueRegno`) or store (from `valueRegno`,
 * or the immediate `stImm` of BPF_ST) of `size` bytes at `regno + off`.
 */
export function checkMemAccess2(v: Verifier, regno: number, offIn: number, size: number, write: boolean, valueRegno: number, stImm: bigint | null, signExtend: boolean): void {
  const regs = v.regs();
  const reg = regs[regno]!;
  checkAlignment(v, reg, offIn, size);
  const off = offIn + reg.off;
  if (reg.type === 'map_key' && !reg.maybeNull) {
    if (write) v.fail(`write to change key R${regno} not allowed`);
    checkMemRegion(v, regno, reg, off, size, v.map(reg.map).keySize, false);
    if (valueRegno >= 0) markUnknown(regs[valueRegno]!);
    noteAccess(v, 'map_key', reg, off, size, write);
  } else if (reg.type === 'map_value' && !reg.maybeNull) {
    checkMapAccessType(v, reg, off, size, write);
    checkMemRegion(v, regno, reg, off, size, v.map(reg.map).valueSize, false);
    noteAccess(v, 'map_value', reg, off, size, write);
    if (!write && valueRegno >= 0) {
      const m = v.map(reg.map);
      if (tnumIsConst(reg.var) && m.flags & BPF_F_RDONLY_PROG && m.data) {
        const at = off + Number(reg.var.value);
        let val = 0n;
        for (let i = size - 1; i >= 0; i--) val = (val << 8n) | BigInt(m.data[at + i] ?? 0);
        if (signExtend) val = BigInt.asIntN(size * 8, val) & U64;
        regs[valueRegno] = scalarConst(val);
        return;
      }
      markUnknown(regs[valueRegno]!);
    }
  } else if (reg.type === 'mem') {
    if (reg.maybeNull) v.fail(`R${regno} invalid mem access '${regTypeStr(reg)}'`);
    if (write && reg.rdonly) v.fail(`R${regno} cannot write into ${regTypeStr(reg)}`);
    checkMemRegion(v, regno, reg, off, size, reg.memSize, false);
    noteAccess(v, 'mem', reg, off, size, write);
    if (valueRegno >= 0 && (!write || reg.rdonly)) markUnknown(regs[valueRegno]!);
  } else if (reg.type === 'ctx') {
    checkPtrOffReg(v, reg, regno, false);
    const acc = ctxAccess(v.progType, off, size, write);
    if (!acc) v.fail(`invalid bpf_context access off=${off} size=${size}`);
    noteAccess(v, 'ctx', reg, off, size, write);
    if (!write && valueRegno >= 0) {
      const dst = regs[valueRegno]!;
      if (acc.type === 'scalar') markUnknown(dst);
      else {
        markUnknown(dst);
        markKnownZero(dst);
        dst.type = acc.type;
        dst.maybeNull = acc.maybeNull ?? false;
        if (acc.maybeNull) dst.id = v.newId();
        if (acc.type === 'pkt' || acc.type === 'pkt_meta') dst.id = 0;
        return;
      }
    }
  } else if (reg.type === 'fp') {
    checkStackBounds(v, regno, reg, off, size, write, 'direct');
    noteAccess(v, 'stack', reg, off, size, write);
    if (write) stackWrite(v, reg, off, size, valueRegno, stImm);
    else stackRead(v, reg, off, size, valueRegno);
    if (!write && valueRegno >= 0) finishNarrowLoad(regs[valueRegno]!, size, signExtend);
    return;
  } else if (reg.type === 'pkt' || reg.type === 'pkt_meta') {
    if (write && !mayAccessPacket(v.progType, true)) v.fail('cannot write into packet');
    checkPacketAccess(v, regno, reg, off, size, false);
    noteAccess(v, reg.type === 'pkt' ? 'packet' : 'packet_meta', reg, off, size, write);
    if (!write && valueRegno >= 0) markUnknown(regs[valueRegno]!);
  } else if ((reg.type === 'sock' || reg.type === 'sock_common' || reg.type === 'tcp_sock' || reg.type === 'xdp_sock') && !reg.maybeNull) {
    if (write) v.fail(`R${regno} cannot write into ${regTypeStr(reg)}`);
    // check_sock_access
    if (reg.smin < 0n) v.fail(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
    if (!sockAccessValid(reg.type, off, size)) v.fail(`R${regno} invalid ${regTypeStr(reg)} access off=${off} size=${size}`);
    if (!sockAccessConverts(reg.type, off)) v.unconvertibleLoad = Math.min(v.unconvertibleLoad ?? v.insnIdx, v.insnIdx);
    if (valueRegno >= 0) markUnknown(regs[valueRegno]!);
  } else if (reg.type === 'ptr_' && !reg.maybeNull) {
    checkBtfAccess(v, regno, reg, reg.off + off, size, write);
    if (valueRegno >= 0 && !write) {
      // btf_struct_access: a member that points to a struct gives a PTR_TO_BTF_ID of it.
      const pointee = btfPointeeStruct(reg.btfName, reg.off + off, size);
      const dst = regs[valueRegno]!;
      markUnknown(dst);
      if (pointee) {
        markKnownZero(dst);
        dst.type = 'ptr_';
        dst.btfName = pointee;
        return;
      }
    }
  } else {
    v.fail(`R${regno} invalid mem access '${regTypeStr(reg)}'`);
  }
  if (!write && valueRegno >= 0) finishNarrowLoad(regs[valueRegno]!, size, signExtend);
}

/** Sizes of the kernel structs a PTR_TO_BTF_ID may point at whose bounds bpfsim checks (this kernel's BTF). */
const BTF_STRUCT_SIZES: Record<string, number> = { nf_conn: 248, nf_conn___init: 248 };
/** offsetof(struct nf_conn, mark) and its end: the one field nf_conntrack_btf_struct_access lets a program write. */
const NF_CONN_MARK = { off: 168, end: 172 };

/**
 * check_ptr_to_btf_access for XDP and TC: a read stays inside the struct (btf_struct_access), a
 * write goes through the program type's btf_struct_access, which only the conntrack hook answers
 * (net/netfilter/nf_conntrack_bpf.c _nf_conntrack_btf_struct_access): `mark` of nf_conn or
 * nf_conn___init, nothing else.
 */
function checkBtfAccess(v: Verifier, regno: number, reg: Reg, off: number, size: number, write: boolean): void {
  const end = BTF_STRUCT_SIZES[reg.btfName];
  if (end === undefined) {
    if (write) v.fail('only read is supported');
    return;
  }
  if (off < 0) v.fail(`R${regno} is ptr_${reg.btfName} invalid negative access: off=${off}`);
  if (!write) {
    if (off + size > end) v.fail(`access beyond struct ${reg.btfName} at off ${off} size ${size}`);
    return;
  }
  if (off !== NF_CONN_MARK.off) v.fail(`no write support to nf_conn at off ${off}`);
  if (off + size > NF_CONN_MARK.end) v.fail(`write access at off ${off} with size ${size} beyond the member of nf_conn ended at ${NF_CONN_MARK.end}`);
}

function finishNarrowLoad(r: Reg, size: number, signExtend: boolean): void {
  if (size >= BPF_REG_SIZE || r.type !== 'scalar') return;
  if (signExtend) coerceRegToSizeSx(r, size);
  else coerceRegToSize(r, size);
}

/**
 * check_helper_mem_access: `size` bytes at register `regno` for a helper argument; `write` when
 * the helper writes there (the stack bytes become initialised).
 */
export function checkHelperMem(v: Verifier, regno: number, size: number, write: boolean, zeroOk: boolean, rawMode: boolean): void {
  const reg = v.regs()[regno]!;
  switch (reg.type) {
    case 'pkt':
    case 'pkt_meta':
      if (!reg.maybeNull) return checkPacketAccess(v, regno, reg, reg.off, size, zeroOk);
      break;
    case 'map_key':
      if (write) v.fail(`R${regno} cannot write into ${regTypeStr(reg)}`);
      return checkMemRegion(v, regno, reg, reg.off, size, v.map(reg.map).keySize, false);
    case 'map_value':
      if (reg.maybeNull) break;
      checkMapAccessType(v, reg, reg.off, size, write);
      return checkMemRegion(v, regno, reg, reg.off, size, v.map(reg.map).valueSize, zeroOk);
    case 'mem':
      if (reg.maybeNull) break;
      if (reg.rdonly && write) v.fail(`R${regno} cannot write into ${regTypeStr(reg)}`);
      return checkMemRegion(v, regno, reg, reg.off, size, reg.memSize, zeroOk);
    case 'fp':
      return stackRange(v, regno, reg, reg.off, size, zeroOk, write, rawMode);
    default:
      break;
  }
  if (zeroOk && size === 0 && isNull(reg)) return;
  v.fail(`R${regno} type=${regTypeStr(reg)} expected=fp`);
}

/** check_stack_range_initialized: as root an uninitialised byte may be read; a helper write makes bytes misc. */
function stackRange(v: Verifier, regno: number, reg: Reg, off: number, size: number, zeroOk: boolean, write: boolean, rawMode: boolean): void {
  if (size === 0 && !zeroOk) v.fail('invalid zero-sized read');
  checkStackBounds(v, regno, reg, off, size, write, 'helper');
  const f = stackFrameOf(v, reg);
  let minOff: number;
  let maxOff: number;
  if (tnumIsConst(reg.var)) minOff = maxOff = Number(BigInt.asIntN(64, reg.var.value)) + off;
  else {
    minOff = Number(reg.smin) + off;
    maxOff = Number(reg.smax) + off;
  }
  void rawMode;
  if (!write) return;
  for (let o = minOff; o < maxOff + size; o++) {
    const { spi, k } = slotOf(f, o);
    if (!f.stack[spi]) continue;
    const slot = slotForWrite(f, spi);
    if (isSpilledReg(slot)) {
      markUnknown(slot.spilled);
      for (let j = 0; j < BPF_REG_SIZE; j++) if (slot.types[j] === STACK_SPILL) slot.types[j] = STACK_MISC;
    }
    slot.types[k] = STACK_MISC;
  }
}

/** The size in bytes the stack of `f` has grown to. */
export function frameStackSize(f: Frame): number {
  return allocatedStack(f);
}

export { READ, WRITE, STACK_INVALID, markKnown };
