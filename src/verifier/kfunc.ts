import { kfuncById, kfuncNameById, type KfuncEntry } from '../helpers/kfuncs.js';
import type { Insn } from '../isa/insn.js';
import { BPF_PROG_TYPE } from '../uapi/bpf.js';
import { checkRegRead } from './alu.js';
import { kernelStructName } from './btf-walk.js';
import { releaseReference } from './calls.js';
import { processDynptrArg, type DynptrInfo, type DynptrType } from './dynptr.js';
import { Reject, type Verifier } from './env.js';
import { checkHelperMem } from './memory.js';
import { markPrecise } from './precision.js';
import { isNull, markKnownZero, markNotInit, markUnknown, regTypeStr } from './reg.js';
import { tnumIsConst } from './tnum.js';

/**
 * Kfunc calls (kernel/bpf/verifier.c check_kfunc_call, check_kfunc_args): the kfunc comes from
 * the call's BTF id and must be registered for the program type; each argument is checked by its
 * BTF parameter type and name suffix (`__uninit`, `__opt`, `__sz`, `__szk`, `__k`, `__ign`) as
 * get_kfunc_ptr_arg_type sorts them, with the KF_* flags (KF_ACQUIRE, KF_RELEASE, KF_RET_NULL)
 * deciding references and NULL; the special kfuncs of the dynptr family type their results as the
 * kernel does.
 */

const CTX_TYPES = new Set(['struct xdp_md *', 'const struct xdp_md *', 'struct __sk_buff *', 'const struct __sk_buff *']);

/** Whether `type` (one of CTX_TYPES) is the context of `progType` programs. */
function isProgCtxType(type: string, progType: number): boolean {
  const xdp = type.includes('xdp_md');
  return xdp === (progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP);
}

/** Bytes of the scalar a `T *` parameter points at (btf_resolve_size), for the scalar types kfunc prototypes use. */
const SCALAR_SIZES: Record<string, number> = { u8: 1, __u8: 1, u16: 2, __u16: 2, __be16: 2, u32: 4, __u32: 4, __be32: 4, int: 4, u64: 8, __u64: 8 };

/** Bytes of the structs and unions of scalars kfunc prototypes take by pointer (KF_ARG_PTR_TO_MEM, __btf_type_is_scalar_struct). */
const SCALAR_STRUCT_SIZES: Record<string, number> = { 'union nf_inet_addr': 16 };

function isScalarType(t: string): boolean {
  return !t.endsWith('*');
}

/** The dynptr type a kfunc's `__uninit` dynptr gets (the special_kfunc_list cases of check_kfunc_args). */
function uninitType(name: string): DynptrType | undefined {
  if (name === 'bpf_dynptr_from_skb') return 'skb';
  if (name === 'bpf_dynptr_from_xdp') return 'xdp';
  return undefined;
}

interface KfuncMeta {
  refObjId: number;
  releaseRegno: number;
  /** The `__k`/`__szk` constant argument. */
  constant?: bigint;
  /** The initialised dynptr argument. */
  dynptr?: DynptrInfo;
}

function checkArgs(v: Verifier, k: KfuncEntry, meta: KfuncMeta): void {
  const regs = v.regs();
  const params = k.params;
  for (let i = 0; i < params.length; i++) {
    const [type, name] = params[i]!;
    const regno = i + 1;
    const reg = checkRegRead(v, regno);
    if (name.endsWith('__ign')) continue;
    if (isScalarType(type)) {
      if (reg.type !== 'scalar') v.fail(`R${regno} is not a scalar`);
      if (name.endsWith('__k')) {
        if (!tnumIsConst(reg.var)) v.fail(`R${regno} must be a known constant`);
        markPrecise(v, [regno]);
        meta.constant = reg.var.value;
      }
      continue;
    }
    const nextName = params[i + 1]?.[1] ?? '';
    const memPair = nextName.endsWith('__sz') || nextName.endsWith('__szk');
    const optional = name.endsWith('__opt') && memPair;
    if ((isNull(reg) || reg.maybeNull) && !name.endsWith('__nullable') && !(optional && isNull(reg))) v.fail(`Possibly NULL pointer passed to trusted arg${i}`);
    if (reg.refObjId) {
      meta.refObjId = reg.refObjId;
      if (k.flags.includes('KF_RELEASE')) meta.releaseRegno = regno;
    }
    if (CTX_TYPES.has(type) && !isProgCtxType(type, v.progType)) {
      // btf_is_prog_ctx_type says no: the argument is a PTR_TO_BTF_ID, which a ctx pointer is not (bpf_xdp_ct_lookup in TC).
      if (reg.type !== 'ptr_' || !reg.refObjId) v.fail(`R${regno} must be referenced or trusted`);
    } else if (CTX_TYPES.has(type) || (k.name === 'bpf_cast_to_kern_ctx' && i === 0)) {
      if (reg.type !== 'ctx') v.fail(`arg#${i} expected pointer to ctx, but got ${regTypeStr(reg)}`);
    } else if (type.endsWith('struct bpf_dynptr *')) {
      const uninit = name.endsWith('__uninit');
      const info = processDynptrArg(v, regno, i, { uninit, type: uninit ? (uninitType(k.name) ?? meta.dynptr?.type) : undefined, refObjId: uninit ? meta.dynptr?.refObjId || undefined : undefined });
      if (!uninit) meta.dynptr = info;
    } else if (memPair) {
      const size = regs[regno + 1]!;
      if (!(isNull(reg) && optional)) {
        try {
          if (size.type !== 'scalar') v.fail(`R${regno + 1} is not a scalar`);
          if (size.smin < 0n) v.fail(`R${regno + 1} min value is negative, either use unsigned or 'var &= const'`);
          checkHelperMem(v, regno, Number(size.umax), false, true, false);
        } catch (e) {
          // check_kfunc_args: the memory check's own message, then the pair's.
          if (e instanceof Reject) v.verbose(`arg#${i} arg#${i + 1} memory, len pair leads to invalid memory access`);
          throw e;
        }
      }
      if (nextName.endsWith('__szk')) {
        if (!tnumIsConst(size.var)) v.fail(`R${regno + 1} must be a known constant`);
        markPrecise(v, [regno + 1]);
        meta.constant = size.var.value;
      }
      i++;
    } else {
      const pointee = type.replace(/^const /, '').replace(/ \*$/, '').trim();
      const bytes = SCALAR_SIZES[pointee] ?? SCALAR_STRUCT_SIZES[pointee] ?? (pointee.startsWith('enum ') ? 4 : undefined);
      if (bytes !== undefined) {
        checkHelperMem(v, regno, bytes, true, false, false);
      } else if (reg.type === 'ptr_' && `struct ${reg.btfName}` !== pointee) {
        // process_kf_arg_ptr_to_btf_id: nf_conn and nf_conn___init are no-cast aliases, matched strictly.
        v.fail(`kernel function ${k.name} args#${i} expected pointer to STRUCT ${pointee.replace(/^struct /, '')} but R${regno} has a pointer to STRUCT ${reg.btfName}`);
      } else if (reg.type !== 'ptr_') {
        v.fail(`arg#${i} expected pointer to ${pointee}`);
      }
    }
  }
}

/** check_kfunc_call for the call `insn` (BPF_PSEUDO_KFUNC_CALL, imm the kernel BTF id). */
export function checkKfuncCall(v: Verifier, insn: Insn): void {
  // A weak kfunc the kernel lacks: skipped here (the registers stay as they were) and refused after the walk unless dead.
  if (insn.imm === 0) {
    v.unresolvedKfuncCall ??= v.insnIdx;
    return;
  }
  const name = kfuncNameById(insn.imm);
  if (name === undefined) v.fail(`kernel btf_id ${insn.imm} is not a function`);
  const k = kfuncById(insn.imm);
  if (k === undefined) v.fail(`calling kernel function ${name} is not modelled by bpfsim's verifier`);
  if (!k.progTypes.includes(v.progType)) v.fail(`calling kernel function ${name} is not allowed`);
  // add_kfunc_call: the XDP metadata kfuncs are resolved per device, so only a device-bound program may call them.
  if (name.startsWith('bpf_xdp_metadata_') && !v.devBound) v.fail('metadata kfuncs require device-bound program');
  const meta: KfuncMeta = { refObjId: 0, releaseRegno: 0 };
  checkArgs(v, k, meta);
  if (k.flags.includes('KF_RELEASE')) {
    if (!meta.releaseRegno) v.fail(`release kernel function ${name} expects refcounted PTR_TO_BTF_ID`);
    releaseReference(v, meta.refObjId);
  }
  // This kernel refuses every call of bpf_dynptr_slice_rdwr once its arguments are checked (probed with bpftool).
  if (name === 'bpf_dynptr_slice_rdwr') v.fail(`${name}() is not allowed`);
  const regs = v.regs();
  for (let r = 1; r <= 5; r++) markNotInit(regs[r]!);
  const r0 = regs[0]!;
  markUnknown(r0);
  if (k.ret === 'void') {
    markNotInit(r0);
    return;
  }
  if (!k.ret.endsWith('*')) return;
  markKnownZero(r0);
  if (name === 'bpf_dynptr_slice') {
    r0.type = 'mem';
    r0.rdonly = true;
    r0.memSize = Number(meta.constant ?? 0n);
    r0.dynptrId = meta.dynptr?.id ?? 0;
    r0.dynptrPkt = meta.dynptr?.type === 'skb' || meta.dynptr?.type === 'xdp';
  } else if (name === 'bpf_cast_to_kern_ctx') {
    r0.type = 'ptr_';
    r0.btfName = v.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP ? 'xdp_buff' : 'sk_buff';
  } else if (name === 'bpf_rdonly_cast') {
    // An untrusted read-only pointer to the kernel type `btf_id__k` names.
    r0.type = 'ptr_';
    r0.btfName = kernelStructName(Number(meta.constant ?? 0n));
  } else {
    r0.type = 'ptr_';
    r0.btfName = k.ret.replace(/^(const )?struct /, '').replace(/ \*$/, '');
  }
  if (k.flags.includes('KF_RET_NULL')) {
    r0.maybeNull = true;
    r0.id = v.newId();
  }
  if (k.flags.includes('KF_ACQUIRE')) {
    const id = v.newId();
    v.cur.refs.push({ id, insn: v.insnIdx, kind: 'ptr' });
    r0.id = id;
    r0.refObjId = id;
  }
}
