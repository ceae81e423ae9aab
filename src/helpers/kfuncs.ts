import { BPF_PROG_TYPE } from '../uapi/bpf.js';
import { KERNEL_KFUNC_IDS } from '../uapi/kfunc-ids.js';
import type { HelperFn } from '../vm/env.js';
import * as C from './conntrack.js';
import * as D from './dynptr.js';
import { castToKernCtx, rdonlyCast } from './kern-ctx.js';
import type { SimKernel } from './kernel-state.js';
import { rxHash, rxTimestamp, rxVlanTag } from './xdp-rx-metadata.js';

/**
 * The kfunc table: the kernel functions XDP, TC and socket filter programs can call on this
 * machine's 6.18 kernel (dynptrs, conntrack, XDP metadata, casts), with the prototypes its BTF
 * gives them (`bpftool btf dump file /sys/kernel/btf/vmlinux`) and the program types their
 * kfunc sets are registered for (net/core/filter.c bpf_kfunc_init, kernel/bpf/helpers.c
 * generic and common sets, net/netfilter/nf_conntrack_bpf.c, net/core/xdp.c), their KF_* flags
 * (BTF_ID_FLAGS there) and, for those bpfsim simulates, the implementation. A call of one it does
 * not simulate faults when it runs, naming the kfunc.
 */

/** A parameter as BTF spells it: C type and name (suffixes such as `__uninit`, `__sz`, `__k` carry the verifier's rules). */
export type KfuncParam = readonly [type: string, name: string];

/** KF_* flags of a kfunc's BTF_ID_FLAGS (include/linux/btf.h) the verifier acts on. */
export type KfFlag = 'KF_ACQUIRE' | 'KF_RELEASE' | 'KF_RET_NULL' | 'KF_TRUSTED_ARGS';

/** One kfunc. */
export interface KfuncEntry {
  /** Kernel name (`bpf_dynptr_from_xdp`). */
  readonly name: string;
  /** Its BTF id in the simulated kernel's BTF (src/uapi/kfunc-ids.ts): what a call's imm holds. */
  readonly btfId: number;
  readonly flags: readonly KfFlag[];
  /** bpfsim's implementation, when it simulates the kfunc: called as helpers are, r1-r5 in, r0 out. */
  readonly fn?: HelperFn;
  /** bpfsim's implementation when it reads the simulated kernel's state (conntrack): bound to the kernel of each program. */
  readonly kernelFn?: (kernel: SimKernel) => HelperFn;
  /** Return type as C spells it. */
  readonly ret: string;
  readonly params: readonly KfuncParam[];
  /** BPF_PROG_TYPE_* values whose programs may call it (of those bpfsim runs). */
  readonly progTypes: readonly number[];
  /** True when bpfsim simulates it. */
  readonly implemented: boolean;
}

const T = BPF_PROG_TYPE;
const XDP = [T.BPF_PROG_TYPE_XDP];
const TC = [T.BPF_PROG_TYPE_SCHED_CLS, T.BPF_PROG_TYPE_SCHED_ACT];
const XDP_CLS = [T.BPF_PROG_TYPE_XDP, T.BPF_PROG_TYPE_SCHED_CLS];
const TC_SOCKET = [...TC, T.BPF_PROG_TYPE_SOCKET_FILTER];
const ALL = [T.BPF_PROG_TYPE_XDP, ...TC, T.BPF_PROG_TYPE_SOCKET_FILTER];

function kfunc(name: string, ret: string, params: KfuncParam[], progTypes: readonly number[], flags: KfFlag[] = [], fn?: HelperFn | { kernel: (kernel: SimKernel) => HelperFn }): KfuncEntry {
  const btfId = KERNEL_KFUNC_IDS.get(name) ?? 0;
  if (fn !== undefined && typeof fn !== 'function') return { name, btfId, ret, params, progTypes, flags, kernelFn: fn.kernel, implemented: true };
  return { name, btfId, ret, params, progTypes, flags, fn, implemented: fn !== undefined };
}

const ACQ_NULL: KfFlag[] = ['KF_ACQUIRE', 'KF_RET_NULL'];
const TRUSTED: KfFlag[] = ['KF_TRUSTED_ARGS'];

/** Every kfunc the table describes, by name. */
export const KFUNCS: readonly KfuncEntry[] = [
  kfunc('bpf_dynptr_from_skb', 'int', [['struct __sk_buff *', 's'], ['u64', 'flags'], ['struct bpf_dynptr *', 'ptr__uninit']], TC_SOCKET, TRUSTED, D.dynptrFromSkb),
  kfunc('bpf_dynptr_from_skb_meta', 'int', [['struct __sk_buff *', 'skb_'], ['u64', 'flags'], ['struct bpf_dynptr *', 'ptr__uninit']], TC, TRUSTED, D.dynptrFromSkbMeta),
  kfunc('bpf_dynptr_from_xdp', 'int', [['struct xdp_md *', 'x'], ['u64', 'flags'], ['struct bpf_dynptr *', 'ptr__uninit']], XDP, [], D.dynptrFromXdp),
  kfunc('bpf_dynptr_slice', 'void *', [['const struct bpf_dynptr *', 'p'], ['u32', 'offset'], ['void *', 'buffer__opt'], ['u32', 'buffer__szk']], ALL, ['KF_RET_NULL'], D.dynptrSlice),
  kfunc('bpf_dynptr_slice_rdwr', 'void *', [['const struct bpf_dynptr *', 'p'], ['u32', 'offset'], ['void *', 'buffer__opt'], ['u32', 'buffer__szk']], ALL, ['KF_RET_NULL'], D.dynptrSliceRdwr),
  kfunc('bpf_dynptr_adjust', 'int', [['const struct bpf_dynptr *', 'p'], ['u32', 'start'], ['u32', 'end']], ALL, [], D.dynptrAdjust),
  kfunc('bpf_dynptr_is_null', 'bool', [['const struct bpf_dynptr *', 'p']], ALL, [], D.dynptrIsNull),
  kfunc('bpf_dynptr_is_rdonly', 'bool', [['const struct bpf_dynptr *', 'p']], ALL, [], D.dynptrIsRdonly),
  kfunc('bpf_dynptr_size', '__u32', [['const struct bpf_dynptr *', 'p']], ALL, [], D.dynptrSize),
  kfunc('bpf_dynptr_clone', 'int', [['const struct bpf_dynptr *', 'p'], ['struct bpf_dynptr *', 'clone__uninit']], ALL, [], D.dynptrClone),
  kfunc('bpf_dynptr_copy', 'int', [['struct bpf_dynptr *', 'dst_ptr'], ['u32', 'dst_off'], ['struct bpf_dynptr *', 'src_ptr'], ['u32', 'src_off'], ['u32', 'size']], ALL, [], D.dynptrCopy),
  kfunc('bpf_dynptr_memset', 'int', [['struct bpf_dynptr *', 'p'], ['u32', 'offset'], ['u32', 'size'], ['u8', 'val']], ALL, [], D.dynptrMemset),
  kfunc('bpf_xdp_ct_alloc', 'struct nf_conn___init *', [['struct xdp_md *', 'xdp_ctx'], ['struct bpf_sock_tuple *', 'bpf_tuple'], ['u32', 'tuple__sz'], ['struct bpf_ct_opts *', 'opts'], ['u32', 'opts__sz']], XDP_CLS, ACQ_NULL, { kernel: C.ctAlloc }),
  kfunc('bpf_xdp_ct_lookup', 'struct nf_conn *', [['struct xdp_md *', 'xdp_ctx'], ['struct bpf_sock_tuple *', 'bpf_tuple'], ['u32', 'tuple__sz'], ['struct bpf_ct_opts *', 'opts'], ['u32', 'opts__sz']], XDP_CLS, ACQ_NULL, { kernel: C.ctLookup }),
  kfunc('bpf_skb_ct_alloc', 'struct nf_conn___init *', [['struct __sk_buff *', 'skb_ctx'], ['struct bpf_sock_tuple *', 'bpf_tuple'], ['u32', 'tuple__sz'], ['struct bpf_ct_opts *', 'opts'], ['u32', 'opts__sz']], XDP_CLS, ACQ_NULL, { kernel: C.ctAlloc }),
  kfunc('bpf_skb_ct_lookup', 'struct nf_conn *', [['struct __sk_buff *', 'skb_ctx'], ['struct bpf_sock_tuple *', 'bpf_tuple'], ['u32', 'tuple__sz'], ['struct bpf_ct_opts *', 'opts'], ['u32', 'opts__sz']], XDP_CLS, ACQ_NULL, { kernel: C.ctLookup }),
  kfunc('bpf_ct_insert_entry', 'struct nf_conn *', [['struct nf_conn___init *', 'nfct_i']], XDP_CLS, ['KF_ACQUIRE', 'KF_RET_NULL', 'KF_RELEASE'], { kernel: C.ctInsertEntry }),
  kfunc('bpf_ct_release', 'void', [['struct nf_conn *', 'nfct']], XDP_CLS, ['KF_RELEASE'], { kernel: C.ctRelease }),
  kfunc('bpf_ct_set_timeout', 'void', [['struct nf_conn___init *', 'nfct'], ['u32', 'timeout']], XDP_CLS, TRUSTED, { kernel: C.ctSetTimeout }),
  kfunc('bpf_ct_change_timeout', 'int', [['struct nf_conn *', 'nfct'], ['u32', 'timeout']], XDP_CLS, TRUSTED, { kernel: C.ctChangeTimeout }),
  kfunc('bpf_ct_set_status', 'int', [['const struct nf_conn___init *', 'nfct'], ['u32', 'status']], XDP_CLS, TRUSTED, { kernel: (k) => C.ctChangeStatus(k, 'bpf_ct_set_status', false) }),
  kfunc('bpf_ct_change_status', 'int', [['struct nf_conn *', 'nfct'], ['u32', 'status']], XDP_CLS, TRUSTED, { kernel: (k) => C.ctChangeStatus(k, 'bpf_ct_change_status', true) }),
  kfunc('bpf_ct_set_nat_info', 'int', [['struct nf_conn___init *', 'nfct'], ['union nf_inet_addr *', 'addr'], ['int', 'port'], ['enum nf_nat_manip_type', 'manip']], XDP_CLS, TRUSTED, { kernel: C.ctSetNatInfo }),
  kfunc('bpf_xdp_metadata_rx_timestamp', 'int', [['const struct xdp_md *', 'ctx'], ['u64 *', 'timestamp']], XDP, TRUSTED, rxTimestamp),
  kfunc('bpf_xdp_metadata_rx_hash', 'int', [['const struct xdp_md *', 'ctx'], ['u32 *', 'hash'], ['enum xdp_rss_hash_type *', 'rss_type']], XDP, TRUSTED, rxHash),
  kfunc('bpf_xdp_metadata_rx_vlan_tag', 'int', [['const struct xdp_md *', 'ctx'], ['__be16 *', 'vlan_proto'], ['u16 *', 'vlan_tci']], XDP, TRUSTED, rxVlanTag),
  kfunc('bpf_cast_to_kern_ctx', 'void *', [['void *', 'obj']], ALL, [], castToKernCtx),
  kfunc('bpf_rdonly_cast', 'void *', [['const void *', 'obj__ign'], ['u32', 'btf_id__k']], ALL, [], rdonlyCast),
  kfunc('bpf_xdp_pull_data', 'int', [['struct xdp_md *', 'x'], ['u32', 'len']], XDP),
];

const BY_NAME = new Map(KFUNCS.map((k) => [k.name, k]));
const BY_ID = new Map(KFUNCS.map((k) => [k.btfId, k]));
const NAME_BY_ID = new Map([...KERNEL_KFUNC_IDS].map(([name, id]) => [id, name]));

/** The kfunc whose BTF id is `btfId`, or undefined when the table has none. */
export function kfuncById(btfId: number): KfuncEntry | undefined {
  return BY_ID.get(btfId);
}

/** The kernel's name of the kfunc with BTF id `btfId` (any of the kernel's kfuncs, in the table or not). */
export function kfuncNameById(btfId: number): string | undefined {
  return NAME_BY_ID.get(btfId);
}

/** The kfunc named `name`, or undefined when the table has none. */
export function kfuncByName(name: string): KfuncEntry | undefined {
  return BY_NAME.get(name);
}

/** The C declaration of `k`, as the README and error messages print it. */
export function kfuncSignature(k: KfuncEntry): string {
  const star = k.ret.endsWith('*') ? '' : ' ';
  return `${k.ret}${star}${k.name}(${k.params.map(([t, n]) => `${t}${t.endsWith('*') ? '' : ' '}${n}`).join(', ')})`;
}
