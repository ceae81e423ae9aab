import { changesPacketData, protoFor } from '../helpers/table.js';
import { CORE_POISON_HELPER_ID } from '../btf/core.js';
import { hasFlag, type ArgType, type HelperProto } from '../helpers/proto.js';
import type { Insn } from '../isa/insn.js';
import { BPF_MAP_TYPE } from '../uapi/bpf.js';
import { MAX_HELPER_ID, helperName } from '../uapi/helper-names.js';
import { checkRegRead } from './alu.js';
import type { Verifier } from './env.js';
import { mayAccessPacket } from './context.js';
import { checkHelperMem, checkPtrOffReg } from './memory.js';
import { copyReg, isNull, isPointer, markKnownZero, markNotInit, markUnknown, regBoundsSync, regTypeStr, type Reg, type RegType } from './reg.js';
import { STACK_SPILL, STACK_ZERO, isSpilledReg, updateRegs } from './state.js';
import { tnumIsConst } from './tnum.js';
import { markPrecise } from './precision.js';
import { dynptrRefObjId, processDynptrArg, releaseDynptr, type DynptrInfo } from './dynptr.js';

/** Helper calls (check_helper_call, check_func_arg, check_map_func_compatibility) and reference tracking. */

const BPF_MAX_VAR_SIZ = 1n << 29n;

interface Expected {
  type: RegType;
  ringbuf?: boolean;
  rdonly?: boolean;
  trusted?: boolean;
}

const MEM_TYPES: Expected[] = [
  { type: 'fp' },
  { type: 'pkt' },
  { type: 'pkt_meta' },
  { type: 'map_key' },
  { type: 'map_value' },
  { type: 'mem' },
  { type: 'mem', ringbuf: true },
  { type: 'buf' },
  { type: 'ptr_', trusted: true },
];
const SOCK_TYPES: Expected[] = [{ type: 'sock_common' }, { type: 'sock' }, { type: 'tcp_sock' }, { type: 'xdp_sock' }];
const BTF_ID_SOCK_COMMON_TYPES: Expected[] = [...SOCK_TYPES, { type: 'ptr_' }, { type: 'ptr_', trusted: true }];

const COMPATIBLE: Partial<Record<string, Expected[]>> = {
  ARG_PTR_TO_MAP_KEY: MEM_TYPES,
  ARG_PTR_TO_MAP_VALUE: MEM_TYPES,
  ARG_CONST_SIZE: [{ type: 'scalar' }],
  ARG_CONST_SIZE_OR_ZERO: [{ type: 'scalar' }],
  ARG_CONST_ALLOC_SIZE_OR_ZERO: [{ type: 'scalar' }],
  ARG_CONST_MAP_PTR: [{ type: 'map_ptr' }],
  ARG_PTR_TO_CTX: [{ type: 'ctx' }],
  ARG_PTR_TO_SOCK_COMMON: SOCK_TYPES,
  ARG_PTR_TO_BTF_ID_SOCK_COMMON: BTF_ID_SOCK_COMMON_TYPES,
  ARG_PTR_TO_SOCKET: [{ type: 'sock' }],
  ARG_PTR_TO_BTF_ID: [{ type: 'ptr_' }, { type: 'ptr_', trusted: true }],
  ARG_PTR_TO_SPIN_LOCK: [{ type: 'map_value' }],
  ARG_PTR_TO_MEM: MEM_TYPES,
  ARG_PTR_TO_RINGBUF_MEM: [{ type: 'mem', ringbuf: true }],
  ARG_PTR_TO_FUNC: [{ type: 'func' }],
  ARG_PTR_TO_STACK: [{ type: 'fp' }],
  ARG_PTR_TO_CONST_STR: [{ type: 'map_value' }],
  ARG_PTR_TO_TIMER: [{ type: 'map_value' }],
  ARG_PTR_TO_DYNPTR: [{ type: 'fp' }, { type: 'dynptr_ptr' }],
};

function expectedStr(e: Expected): string {
  return (e.trusted ? 'trusted_' : '') + regTypeStr({ type: e.type, maybeNull: false, rdonly: !!e.rdonly, ringbuf: !!e.ringbuf });
}

interface CallMeta {
  map: number;
  refObjId: number;
  releaseRegno: number;
  memSize: number;
  subprog: number;
  /** The last ARG_PTR_TO_MEM register, its size checked by the next ARG_CONST_SIZE. */
  memRegno: number;
  memWrite: boolean;
  rawMode: boolean;
  /** get_constant_map_key: the lookup key when it is a constant on the stack, else -1. */
  constKey: bigint;
  /** The dynptr an ARG_PTR_TO_DYNPTR argument holds after the call's checks. */
  dynptr?: DynptrInfo;
  /** The release argument is a dynptr (unmark_stack_slots_dynptr). */
  releaseDynptr?: boolean;
  /** The prototype's `pkt_access`: packet pointers may be arguments. */
  pktAccess: boolean;
}

/** get_constant_map_key: a key held on the stack as zeros or as a spilled constant of exactly key_size bytes. */
function constantMapKey(v: Verifier, key: Reg, keySize: number): bigint {
  if (key.type !== 'fp' || !tnumIsConst(key.var)) return -1n;
  const stackOff = key.off + Number(BigInt.asIntN(64, key.var.value));
  const slotIdx = -stackOff - 1;
  const spi = Math.floor(slotIdx / 8);
  const off = slotIdx % 8;
  const slot = v.cur.frames[key.frameno]!.stack[spi];
  if (!slot) return -1n;
  let zero = 0;
  for (let i = off; i >= 0 && slot.types[i] === STACK_ZERO; i--) zero++;
  if (zero >= keySize) return 0n;
  if (!isSpilledReg(slot) || slot.spilled.type !== 'scalar') return -1n;
  let spill = 0;
  for (let i = off; i >= 0 && slot.types[i] === STACK_SPILL; i--) spill++;
  if (spill !== keySize || !tnumIsConst(slot.spilled.var)) return -1n;
  if (key.frameno === v.cur.frames.length - 1) markPrecise(v, [], [spi]);
  else markPrecise(v, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  return slot.spilled.var.value;
}

function isRelease(a: ArgType): boolean {
  return hasFlag(a, 'OBJ_RELEASE');
}

/** check_reg_type. */
function checkRegType(v: Verifier, regno: number, reg: Reg, a: ArgType): void {
  const list = COMPATIBLE[a.base];
  if (!list) return;
  const rdonly = hasFlag(a, 'MEM_RDONLY') ? false : reg.rdonly;
  const maybeNull = hasFlag(a, 'PTR_MAYBE_NULL') ? false : reg.maybeNull;
  const found = list.some((e) => e.type === reg.type && !!e.ringbuf === reg.ringbuf && !!e.rdonly === rdonly && !maybeNull && !e.trusted);
  if (found) return;
  v.fail(`R${regno} type=${regTypeStr(reg)} expected=${list.map(expectedStr).join(', ')}`);
}

/** check_func_arg_reg_off. */
function checkArgRegOff(v: Verifier, regno: number, reg: Reg): void {
  switch (reg.type) {
    case 'fp':
    case 'pkt':
    case 'pkt_meta':
    case 'map_key':
    case 'map_value':
    case 'mem':
    case 'buf':
    case 'scalar':
      return;
    default:
      checkPtrOffReg(v, reg, regno, reg.type === 'ptr_');
  }
}

/** check_mem_size_reg for ARG_CONST_SIZE(_OR_ZERO). */
function checkMemSize(v: Verifier, regno: number, reg: Reg, meta: CallMeta, zeroOk: boolean): void {
  if (reg.smin < 0n) v.fail(`R${regno} min value is negative, either use unsigned or 'var &= const'`);
  if (reg.umin === 0n && !zeroOk) v.fail(`R${regno} invalid zero-sized read: u64=[${reg.umin},${reg.umax}]`);
  if (reg.umax >= BPF_MAX_VAR_SIZ) v.fail(`R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
  checkHelperMem(v, regno - 1, Number(reg.umax), meta.memWrite, zeroOk, meta.rawMode && tnumIsConst(reg.var));
  markPrecise(v, [regno]);
}

function checkFuncArg(v: Verifier, argNo: number, a: ArgType, meta: CallMeta): void {
  const regno = argNo + 1;
  const reg = checkRegRead(v, regno);
  if (a.base === 'ARG_ANYTHING' || a.base === 'ARG_DONTCARE') return;
  if ((reg.type === 'pkt' || reg.type === 'pkt_meta') && !mayAccessPacket(v.progType, false, meta)) v.fail('helper access to the packet is not allowed');
  const maybeNullArg = hasFlag(a, 'PTR_MAYBE_NULL');
  if (!(isNull(reg) && maybeNullArg)) {
    checkRegType(v, regno, reg, a);
    checkArgRegOff(v, regno, reg);
  }
  if (isRelease(a)) {
    if (a.base === 'ARG_PTR_TO_DYNPTR') {
      if (!dynptrRefObjId(v, reg)) v.fail(`arg ${regno} is an unacquired reference`);
      meta.releaseDynptr = true;
    } else if (!reg.refObjId && !isNull(reg)) v.fail(`R${regno} must be referenced when passed to release function`);
    meta.releaseRegno = regno;
  }
  if (reg.refObjId) {
    if (meta.refObjId) v.fail(`more than one arg with ref_obj_id R${regno} ${reg.refObjId} ${meta.refObjId}`);
    meta.refObjId = reg.refObjId;
  }
  switch (a.base) {
    case 'ARG_CONST_MAP_PTR':
      meta.map = reg.map;
      break;
    case 'ARG_PTR_TO_MAP_KEY':
      if (meta.map < 0) v.fail('invalid map_ptr to access map->key');
      checkHelperMem(v, regno, v.map(meta.map).keySize, false, false, false);
      if (v.map(meta.map).type === M.BPF_MAP_TYPE_ARRAY || v.map(meta.map).type === M.BPF_MAP_TYPE_PERCPU_ARRAY) meta.constKey = constantMapKey(v, reg, v.map(meta.map).keySize);
      break;
    case 'ARG_PTR_TO_MAP_VALUE':
      if (maybeNullArg && isNull(reg)) return;
      if (meta.map < 0) v.fail('invalid map_ptr to access map->value');
      checkHelperMem(v, regno, v.map(meta.map).valueSize, hasFlag(a, 'MEM_WRITE'), false, hasFlag(a, 'MEM_UNINIT'));
      break;
    case 'ARG_PTR_TO_FUNC':
      meta.subprog = reg.subprog;
      break;
    case 'ARG_PTR_TO_MEM':
      meta.memRegno = regno;
      meta.memWrite = hasFlag(a, 'MEM_WRITE');
      meta.rawMode = hasFlag(a, 'MEM_UNINIT');
      if (hasFlag(a, 'MEM_FIXED_SIZE') && !(maybeNullArg && isNull(reg))) checkHelperMem(v, regno, a.size ?? 0, meta.memWrite, false, meta.rawMode);
      break;
    case 'ARG_CONST_SIZE':
      checkMemSize(v, regno, reg, meta, false);
      break;
    case 'ARG_CONST_SIZE_OR_ZERO':
      checkMemSize(v, regno, reg, meta, true);
      break;
    case 'ARG_CONST_ALLOC_SIZE_OR_ZERO':
      if (!tnumIsConst(reg.var)) v.fail(`R${regno} is not a known constant'`);
      meta.memSize = Number(reg.var.value);
      markPrecise(v, [regno]);
      break;
    case 'ARG_PTR_TO_SPIN_LOCK':
      break;
    case 'ARG_PTR_TO_DYNPTR': {
      const type = hasFlag(a, 'DYNPTR_TYPE_RINGBUF') ? 'ringbuf' : hasFlag(a, 'DYNPTR_TYPE_LOCAL') ? 'local' : undefined;
      meta.dynptr = processDynptrArg(v, regno, argNo, { uninit: hasFlag(a, 'MEM_UNINIT'), type });
      break;
    }
    default:
      break;
  }
}

const M = BPF_MAP_TYPE;
/** Helpers each special map type accepts, and map types each special helper needs (check_map_func_compatibility). */
const MAP_FUNCS: [number[], string[]][] = [
  [[M.BPF_MAP_TYPE_PROG_ARRAY], ['tail_call']],
  [[M.BPF_MAP_TYPE_PERF_EVENT_ARRAY], ['perf_event_read', 'perf_event_output', 'skb_output', 'perf_event_read_value', 'xdp_output']],
  [[M.BPF_MAP_TYPE_RINGBUF], ['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr']],
  [[M.BPF_MAP_TYPE_DEVMAP, M.BPF_MAP_TYPE_DEVMAP_HASH], ['redirect_map', 'map_lookup_elem']],
  [[M.BPF_MAP_TYPE_CPUMAP], ['redirect_map']],
  [[M.BPF_MAP_TYPE_XSKMAP], ['redirect_map', 'map_lookup_elem']],
  [[M.BPF_MAP_TYPE_ARRAY_OF_MAPS, M.BPF_MAP_TYPE_HASH_OF_MAPS], ['map_lookup_elem']],
  [[M.BPF_MAP_TYPE_QUEUE, M.BPF_MAP_TYPE_STACK], ['map_peek_elem', 'map_pop_elem', 'map_push_elem']],
  [[M.BPF_MAP_TYPE_BLOOM_FILTER], ['map_peek_elem', 'map_push_elem']],
];
const FUNC_MAPS: Record<string, number[]> = {
  tail_call: [M.BPF_MAP_TYPE_PROG_ARRAY],
  perf_event_output: [M.BPF_MAP_TYPE_PERF_EVENT_ARRAY],
  perf_event_read: [M.BPF_MAP_TYPE_PERF_EVENT_ARRAY],
  skb_output: [M.BPF_MAP_TYPE_PERF_EVENT_ARRAY],
  xdp_output: [M.BPF_MAP_TYPE_PERF_EVENT_ARRAY],
  ringbuf_output: [M.BPF_MAP_TYPE_RINGBUF],
  ringbuf_reserve: [M.BPF_MAP_TYPE_RINGBUF],
  ringbuf_query: [M.BPF_MAP_TYPE_RINGBUF],
  redirect_map: [M.BPF_MAP_TYPE_DEVMAP, M.BPF_MAP_TYPE_DEVMAP_HASH, M.BPF_MAP_TYPE_CPUMAP, M.BPF_MAP_TYPE_XSKMAP],
  map_peek_elem: [M.BPF_MAP_TYPE_QUEUE, M.BPF_MAP_TYPE_STACK, M.BPF_MAP_TYPE_BLOOM_FILTER],
  map_pop_elem: [M.BPF_MAP_TYPE_QUEUE, M.BPF_MAP_TYPE_STACK],
  map_push_elem: [M.BPF_MAP_TYPE_QUEUE, M.BPF_MAP_TYPE_STACK, M.BPF_MAP_TYPE_BLOOM_FILTER],
};

function checkMapFuncCompat(v: Verifier, mapIdx: number, id: number, name: string): void {
  if (mapIdx < 0) return;
  const type = v.map(mapIdx).type;
  const bad = (): never => v.fail(`cannot pass map_type ${type} into func bpf_${name}#${id}`);
  for (const [types, funcs] of MAP_FUNCS) if (types.includes(type) && !funcs.includes(name)) bad();
  const need = FUNC_MAPS[name];
  if (need && !need.includes(type)) bad();
}

const ACQUIRE = new Set(['sk_lookup_tcp', 'sk_lookup_udp', 'skc_lookup_tcp', 'ringbuf_reserve', 'kptr_xchg']);
const PTR_CAST = new Set(['tcp_sock', 'sk_fullsock', 'skc_to_tcp_sock', 'skc_to_tcp6_sock', 'skc_to_udp6_sock', 'skc_to_mptcp_sock', 'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock']);

/** release_reference: drop the reference and every register that carries it. */
export function releaseReference(v: Verifier, refObjId: number): void {
  const i = v.cur.refs.findIndex((r) => r.id === refObjId);
  if (i < 0) v.fail(`release_reference: invalid ref_obj_id ${refObjId}`);
  v.cur.refs.splice(i, 1);
  updateRegs(v.cur, (r) => r.refObjId === refObjId, markUnknown);
}

/** clear_all_pkt_pointers: after a helper that may move the packet, packet pointers and skb/xdp dynptr slices become scalars (as root). */
export function clearPacketPointers(v: Verifier): void {
  updateRegs(v.cur, (r) => r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end' || (r.type === 'mem' && r.dynptrPkt), markUnknown);
}

export interface HelperCallResult {
  /** The callback subprogram to explore (bpf_loop, bpf_for_each_map_elem), with its arguments. */
  callback?: { subprog: number; args: Reg[] };
}

/** check_helper_call. */
export function checkHelperCall(v: Verifier, insn: Insn, gpl: boolean): HelperCallResult {
  const id = insn.imm;
  if (id < 0 || id > MAX_HELPER_ID) {
    // libbpf rewrites the kernel's refusal of an instruction a CO-RE relocation poisoned (fixup_log_failed_core_relo).
    const core = id === CORE_POISON_HELPER_ID ? v.prog.coreFailures?.find((f) => f.pc === v.insnIdx) : undefined;
    if (!core) v.fail(`invalid func unknown#${id}`);
    if (v.log.at(-1) === `${v.insnIdx}: (85) call unknown#${id}`) v.log[v.log.length - 1] = `${v.insnIdx}: <invalid CO-RE relocation>`;
    v.fail(`failed to resolve CO-RE relocation ${core.spec}`);
  }
  const name = helperName(id).replace(/^bpf_/, '');
  const proto: HelperProto | undefined = protoFor(id, v.progType);
  if (!proto) v.fail(`program of this type cannot use helper bpf_${name}#${id}`);
  if (!gpl && proto.gplOnly) v.fail('cannot call GPL-restricted function from non-GPL compatible program');
  if (proto.mightSleep) v.fail('helper call might sleep in a non-sleepable prog');
  const meta: CallMeta = { map: -1, refObjId: 0, releaseRegno: 0, memSize: 0, subprog: -1, memRegno: -1, memWrite: false, rawMode: false, constKey: -1n, pktAccess: proto.pktAccess };
  proto.args.forEach((a, k) => checkFuncArg(v, k, a, meta));
  if (meta.map >= 0) v.callMaps.set(v.insnIdx, meta.map);
  if (name === 'tail_call' && v.regs()[3]!.type === 'scalar' && tnumIsConst(v.regs()[3]!.var)) markPrecise(v, [3]);
  if (name === 'tail_call' && meta.map >= 0 && v.map(meta.map).type !== M.BPF_MAP_TYPE_PROG_ARRAY) v.fail('expected prog array map for tail call');
  const regs = v.regs();
  if (meta.releaseRegno) {
    const r = regs[meta.releaseRegno]!;
    if (meta.releaseDynptr) releaseDynptr(v, r, releaseReference);
    else if (!isNull(r)) releaseReference(v, meta.refObjId);
  }
  const result: HelperCallResult = {};
  if (name === 'tail_call') {
    if (v.cur.refs.some((r) => r.kind === 'ptr')) {
      for (const r of v.cur.refs) if (r.kind === 'ptr') v.verbose(`Unreleased reference id=${r.id} alloc_insn=${r.insn}`);
      v.fail('tail_call would lead to reference leak');
    }
  }
  if (name === 'spin_lock') {
    if (v.cur.activeLock) v.fail('Locking two bpf_spin_locks are not allowed');
    v.cur.activeLock = v.newId();
  } else if (name === 'spin_unlock') {
    if (!v.cur.activeLock) v.fail('bpf_spin_unlock without taking a lock');
    v.cur.activeLock = 0;
  }
  if ((name === 'loop' || name === 'for_each_map_elem') && meta.subprog >= 0) {
    const args: Reg[] = [];
    const scalar = (): Reg => {
      const r = copyReg(regs[0]!);
      markUnknown(r);
      return r;
    };
    if (name === 'loop') {
      const idx = scalar();
      idx.umax = 0xffff_ffffn;
      regBoundsSync(idx);
      args.push(idx, copyReg(regs[3]!));
    } else {
      const m = meta.map;
      const mapPtr = copyReg(regs[1]!);
      const key = copyReg(regs[1]!);
      markKnownZero(key);
      key.type = 'map_key';
      key.map = m;
      const value = copyReg(key);
      value.type = 'map_value';
      args.push(mapPtr, key, value, copyReg(regs[3]!));
    }
    result.callback = { subprog: meta.subprog, args };
  }
  for (let r = 1; r <= 5; r++) markNotInit(regs[r]!);
  const r0 = regs[0]!;
  markUnknown(r0);
  let maybeNull = hasFlag(proto.ret, 'PTR_MAYBE_NULL');
  if (name === 'map_lookup_elem' && meta.constKey >= 0n && meta.map >= 0 && meta.constKey < BigInt(v.map(meta.map).maxEntries)) {
    const t = v.map(meta.map).type;
    if (t === M.BPF_MAP_TYPE_ARRAY || t === M.BPF_MAP_TYPE_PERCPU_ARRAY) maybeNull = false;
  }
  switch (proto.ret.base) {
    case 'RET_INTEGER':
      break;
    case 'RET_VOID':
      markNotInit(r0);
      break;
    case 'RET_PTR_TO_MAP_VALUE':
      markKnownZero(r0);
      r0.type = 'map_value';
      r0.map = meta.map;
      break;
    case 'RET_PTR_TO_SOCKET':
      markKnownZero(r0);
      r0.type = 'sock';
      break;
    case 'RET_PTR_TO_SOCK_COMMON':
      markKnownZero(r0);
      r0.type = 'sock_common';
      break;
    case 'RET_PTR_TO_TCP_SOCK':
      markKnownZero(r0);
      r0.type = 'tcp_sock';
      break;
    case 'RET_PTR_TO_MEM':
      markKnownZero(r0);
      r0.type = 'mem';
      r0.memSize = meta.memSize;
      r0.ringbuf = hasFlag(proto.ret, 'MEM_RINGBUF');
      r0.rdonly = hasFlag(proto.ret, 'MEM_RDONLY');
      // bpf_dynptr_data: the slice lives as long as its dynptr, and a ringbuf dynptr's reference.
      if (meta.dynptr) {
        r0.dynptrId = meta.dynptr.id;
        r0.refObjId = meta.dynptr.refObjId;
      }
      break;
    case 'RET_PTR_TO_MEM_OR_BTF_ID':
    case 'RET_PTR_TO_BTF_ID':
      markKnownZero(r0);
      r0.type = 'ptr_';
      r0.btfName = proto.ret.btfStruct ?? '';
      break;
  }
  if (isPointer(r0)) {
    r0.maybeNull = maybeNull;
    if (maybeNull) r0.id = v.newId();
  }
  if (PTR_CAST.has(name)) r0.refObjId = meta.refObjId;
  else if (ACQUIRE.has(name)) {
    const rid = v.newId();
    v.cur.refs.push({ id: rid, insn: v.insnIdx, kind: 'ptr' });
    r0.id = rid;
    r0.refObjId = rid;
  }
  checkMapFuncCompat(v, meta.map, id, name);
  if (changesPacketData(id)) clearPacketPointers(v);
  return result;
}

export { checkRegRead };
